"""Validate a model directory once, in one place, before torch sees it: config.json against what its task
needs, each vocabulary against config.json, and the safetensors header against the file itself.

What each task's directory must hold (SCHEMAS):

    task       model kind       vocabularies: side -> config key of its size          labels
    lm         language_model   text -> vocab_size                                      -
    classify   classifier       text -> vocab_size                                      num_labels names
    translate  seq2seq          source -> src_vocab_size, target -> tgt_vocab_size      -

    model.safetensors = [8-byte little-endian header length n][n bytes of JSON header][tensor data]
    header: {name: {"dtype": "F32", "shape": [rows, cols], "data_offsets": [start, end]}, "__metadata__": {..}}

Nothing here imports torch (`textrnn info` runs on it); `textrnn.model_weights` checks the tensors against the model
config.json describes. Every problem raises DamagedModelError naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textrnn._version import __version__
from textrnn.errors import DamagedModelError, FormatVersionError, ModelError

CONFIG, WEIGHTS = "config.json", "model.safetensors"
FORMAT_VERSION = 1
MAX_HEADER = 100_000_000  # bytes: safetensors' own limit
MAX_JSON = 256 * 2**20  # bytes: far above any config or vocabulary textrnn writes; a larger file is not read
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I64": 8, "I32": 4,
               "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")


@dataclass(frozen=True)
class TaskSchema:
    """What config.json of one task must hold."""

    kind: str  # the model kind ("model": {"kind": ...})
    sides: dict[str, str]  # tokenizer and vocabulary side -> the model config key of that vocabulary's size
    sizes: tuple[str, ...]  # more model config keys that must be positive integers
    counts: tuple[str, ...] = ()  # model config keys that, when given, must be integers of 0 or more
    labels: bool = False  # "labels": one distinct name per output (num_labels of them)


_SHAPE = ("embedding_size", "hidden_size", "num_layers")
SCHEMAS: dict[str, TaskSchema] = {
    "lm": TaskSchema("language_model", {"text": "vocab_size"}, _SHAPE),
    "classify": TaskSchema("classifier", {"text": "vocab_size"}, (*_SHAPE, "num_labels"), ("subword_buckets",),
                           labels=True),
    "translate": TaskSchema("seq2seq", {"source": "src_vocab_size", "target": "tgt_vocab_size"}, _SHAPE),
}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the weights file's header: bytes [start, end) of the data that follows the header."""

    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Checked:
    """A model directory that passed every check that needs no torch."""

    path: Path
    config: dict[str, Any]
    vocabs: dict[str, dict[str, Any]]  # side -> the vocabulary file's JSON, checked
    tensors: dict[str, TensorEntry]  # the weights file's header
    metadata: dict[str, str]  # the header's __metadata__ (tied weights: alias -> stored name)

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS


def check(path: Path) -> Checked:
    """Check the model directory `path` (already resolved) without torch: config.json, vocabularies, weights
    header. Files are opened only once their names are known to stay inside the directory."""
    cfg_file = path / CONFIG
    if not cfg_file.is_file():
        raise ModelError(f"{path} is not a textrnn model: it has no {CONFIG}")
    config = read_json(cfg_file)
    schema = check_config(config, cfg_file)
    files = {side: inside(path, name, f"vocabs.{side}") for side, name in config["vocabs"].items()}
    for name, file in [(WEIGHTS, path / WEIGHTS), *((config["vocabs"][side], f) for side, f in files.items())]:
        if not file.is_file():
            raise ModelError(f"{path} is incomplete: {name} is missing")
    model = config["model"]
    vocabs = {side: check_vocab(file, model[schema.sides[side]], schema.sides[side]) for side, file in files.items()}
    tensors, metadata = read_header(path / WEIGHTS)
    check_fits(model, schema, tensors, cfg_file)
    return Checked(path, config, vocabs, tensors, metadata)


# config.json ----------------------------------------------------------------------------------------

def read_json(file: Path) -> Any:
    """A JSON file of the model directory, size-capped; anything that is not JSON is a DamagedModelError."""
    size = file.stat().st_size
    if size > MAX_JSON:
        raise DamagedModelError(f"{file} is {size:,} bytes: too large for a file textrnn writes; not read")
    try:
        return json.loads(file.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise DamagedModelError(f"{file} is not valid JSON ({str(e)[:120]})") from None


def check_config(config: Any, file: Path) -> TaskSchema:
    """config.json's structure against its task's schema; returns the schema."""
    def bad(what: str) -> DamagedModelError:
        return DamagedModelError(f"{file}: {what}")

    if not isinstance(config, dict):
        raise bad(f"holds {_what(config)}; config.json is a JSON object")
    version = config.get("format_version")
    if not _is_int(version):
        raise DamagedModelError(f"{file} has no format_version")
    if version > FORMAT_VERSION:
        raise FormatVersionError(
            f"{file.parent} was saved in model format {version} by textrnn {config.get('textrnn_version', '?')}; "
            f"this textrnn ({__version__}) reads format {FORMAT_VERSION} and older",
            hint="upgrade textrnn: pip install -U textrnn")
    task = config.get("task")
    if task is None:
        raise bad("has no task")
    if not isinstance(task, str) or task not in SCHEMAS:
        raise bad(f"task is {task!r}; textrnn knows {', '.join(SCHEMAS)}")
    schema = SCHEMAS[task]
    model = _object(config, "model", bad)
    if model.get("kind") != schema.kind:
        raise bad(f"task {task!r} needs model.kind {schema.kind!r}, got {model.get('kind')!r}")
    for key in (*schema.sides.values(), *schema.sizes):
        if key not in model:
            raise bad(f"model.{key} is missing")
        if not _is_int(model[key]) or model[key] < 1:
            raise bad(f"model.{key} must be a positive integer, got {model[key]!r}")
    for key in schema.counts:
        if key in model and (not _is_int(model[key]) or model[key] < 0):
            raise bad(f"model.{key} must be an integer of 0 or more, got {model[key]!r}")
    for key in ("tokenizers", "vocabs"):
        if sorted(_object(config, key, bad)) != sorted(schema.sides):
            raise bad(f"{key} must name {', '.join(schema.sides)}, and only those; it names "
                      f"{', '.join(map(str, config[key])) or 'nothing'}")
    for side, spec in config["tokenizers"].items():
        _check_tokenizer(spec, f"tokenizers.{side}", bad)
    if schema.labels:
        labels = config.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels) or \
                len(set(labels)) != len(labels) or len(labels) != model["num_labels"]:
            raise bad(f"labels must be {model['num_labels']} distinct names (model.num_labels), got {labels!r}"[:300])
    for key in ("training", "metrics"):
        if config.get(key) is not None:
            _object(config, key, bad)
    return schema


def _check_tokenizer(spec: Any, key: str, bad) -> None:
    from textrnn.text.tokenizers import TOKENIZERS

    if not isinstance(spec, dict) or spec.get("name") not in TOKENIZERS:
        name = spec.get("name") if isinstance(spec, dict) else spec
        raise bad(f"{key} names the tokenizer {name!r}; textrnn has {', '.join(sorted(TOKENIZERS))}")
    if not isinstance(spec.get("lang", "en"), str) or not isinstance(spec.get("lowercase", False), bool):
        raise bad(f"{key}: lang must be a string and lowercase true or false, got {spec!r}")


def inside(path: Path, name: Any, key: str) -> Path:
    """The file `name` (config.json's `key`) of the model directory `path`. A name that leads out of the
    directory (absolute, '..', a link to elsewhere) is refused before anything opens it."""
    if not isinstance(name, str) or not name or "\0" in name:
        raise DamagedModelError(f"{path / CONFIG}: {key} must be a file name, got {name!r}")
    target = path / name
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise DamagedModelError(f"{path / CONFIG}: {key} is {name!r}, outside the model directory; refused "
                                "(a model's files are inside it)")
    try:
        real = target.resolve()
        outside = not real.is_relative_to(path.resolve())
    except (OSError, RuntimeError):  # a loop of links
        raise DamagedModelError(f"{path / CONFIG}: {key} {name!r} is a loop of links") from None
    if outside:
        raise DamagedModelError(f"{path / CONFIG}: {key} {name!r} is a link to {real}, outside the model "
                                "directory; refused (a model's files are inside it)")
    return target


def _object(config: dict[str, Any], key: str, bad) -> dict[str, Any]:
    value = config.get(key)
    if not isinstance(value, dict):
        raise bad(f"{key} must be a JSON object, got {_what(value)}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _what(value: Any) -> str:
    """How a JSON value is called in a message: 'a JSON list', 'nothing' ..."""
    if value is None:
        return "nothing"
    names = {dict: "object", list: "list", str: "string", bool: "true or false", int: "number", float: "number"}
    return f"a JSON {names.get(type(value), type(value).__name__)}"


# Vocabularies -----------------------------------------------------------------------------------------

def check_vocab(file: Path, size: int, size_key: str) -> dict[str, Any]:
    """A vocabulary file: distinct token strings (the specials not among them), `size` entries with the
    specials, as config.json's model.`size_key` says; returns its JSON."""
    from textrnn.text.vocab import FORMAT, SPECIALS

    def bad(what: str) -> DamagedModelError:
        return DamagedModelError(f"{file}: {what}")

    doc = read_json(file)
    if not isinstance(doc, dict):
        raise bad(f"holds {_what(doc)}; a vocabulary is a JSON object with a list of tokens")
    tokens = doc.get("tokens")
    if not isinstance(tokens, list) or not set(map(type, tokens)) <= {str}:  # set(map(type)): fast on 30,000
        raise bad("tokens must be a list of strings")
    if not _is_int(doc.get("format", FORMAT)) or doc.get("format", FORMAT) > FORMAT:
        raise bad(f"format is {doc.get('format')!r}; this textrnn reads vocabulary format {FORMAT}")
    if doc.get("specials", list(SPECIALS)) != list(SPECIALS):
        raise bad(f"specials must be {list(SPECIALS)}, got {doc.get('specials')!r}")
    distinct = set(tokens)
    if len(distinct) != len(tokens) or not distinct.isdisjoint(SPECIALS):
        repeated = sorted((distinct & set(SPECIALS)) | _repeated(tokens))
        raise bad(f"tokens must be distinct and not specials; repeated: {', '.join(map(repr, repeated[:5]))}")
    counts = doc.get("counts", [])
    if not isinstance(counts, list) or (counts and len(counts) != len(tokens)) or not set(map(type, counts)) <= {int}:
        raise bad("counts must be a list of integers, one per token")
    if len(tokens) + len(SPECIALS) != size:
        raise bad(f"holds {len(tokens) + len(SPECIALS):,} entries (the {len(SPECIALS)} specials included); "
                  f"config.json's model.{size_key} is {size:,}")
    return doc


def _repeated(items: list[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for item in items:
        (repeated if item in seen else seen).add(item)
    return repeated


# model.safetensors -------------------------------------------------------------------------------

def read_header(file: Path) -> tuple[dict[str, TensorEntry], dict[str, str]]:
    """The weights file's tensors and metadata, from its header alone, each tensor's bytes checked against
    its dtype and shape and against the file's size: nothing is allocated for what a header claims."""
    def bad(what: str) -> DamagedModelError:
        return DamagedModelError(f"{file}: {what}")

    size = file.stat().st_size
    if size < 8:
        raise bad(f"{size} bytes is too short for a safetensors file (truncated)")
    with open(file, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n > min(MAX_HEADER, size - 8):
            raise bad(f"the header claims {n:,} bytes and the file holds {size - 8:,} after the length field: "
                      "truncated, or not a safetensors file")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad("the header is not JSON: damaged, or not a safetensors file") from None
    if not isinstance(header, dict):
        raise bad(f"the header holds {_what(header)}, not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("the header's __metadata__ must map names to strings")
    tensors = {name: _entry(name, meta, bad) for name, meta in header.items()}
    _check_layout(tensors, size - 8 - n, bad)
    return tensors, metadata


def _entry(name: str, meta: Any, bad) -> TensorEntry:
    """One header entry, its byte span checked against dtype x shape (Python integers: no overflow)."""
    if not isinstance(meta, dict) or meta.get("dtype") not in DTYPE_BYTES:
        raise bad(f"tensor {name!r} has no known dtype ({meta.get('dtype') if isinstance(meta, dict) else meta!r})")
    shape, offsets = meta.get("shape"), meta.get("data_offsets")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise bad(f"tensor {name!r} has no valid shape ({shape!r})")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) and o >= 0 for o in offsets) \
            or offsets[0] > offsets[1]:
        raise bad(f"tensor {name!r} has no valid data_offsets ({offsets!r})")
    need = math.prod(shape) * DTYPE_BYTES[meta["dtype"]]
    if offsets[1] - offsets[0] != need:
        raise bad(f"tensor {name!r} ({meta['dtype']} {shape}) needs {need:,} bytes; its offsets span "
                  f"{offsets[1] - offsets[0]:,}")
    return TensorEntry(meta["dtype"], tuple(shape), offsets[0], offsets[1])


def _check_layout(tensors: dict[str, TensorEntry], data: int, bad) -> None:
    """The tensors must tile the `data` bytes after the header: no gap, no overlap, nothing missing."""
    end = 0
    for name, t in sorted(tensors.items(), key=lambda item: (item[1].start, item[1].end)):
        if t.start != end:
            raise bad(f"tensor {name!r} starts at byte {t.start:,} of the data, not {end:,} (overlap or gap)")
        end = t.end
    if end > data:
        raise bad(f"truncated: its tensors need {end:,} bytes of data and the file holds {data:,}")
    if end < data:
        raise bad(f"{data - end:,} bytes follow the last tensor: not a file textrnn wrote")


def check_fits(model: dict[str, Any], schema: TaskSchema, tensors: dict[str, TensorEntry], file: Path) -> None:
    """Every size config.json gives is one tensor's dimension, and no model has more layers than tensors.
    Necessary, not sufficient (textrnn.model_weights compares exactly): it keeps a damaged config from making torch
    build a model far larger than the weights file before the two are compared."""
    largest = max((d for t in tensors.values() for d in t.shape), default=0)
    for key in (*schema.sides.values(), *schema.sizes, *schema.counts):
        limit = len(tensors) if key == "num_layers" else largest
        if model.get(key, 0) > limit:
            what = "tensors in all" if key == "num_layers" else "as its largest tensor dimension"
            raise DamagedModelError(f"{file}: model.{key} is {model[key]:,}, but {WEIGHTS} has {limit:,} {what}: "
                                    "config.json does not describe these weights")
