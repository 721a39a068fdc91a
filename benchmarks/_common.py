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
