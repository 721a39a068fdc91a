"""Typed exceptions: the only ones textrnn raises on purpose; the CLI maps each to a message and exit code."""

from __future__ import annotations


class TextrnnError(Exception):
    """Base class. `hint` says what the user can do next."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class InputError(TextrnnError):
    """Bad input from the user: an empty prompt, a bad option value."""


class CorpusError(TextrnnError):
    """A corpus that cannot be read or is unusable (missing, undecodable, empty, malformed)."""


class CorpusNotFound(CorpusError):
    """The corpus path does not exist."""


class ColumnError(CorpusError):
    """A text, label or target column that is not in the data."""


class UnknownNameError(TextrnnError):
    """A name looked up in a registry (tokenizer, cell, model kind ...) that does not exist."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        super().__init__(f"unknown {kind} {name!r}; valid names: {', '.join(sorted(valid))}")
        self.kind, self.name, self.valid = kind, name, list(valid)


class ConfigError(TextrnnError):
    """An invalid model or training configuration."""


class ModelError(TextrnnError):
    """A model directory that cannot be loaded (missing files, bad format)."""


class ModelNotFound(ModelError):
    """No model directory or bundled model of that name."""


class DamagedModelError(ModelError):
    """A file of a model directory that is not what textrnn writes: not JSON, a key missing or of the wrong
    type, a truncated weights file, a vocabulary or tensor that does not fit config.json, NaN weights, a path
    that leads out of the directory. The message names the file."""


class FormatVersionError(ModelError):
    """A model saved by a newer textrnn than this one."""


class WrongTaskError(TextrnnError):
    """A model of one task given to a command of another (a classifier to `generate`)."""


class OutputExistsError(TextrnnError):
    """The output directory exists and neither overwrite nor resume was asked for."""


class OutputLockedError(OutputExistsError):
    """Another training holds the output directory's lock."""


class OutputError(TextrnnError):
    """The output cannot be written: a full disk, a read-only file system, a file where a folder should be."""


class HubError(TextrnnError):
    """A Hugging Face hub dataset that cannot be reached or loaded."""


class TrainingError(TextrnnError):
    """Training cannot go on (a NaN loss, a corpus too small for the batch layout)."""


class MissingDependencyError(TextrnnError):
    """An optional library is needed for this feature and is not installed."""
