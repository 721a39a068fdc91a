"""The corpora bundled with textrnn (written for the project): where they are and what they hold."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from textrnn.errors import UnknownNameError


@dataclass(frozen=True)
class Corpus:
    name: str
    task: str
    format: str
    description: str
    files: tuple[Path, ...]

    @property
    def examples(self) -> int:
        return sum(sum(1 for line in f.open(encoding="utf-8") if line.strip()) for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def corpora_root() -> Path:
    import textrnn_corpora

    return Path(textrnn_corpora.__file__).parent


def list_corpora() -> list[Corpus]:
    root = corpora_root()
    manifest = json.loads((root / "corpora.json").read_text(encoding="utf-8"))
    return [Corpus(name, m["task"], m["format"], m["description"], tuple(sorted((root / name).glob(m["files"]))))
            for name, m in manifest.items()]


def get_corpus(name: str) -> Corpus:
    found = {c.name: c for c in list_corpora()}
    if name not in found:
        raise UnknownNameError("corpus", name, list(found))
    return found[name]
