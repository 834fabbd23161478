"""Model files: compressed, versioned by content, and read back from the previous, uncompressed format."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from territorial.errors import BadInput
from territorial.io.model_files import read_model_file, write_model_file
from territorial.scoring.model_file import pack_model, unpack_model

MAGIC = "territorial-test-model"


def trees_like() -> dict[str, np.ndarray]:
    """Arrays shaped like a fitted forest's: node indices, thresholds and leaf values."""
    rng = np.random.default_rng(7)
    return {
        "children": np.arange(200_000, dtype=np.int64),
        "threshold": np.round(rng.random(200_000), 2),
        "value": rng.integers(0, 3, 200_000).astype(np.float64),
    }


def save_model(model: object, path: Path, magic: str, header: dict[str, str], data: str) -> str:
    packed, version = pack_model(model, magic, header, data)
    write_model_file(packed, path)
    return version


def load_model(path: Path, magic: str, kind: type, command: str) -> tuple[object, str]:
    return unpack_model(read_model_file(path), str(path), magic, kind, command)


def write_by_hand(path: Path, file_format: int, payload: bytes) -> None:
    """A model file as another version of Territorial (or a hand edit) would leave it."""
    checksum = hashlib.sha256(payload).hexdigest()
    header = {"magic": MAGIC, "format": file_format, "version": "v1", "payload_sha256": checksum}
    path.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def test_model_file_is_compressed_and_reads_back(tmp_path: Path) -> None:
    model = trees_like()
    version = save_model(model, tmp_path / "m.model", MAGIC, {"estimator": "x"}, "data")
    stored = (tmp_path / "m.model").stat().st_size
    assert stored < len(pickle.dumps(model, protocol=5)) / 3
    loaded, loaded_version = load_model(tmp_path / "m.model", MAGIC, dict, "train")
    assert loaded_version == version
    assert all(np.array_equal(loaded[name], model[name]) for name in model)


def test_same_model_gives_the_same_bytes_and_version(tmp_path: Path) -> None:
    versions = [save_model(trees_like(), tmp_path / f"m{n}", MAGIC, {}, "data") for n in (1, 2)]
    assert versions[0] == versions[1]
    assert (tmp_path / "m1").read_bytes() == (tmp_path / "m2").read_bytes()
    assert save_model(trees_like(), tmp_path / "m3", MAGIC, {}, "other data") != versions[0]


def test_previous_uncompressed_format_still_loads(tmp_path: Path) -> None:
    write_by_hand(tmp_path / "old.model", 1, pickle.dumps({"weights": [1, 2, 3]}, protocol=5))
    assert load_model(tmp_path / "old.model", MAGIC, dict, "train") == ({"weights": [1, 2, 3]}, "v1")


def test_unknown_format_names_the_file_and_the_formats_read(tmp_path: Path) -> None:
    write_by_hand(tmp_path / "new.model", 9, b"whatever a later format holds")
    with pytest.raises(BadInput, match=r"new\.model.*format 9 is not supported.*formats 1, 2"):
        load_model(tmp_path / "new.model", MAGIC, dict, "train")


def test_payload_that_is_not_compressed_is_bad_input(tmp_path: Path) -> None:
    """A checksum that matches bytes zlib cannot read (a hand-edited file) is reported, not raised."""
    write_by_hand(tmp_path / "odd.model", 2, b"not zlib at all")
    with pytest.raises(BadInput, match=r"odd\.model.*cannot be read"):
        load_model(tmp_path / "odd.model", MAGIC, dict, "train")
