"""Model registry: stable string keys (written into saved models) -> model classes.

Every model takes one frozen config dataclass and its `forward(batch)` returns `(output, loss)`.
"""

from __future__ import annotations

from dataclasses import fields
from importlib import import_module
from typing import Any

from textrnn.errors import ConfigError, UnknownNameError

# kind -> "module:Class"; imported on demand so that importing textrnn does not import torch.
MODELS: dict[str, str] = {
    "language_model": "textrnn.models.language_model:LanguageModel",
    "classifier": "textrnn.models.classifier:Classifier",
    "seq2seq": "textrnn.models.seq2seq:Seq2Seq",
}


def model_class(kind: str):
    try:
        module, cls = MODELS[kind].split(":")
    except KeyError:
        raise UnknownNameError("model kind", kind, list(MODELS)) from None
    return getattr(import_module(module), cls)


def build_model(kind: str, config: dict[str, Any], device: str = "cpu", optimizer: str | None = None):
    """Instantiate a model from its kind and a plain dict (as read back from config.json), on the CPU.

    A model too large for `device`'s memory is refused before it is allocated (textrnn.models.memory):
    with `optimizer`, the model is for training with it, and the optimizer's memory is counted too.
    """
    from textrnn.models.memory import check_fits

    cls = model_class(kind)
    known = {f.name for f in fields(cls.Config)}
    unknown = set(config) - known
    if unknown:
        raise ConfigError(f"{kind} config has unknown fields: {', '.join(sorted(unknown))}")
    model_config = cls.Config(**config)
    check_fits(cls, model_config, device, optimizer)
    return cls(model_config)
