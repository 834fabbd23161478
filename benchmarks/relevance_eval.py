"""Inquiry relevance: precision, recall and F1 of the "not about our products" flag on the frozen set,
then model load time, embedding throughput and per-lead latency on this machine.

Method. The flag uses the threshold calibrated from the catalogue alone (see RelevanceModel): its
description sentences and example questions are the positives, a generic off-topic set shipped in the
package the negatives, each scored leave-one-out; a balanced logistic regression on (best product
similarity, best off-topic similarity) gives the score, and 0.5 is the threshold. The labelled
inquiries (tests/data/relevance, committed before the model was written) are used only to measure.
For comparison it also prints a cross-validated figure: the threshold on the same score chosen to
maximise F1 on four fifths of the labelled set and measured on the other fifth (5 stratified folds).

Run: .venv/bin/python benchmarks/relevance_eval.py [--errors]   (--errors lists every wrong flag)
"""

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from territorial.io.catalogue import load_catalogue, read_labelled_inquiries
from territorial.scoring.relevance import embed
from territorial.services.scoring import relevance_model

EVAL_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "relevance"
CV_SEED = 20260127
LATENCY_LEADS = 100


def flag_quality(irrelevant: np.ndarray, flagged: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of the flag, with "not relevant" as the positive class."""
    precision, recall, f1, _ = precision_recall_fscore_support(
        irrelevant, flagged, average="binary", zero_division=0
    )
    return float(precision), float(recall), float(f1)


def best_threshold(scores: np.ndarray, irrelevant: np.ndarray) -> float:
    """The threshold on the score that maximises the flag's F1 (midway between neighbouring scores)."""
    ordered = np.unique(scores)
    candidates = np.concatenate([[0.0], (ordered[:-1] + ordered[1:]) / 2, [1.0]])
    f1s = [flag_quality(irrelevant, scores < t)[2] for t in candidates]
    return float(candidates[int(np.argmax(f1s))])


def cross_validated(scores: np.ndarray, irrelevant: np.ndarray) -> tuple[float, float, float, list[float]]:
    flagged = np.zeros(len(scores), dtype=bool)
    thresholds = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=CV_SEED)
    for train, test in folds.split(scores, irrelevant):
        threshold = best_threshold(scores[train], irrelevant[train])
        thresholds.append(threshold)
        flagged[test] = scores[test] < threshold
    return (*flag_quality(irrelevant, flagged), thresholds)


def main() -> None:
    started = time.perf_counter()
    embed(["warm-up"])
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = relevance_model(EVAL_SET / "catalogue.yaml")
    fit_seconds = time.perf_counter() - started
    catalogue = load_catalogue(EVAL_SET / "catalogue.yaml")
    labelled = read_labelled_inquiries(EVAL_SET / "inquiries.csv", catalogue)
    texts = [q.text for q in labelled]

    started = time.perf_counter()
    results = model.score(texts)
    batch_seconds = time.perf_counter() - started
    latencies = []
    for text in texts[:LATENCY_LEADS]:
        started = time.perf_counter()
        model.score([text])
        latencies.append((time.perf_counter() - started) * 1000)

    irrelevant = np.array([not q.relevant for q in labelled])
    scores = np.array([r.score for r in results])
    flagged = np.array([not r.relevant for r in results])
    precision, recall, f1 = flag_quality(irrelevant, flagged)
    named = [(q, r) for q, r in zip(labelled, results, strict=True) if q.product_id is not None]
    product_hits = sum(q.product_id == r.product_id for q, r in named)
    cv_precision, cv_recall, cv_f1, cv_thresholds = cross_validated(scores, irrelevant)

    print(f"frozen set: {len(labelled)} inquiries, {int(irrelevant.sum())} not relevant, "
          f"{len(catalogue.products)} products")  # fmt: skip
    load_average = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPU cores, load average {load_average:.1f}")
    print()
    print(f"calibrated threshold (from the catalogue only): {model.threshold_:.2f}")
    print(f"  not-relevant flag: precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"  flagged {int(flagged.sum())}, of which wrongly {int((flagged & ~irrelevant).sum())}; "
          f"missed {int((~flagged & irrelevant).sum())}")  # fmt: skip
    print(f"  closest product right for {product_hits}/{len(named)} relevant inquiries that name one "
          f"({product_hits / len(named):.1%})")  # fmt: skip
    print("cross-validated threshold (chosen on 4/5 of the labelled set, measured on the rest, 5 folds):")
    print(f"  thresholds {', '.join(f'{t:.3f}' for t in cv_thresholds)}")
    print(f"  not-relevant flag: precision {cv_precision:.3f}  recall {cv_recall:.3f}  F1 {cv_f1:.3f}")
    print()
    print(f"model load {load_seconds:.1f} s, catalogue fit {fit_seconds:.2f} s")
    print(f"batch of {len(texts)}: {batch_seconds:.2f} s, {len(texts) / batch_seconds:,.0f} inquiries/s")
    print(f"one lead at a time ({LATENCY_LEADS} leads): median {statistics.median(latencies):.1f} ms, "
          f"max {max(latencies):.1f} ms")  # fmt: skip

    if "--errors" in sys.argv[1:]:
        print("\nwrong flags (label, score, closest product, text):")
        for q, r in sorted(zip(labelled, results, strict=True), key=lambda pair: pair[1].score):
            if q.relevant != r.relevant:
                label = "relevant" if q.relevant else "not relevant"
                print(f"  {q.inquiry_id} {label:12} {r.score:.3f} {r.product_id:22} {q.text[:90]!r}")


if __name__ == "__main__":
    main()
