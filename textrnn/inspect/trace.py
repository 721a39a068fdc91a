"""`trace`: a saved model reading a text one token at a time, with its hidden states, how much each step
changed them, its gates, and what it would say at every step. Nothing is retrained; the model is used as
it was saved, in eval mode.

    >>> from textrnn.inspect import trace
    >>> t = trace("I love eating", model="everyday-english", gates=True)
    >>> t.readings[0].tokens, t.readings[0].tracks[-1].states.shape   # (['I', 'love', 'eating'], (3, 256))
    >>> t.readings[0].predictions[-1]["next"][0]                        # {'token': ..., 'probability': ...}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textrnn.inspect.gates import GATES
from textrnn.inspect.readers import MAX_STEPS, Reading

__all__ = ["MAX_STEPS", "Trace", "Tracer", "trace"]


@dataclass
class Trace:
    """What a model did with one text. readings: one for a language model or a classifier; a translator's
    source (encoder) then its output (decoder). gates: the gate names computed, () when not asked for or
    when the cell (a plain RNN) has none."""

    model: str
    task: str
    cell: str
    text: str
    readings: list[Reading]
    gates: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """Every figure per step, as plain JSON-ready values rounded to `digits` decimals: the state of
        every track, its change and kept share, each gate's mean and per-unit values, the prediction."""
        return {"model": self.model, "task": self.task, "cell": self.cell, "text": self.text,
                "gates": list(self.gates), "notes": self.notes,
                "readings": [_reading_dict(r, digits) for r in self.readings]}


def _reading_dict(reading: Reading, digits: int) -> dict[str, Any]:
    figures = []
    for track in reading.tracks:
        means = track.gate_means()
        figures.append((track.name, track.change, track.kept, means, track))
    steps = []
    for t, token in enumerate(reading.tokens):
        tracks = {}
        for name, change, kept, means, track in figures:
            entry = {"state": _round(track.states[t], digits), "change": round(float(change[t]), digits),
                     "kept": round(float(kept[t]), digits)}
            if track.gates:
                entry["gates"] = {g: {"mean": round(float(means[g][t]), digits),
                                      "units": _round(track.gates[g][t], digits)} for g in track.gates}
            if track.memory is not None:
                entry["memory"] = _round(track.memory[t], digits)
            tracks[name] = entry
        steps.append({"step": t + 1, "token": token, "unknown": bool(reading.unknown[t]) if reading.unknown else False,
                      "tracks": tracks, "prediction": _rounded(reading.predictions[t], digits)})
    out = {"role": reading.role, "tokens": reading.tokens, "tracks": [f[0] for f in figures],
           "units": {t.name: int(t.states.shape[1]) for t in reading.tracks}, "steps": steps}
    if reading.source:
        out["source"] = reading.source
    return out


def _round(values, digits: int) -> list[float]:
    return [round(float(v), digits) for v in values]


def _rounded(value, digits: int):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


class Tracer:
    """A loaded model (any task) ready to trace texts; loads once for many."""

    def __init__(self, model: str | Path = "everyday-english", device: str = "cpu") -> None:
        from importlib import import_module

        from textrnn import checkpoint
        from textrnn.inspect.readers import READERS

        self.name = str(model)
        self.task = checkpoint.read_config(model)["task"]
        runner, self._read = READERS[self.task]
        module, cls = runner.split(":")
        self.runner = getattr(import_module(module), cls)(model, device)
        self.net = self.runner.net if self.task == "classify" else self.runner.model
        self.cell = self.net.config.cell

    def trace(self, text: str, gates: bool = False, k: int = 5, all_tokens: bool = False) -> Trace:
        """Read `text`. gates: also recompute the gates step by step (LSTM, GRU). k: how many next words to
        keep per step (language model, translator). all_tokens: a language model's next tokens may be
        punctuation too."""
        import torch

        with torch.inference_mode():
            readings, notes = self._read(self.runner, text, gates, k, all_tokens)
        unknown = list(dict.fromkeys(t for t, u in zip(readings[0].tokens, readings[0].unknown) if u))
        if unknown:
            notes.append(f"not in the model's vocabulary, read as <unk>: {' '.join(unknown[:10])}"
                         + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""))
        if gates and not GATES[self.cell]:
            notes.append(f"a plain RNN has no gates: every step rewrites its whole state, "
                         f"h = {self.net.config.nonlinearity}(W x + U h + b)")
        return Trace(self.name, self.task, self.cell, text, readings, GATES[self.cell] if gates else (), notes)


def trace(text: str, model: str | Path = "everyday-english", gates: bool = False, k: int = 5,
          all_tokens: bool = False, device: str = "cpu") -> Trace:
    """Load `model` and trace `text` with it: see `Tracer.trace`."""
    return Tracer(model, device).trace(text, gates, k, all_tokens)
