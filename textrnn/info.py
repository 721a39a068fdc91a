"""Describe a model directory from its config.json and file headers alone: no torch import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textrnn import checkpoint, model_dir


def describe(model: str | Path) -> dict[str, Any]:
    """The facts `textrnn info` shows, from a directory model_dir.check has passed (a damaged one is refused)."""
    path = checkpoint.resolve(model)
    checked = model_dir.check(path)
    config = checked.config
    arch = dict(config["model"])
    for name in ("embedding_dropout", "output_dropout"):  # saved before each had its own setting: as dropout
        if "dropout" in arch:
            arch.setdefault(name, arch["dropout"])
    vocab_sizes = {side: len(doc["tokens"]) + 4 for side, doc in checked.vocabs.items()}
    training = config.get("training") or {}
    facts: dict[str, Any] = {
        "path": str(path),
        "task": config["task"],
        "architecture": arch,
        "parameters": checkpoint.parameter_count(path),
        "vocabulary": vocab_sizes,
        "tokenizer": {side: spec["name"] + (f" ({spec.get('lang')})" if spec["name"] == "spacy" else "")
                      + (", lowercased" if spec.get("lowercase") else "")
                      for side, spec in config.get("tokenizers", {}).items()},
        "weights": checkpoint.weights_dtype(path),
        "trained_on": training.get("corpus", "?"),
        "metrics": config.get("metrics") or {},
        "format_version": config["format_version"],
        "textrnn_version": config.get("textrnn_version", "?"),
        "size_bytes": sum(f.stat().st_size for f in path.iterdir() if f.is_file()),
    }
    if config.get("labels"):
        facts["labels"] = config["labels"]
    # computed_in: float32 or bfloat16 (--precision); distributed: processes, backend, batch per process and the
    # effective batch (textrnn.distributed)
    for key in ("epochs_run", "best_epoch", "seconds_total", "run_seconds", "train_tokens", "computed_in",
                "distributed"):
        if key in training:
            facts.setdefault("training", {})[key] = training[key]
    card = path / "README.md"
    if card.is_file():
        facts["model_card"] = card.read_text(encoding="utf-8")
    return facts
