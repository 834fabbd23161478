"""Model files' contents: a one-line JSON header (kind, format, version, checksum) followed by the
pickled model, compressed with zlib (format 2) or as it is (format 1, still read). Reading and
writing the files themselves is io's."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import polars as pl

from territorial.errors import BadInput

MODEL_FORMAT = 2
READABLE_FORMATS = (1, 2)
# zlib at its default level shrinks a blend of boosted trees and a forest (X Education's 9,240 leads)
# from 21.2 MB to 4.6 MB in 0.4 s and reads it back in 0.05 s; level 9 saves 3% more in 5 s, and lzma
# gets to 2.9 MB but takes 7.6 s to write and 0.2 s to read. The output is the same for the same model.
COMPRESSION_LEVEL = 6
T = TypeVar("T")


def pack_model(
    model: object, magic: str, header: Mapping[str, Any], training_fingerprint: str
) -> tuple[bytes, str]:
    """The model file's bytes and its version: a hash of the training data and the model, so the
    same data and settings always give the same version (no timestamps)."""
    pickled = pickle.dumps(model, protocol=5)
    version = hashlib.sha256(training_fingerprint.encode() + pickled).hexdigest()[:16]
    payload = zlib.compress(pickled, COMPRESSION_LEVEL)
    full_header = {
        **header,
        "magic": magic,
        "format": MODEL_FORMAT,
        "version": version,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),  # of the bytes stored, as they are
    }
    return json.dumps(full_header, sort_keys=True).encode() + b"\n" + payload, version


def our_string(value: str, choices: Sequence[str]) -> str:
    """`value` as the equal string among `choices`. Pickle writes a string object it has already
    written as a reference, so an equal string from elsewhere (a command line) would change a
    model file's bytes: settings are saved as the model's own strings."""
    return next((choice for choice in choices if choice == value), value)


def unpack_model(data: bytes, name: str, magic: str, kind: type[T], train_command: str) -> tuple[T, str]:
    """The model in a file's bytes packed by `pack_model` with the same `magic`, and its version;
    `name` is the file, for messages. Pickle runs code: load only files you trained."""
    first, _newline, payload = data.partition(b"\n")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or not str(header.get("magic", "")).startswith("territorial-"):
        raise BadInput.at(f"not a Territorial model file (train one with `{train_command}`)", name)
    if header["magic"] != magic:
        raise BadInput.at(
            f"this is a {header['magic'].removeprefix('territorial-')} file; "
            f"this needs a model from `{train_command}`",
            name,
        )
    if header.get("format") not in READABLE_FORMATS:
        raise BadInput.at(
            f"model file format {header.get('format')} is not supported "
            f"(this version reads formats {', '.join(map(str, READABLE_FORMATS))})",
            name,
        )
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise BadInput.at("the model file is damaged (its content does not match its checksum)", name)
    try:
        model = pickle.loads(zlib.decompress(payload) if header["format"] == 2 else payload)
    except Exception as err:
        raise BadInput.at(f"the model file cannot be read: {err}", name) from None
    if not isinstance(model, kind):
        raise BadInput.at(f"the model file does not hold a {kind.__name__}", name)
    return model, str(header["version"])


def fingerprint(frame: pl.DataFrame, target: str, exclude: Sequence[str], params: Mapping[str, Any]) -> str:
    """The training data's content and the settings, so the same inputs give the same version."""
    buffer = io.StringIO()
    frame.write_csv(buffer)
    settings = json.dumps({"label": target, "exclude": sorted(exclude), **params}, sort_keys=True)
    return hashlib.sha256(buffer.getvalue().encode() + settings.encode()).hexdigest()
