"""Describe a model directory from its config.json and file headers alone: no torch import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textrnn import checkpoint


def describe(model: str | Path) -> dict[str, Any]:
    path = checkpoint.resolve(model)
    config = checkpoint.read_config(path)
    arch = dict(config["model"])
    for name in ("embedding_dropout", "output_dropout"):  # saved before each had its own setting: as dropout
        if "dropout" in arch:
            arch.setdefault(name, arch["dropout"])
    vocab_sizes = {}
    for side, name in config.get("vocabs", {}).items():
        vocab_sizes[side] = len(json.loads((path / name).read_text(encoding="utf-8"))["tokens"]) + 4
    training = config.get("training", {})
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
        "metrics": config.get("metrics", {}),
        "format_version": config["format_version"],
        "textrnn_version": config.get("textrnn_version", "?"),
        "size_bytes": sum(f.stat().st_size for f in path.iterdir() if f.is_file()),
    }
    if config.get("labels"):
        facts["labels"] = config["labels"]
    for key in ("epochs_run", "best_epoch", "seconds_total", "run_seconds", "train_tokens"):
        if key in training:
            facts.setdefault("training", {})[key] = training[key]
    card = path / "README.md"
    if card.is_file():
        facts["model_card"] = card.read_text(encoding="utf-8")
    return facts
