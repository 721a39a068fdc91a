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
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textrnn import model_dir
from textrnn._version import __version__
from textrnn.atomic_dir import journal_path, recover, replace_dir, staging_dir
from textrnn.errors import ModelError, ModelNotFound
from textrnn.model_dir import CONFIG, FORMAT_VERSION, WEIGHTS

if TYPE_CHECKING:
    import torch

    from textrnn.text import Tokenizer, Vocab

METRICS = "metrics.jsonl"


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
    """The model's config.json, after the whole directory passed model_dir.check (config, vocabularies,
    weights header). No torch."""
    return model_dir.check(resolve(path)).config


def read_saved(path: str | os.PathLike) -> "Saved":
    """Everything in a model directory but the weights' tensors, checked. No torch."""
    checked = model_dir.check(resolve(path))
    return _saved(checked)


def parameter_count(path: str | os.PathLike) -> int:
    """Count parameters from the safetensors header, without torch."""
    tensors, _ = model_dir.read_header(Path(path) / WEIGHTS)
    return sum(math.prod(t.shape) for t in tensors.values())


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

    from textrnn.writing import replace_file

    load(path)  # the whole model checked: a damaged one is refused, never rewritten
    file = resolve(path) / WEIGHTS
    before = file.stat().st_size
    with safe_open(str(file), framework="pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tensors = {k: t.half() if t.dtype == torch.float32 else t for k, t in tensors.items()}
    replace_file(file, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))  # whole or not at all
    return before, file.stat().st_size


def weights_dtype(path: str | os.PathLike) -> str:
    """How the weights are stored ('F32', 'F16' ...), from the safetensors header; no torch."""
    tensors, _ = model_dir.read_header(Path(path) / WEIGHTS)
    return ", ".join(sorted({t.dtype for t in tensors.values()}))


def load(path: str | os.PathLike, device: str = "cpu") -> tuple["torch.nn.Module", Saved]:
    """Rebuild the model from config.json and load its safetensors weights onto `device` (CPU by default).
    The directory is checked first (model_dir), then the weights against the model (model_weights)."""
    from textrnn import model_weights

    checked = model_dir.check(resolve(path))
    saved = _saved(checked)
    model = model_weights.build(checked)
    model_weights.load_weights(model, checked, device)
    model.to(device).eval()
    return model, saved


def _saved(checked: model_dir.Checked) -> Saved:
    from textrnn.text import Vocab

    return saved_from_config(checked.config, {side: Vocab.from_dict(doc) for side, doc in checked.vocabs.items()})


def saved_from_config(config: dict[str, Any], vocabs: dict[str, "Vocab"]) -> Saved:
    model_config = dict(config["model"])
    kind = model_config.pop("kind")
    return Saved(task=config["task"], model_kind=kind, model_config=model_config,
                 tokenizers=config.get("tokenizers", {}), vocabs=vocabs, labels=config.get("labels"),
                 training=config.get("training") or {}, metrics=config.get("metrics") or {})
