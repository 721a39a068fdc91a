"""The model directory: one self-describing folder, saved atomically and loaded without unpickling.

    MODEL_DIR/
      config.json          format version, task, model kind and config, tokenizer specs, labels,
                           training metadata, metrics, library version
      vocab*.json          one vocabulary per text side (vocab.json, or vocab-source/-target.json)
      model.safetensors    the weights (safetensors: no code can run on load)
      metrics.jsonl        one line per epoch; loss.png, the curves
      resume/              training state for --resume (weights, optimizer, RNG, counters)

Reading `config.json` (for `textrnn info`) never imports torch.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textrnn._version import __version__
from textrnn.atomic_dir import journal_path, recover, replace_dir, staging_dir
from textrnn.errors import FormatVersionError, ModelError, ModelNotFound

if TYPE_CHECKING:
    import torch

    from textrnn.text import Tokenizer, Vocab

FORMAT_VERSION = 1
CONFIG, WEIGHTS, METRICS = "config.json", "model.safetensors", "metrics.jsonl"


def bundled_root() -> Path:
    import textrnn.pretrained

    return Path(textrnn.pretrained.__file__).parent


def bundled_models() -> list[str]:
    root = bundled_root()
    return sorted(d.name for d in root.iterdir() if (d / CONFIG).is_file()) if root.is_dir() else []


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A model directory from a path or a bundled model's name (a save cut short by a crash is finished first)."""
    path = Path(name_or_path)
    if not path.is_dir() and journal_path(path).is_file():
        recover(path)
    if path.is_dir():
        return path
    if str(name_or_path) in bundled_models():
        return bundled_root() / str(name_or_path)
    if path.exists():
        raise ModelError(f"{path} is a file; a model is a directory (with {CONFIG} and {WEIGHTS})")
    raise ModelNotFound(f"no model directory or bundled model named {str(name_or_path)!r}",
                        hint=f"bundled models: {', '.join(bundled_models()) or 'none'}")


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The model's config.json, checked for format version and completeness. No torch."""
    path = resolve(path)
    cfg_path = path / CONFIG
    if not cfg_path.is_file():
        raise ModelError(f"{path} is not a textrnn model: it has no {CONFIG}")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{cfg_path} is not valid JSON ({e})") from None
    version = config.get("format_version")
    if not isinstance(version, int):
        raise ModelError(f"{cfg_path} has no format_version")
    if version > FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} was saved in model format {version} by textrnn {config.get('textrnn_version', '?')}; "
            f"this textrnn ({__version__}) reads format {FORMAT_VERSION} and older",
            hint="upgrade textrnn: pip install -U textrnn")
    for name in [WEIGHTS, *config.get("vocabs", {}).values()]:
        if not (path / name).is_file():
            raise ModelError(f"{path} is incomplete: {name} is missing")
    return config


def parameter_count(path: str | os.PathLike) -> int:
    """Count parameters from the safetensors header (8-byte length, then JSON) without torch."""
    with open(Path(path) / WEIGHTS, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    total = 0
    for key, meta in header.items():
        if key != "__metadata__":
            count = 1
            for dim in meta["shape"]:
                count *= dim
            total += count
    return total


@dataclass
class Saved:
    """Everything in a model directory but the weights' tensors."""

    task: str
    model_kind: str
    model_config: dict[str, Any]
    tokenizers: dict[str, dict[str, Any]]  # side -> tokenizer spec ("text", or "source" and "target")
    vocabs: dict[str, "Vocab"]  # side -> vocabulary
    labels: list[str] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def tokenizer(self, side: str = "text") -> "Tokenizer":
        from textrnn.text import tokenizer_from_spec

        return tokenizer_from_spec(self.tokenizers[side])


def _vocab_file(side: str) -> str:
    return "vocab.json" if side == "text" else f"vocab-{side}.json"


def save(path: str | os.PathLike, model: "torch.nn.Module", saved: Saved,
         write_extra: Callable[[Path], None] | None = None, carry: bool = True) -> Path:
    """Write the model directory atomically: build it beside the target, then swap it in (see atomic_dir).

    `write_extra(folder)` may add files (the trainer's resume state) before the swap, so they are
    published together with the weights they belong to. `carry` keeps the training run's files (KEEP) of the
    directory being replaced; a new run replacing an old model (--overwrite) passes False.
    """
    from safetensors.torch import save_model

    path = Path(path)
    tmp = staging_dir(path)
    try:
        # save_model stores tied weights (embedding = output layer) once.
        save_model(model, str(tmp / WEIGHTS), metadata={"format": "pt"})
        vocabs = {}
        for side, vocab in saved.vocabs.items():
            vocabs[side] = _vocab_file(side)
            vocab.save(tmp / vocabs[side])
        config = {
            "format_version": FORMAT_VERSION,
            "textrnn_version": __version__,
            "task": saved.task,
            "model": {"kind": saved.model_kind, **saved.model_config},
            "tokenizers": saved.tokenizers,
            "vocabs": vocabs,
            "labels": saved.labels,
            "parameters": sum(p.numel() for p in model.parameters()),
            "training": saved.training,
            "metrics": saved.metrics,
        }
        (tmp / CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if write_extra is not None:
            write_extra(tmp)
        _publish_permissions(tmp)
        if carry and path.is_dir():
            _carry_over(path, tmp)
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _publish_permissions(folder: Path) -> None:
    """mkdtemp makes a private folder; give it the permissions a normal mkdir and open would."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for f in folder.rglob("*"):
        f.chmod((0o777 if f.is_dir() else 0o666) & ~umask)


KEEP = ("resume", METRICS, "loss.png")  # written by the training loop; carried over when the model is replaced
RUN_FILES = (CONFIG, WEIGHTS, *KEEP)  # with vocab*.json and our hidden *.tmp files: all a model directory holds


CARD = "README.md"  # the model card, written by hand beside a model (textrnn info shows it)


def foreign_entries(path: Path) -> list[str]:
    """Names in `path` that textrnn does not write there (a user's own files)."""
    return sorted(p.name for p in path.iterdir() if not (
        p.name in RUN_FILES or p.name == CARD or (p.name.startswith("vocab") and p.suffix == ".json") or p.name.endswith(".tmp")
        or p.name.endswith(".tmp.png") or p.name.startswith(".resume.")))


def is_model_dir(path: Path) -> bool:
    """A directory textrnn wrote: a model, or the resume state of a run stopped before its first model."""
    for config in (path / CONFIG, path / "resume" / CONFIG):
        try:
            doc = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("format_version"), int) and "task" in doc:
            return not foreign_entries(path)
    return False


def record_run(path: str | os.PathLike, metrics: dict[str, Any] | None = None, **training: Any) -> None:
    """Add facts about the whole training run (total time, epochs run) to a saved model's config.json, and
    `metrics` measured after training (a translator's val_bleu of the best epoch)."""
    path = Path(path)
    config = read_config(path)
    config["training"].update(training)
    config.setdefault("metrics", {}).update(metrics or {})
    tmp = path / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path / CONFIG)


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (else copy) the run's files of `old` into `new`; `old` stays whole until the swap. Safe to
    share inodes: these files are only ever replaced by rename, never written in place."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for name in KEEP:
        src, dst = old / name, new / name
        if dst.exists() or not src.exists():
            continue
        if src.is_dir():
            shutil.copytree(src, dst, copy_function=link)
        else:
            link(str(src), str(dst))


def store_half(path: str | os.PathLike) -> tuple[int, int]:
    """Store a model's float32 weights as float16, in place and atomically: half the size on disk. They load
    back as float32 (the module's own dtype), so only the rounding of each weight changes. Returns the
    weights file's size before and after."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    import torch

    file = resolve(path) / WEIGHTS
    before = file.stat().st_size
    with safe_open(str(file), framework="pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tensors = {k: t.half() if t.dtype == torch.float32 else t for k, t in tensors.items()}
    tmp = file.with_name(WEIGHTS + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    os.replace(tmp, file)
    return before, file.stat().st_size


def weights_dtype(path: str | os.PathLike) -> str:
    """How the weights are stored ('F32', 'F16' ...), from the safetensors header; no torch."""
    with open(Path(path) / WEIGHTS, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return ", ".join(sorted({meta["dtype"] for key, meta in header.items() if key != "__metadata__"}))


def load(path: str | os.PathLike, device: str = "cpu") -> tuple["torch.nn.Module", Saved]:
    """Rebuild the model from config.json and load its safetensors weights onto `device` (CPU by default)."""
    from safetensors.torch import load_model

    from textrnn.models import build_model
    from textrnn.text import Vocab

    path = resolve(path)
    config = read_config(path)
    saved = saved_from_config(config, {side: Vocab.load(path / f) for side, f in config.get("vocabs", {}).items()})
    model = build_model(saved.model_kind, saved.model_config)
    try:
        load_model(model, str(path / WEIGHTS), device=str(device))
    except Exception as e:  # a truncated or mismatched weights file
        raise ModelError(f"{path / WEIGHTS} does not load: {str(e).splitlines()[0]}") from None
    model.to(device).eval()
    return model, saved


def saved_from_config(config: dict[str, Any], vocabs: dict[str, "Vocab"]) -> Saved:
    model_config = dict(config["model"])
    kind = model_config.pop("kind")
    return Saved(task=config["task"], model_kind=kind, model_config=model_config,
                 tokenizers=config.get("tokenizers", {}), vocabs=vocabs, labels=config.get("labels"),
                 training=config.get("training", {}), metrics=config.get("metrics", {}))
