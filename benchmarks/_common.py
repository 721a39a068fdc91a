"""Helpers for the benchmark scripts: where the shared data is, and printing/writing figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (the team's ../shared/data folder)")
    return path


def report(figures: dict, json_path: str | None) -> None:
    """Print figures as aligned lines; also write them as JSON when asked."""
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:,.4g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
        print(f"{key:<{width}}  {shown}")
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def imdb_text(folder: Path, train_tokens: int, valid_tokens: int, seed: int = 0,
              test_tokens: int = 0) -> tuple[Path, ...]:
    """IMDB review text for language models: whole reviews (line breaks `<br />` dropped) in a seeded order,
    one a line, until about `train_tokens` words and punctuation marks in folder/train.txt, then about
    `valid_tokens` in folder/valid.txt (and, if asked, `test_tokens` more in folder/test.txt). Read from
    ../shared/data/imdb; the files are written to `folder`."""
    import random
    import re

    rows = [json.loads(line)["text"] for line in shared("imdb", "train.jsonl").open(encoding="utf-8")]
    random.Random(seed).shuffle(rows)
    paths, start = [], 0
    wanted = [("train.txt", train_tokens), ("valid.txt", valid_tokens)]
    if test_tokens:
        wanted.append(("test.txt", test_tokens))
    for name, want in wanted:
        lines, count = [], 0
        while count < want and start < len(rows):
            text = " ".join(rows[start].replace("<br />", " ").split())
            lines.append(text)
            count += len(re.findall(r"\w+|[^\w\s]", text))
            start += 1
        paths.append(folder / name)
        paths[-1].write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return tuple(paths)
