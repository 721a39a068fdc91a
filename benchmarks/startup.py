"""Start-up: `textrnn predict` beside loading exactly the libraries it needs, per model; and `--help`.

What a model needs: torch and safetensors (the weights); its tokenizer's library, set up as the tokenizer
sets it up (spaCy: `spacy.blank(lang)`, which imports the language's rules and compiles them; NLTK: its
tokenizer; char and whitespace: nothing); and the command line's own (typer, which imports pydantic's
TypeAdapter to read options, and rich). Each command runs --runs times; the least wall time and the least
CPU time (user + system, the steadier figure on a shared machine) are kept. Two ratios per model:
predict over the plain imports (`import torch, safetensors.torch, spacy`) and over everything it needs.

Python's bytecode cache is on, as after `pip install` (which compiles every module): with
PYTHONDONTWRITEBYTECODE=1, each start compiles textrnn's own sources again. One untimed run of each command
comes first, to write the cache.

    python benchmarks/startup.py [--runs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, report

BUNDLED = ("everyday-english", "spam", "sentiment")
TOKENIZER_LIBRARIES = {"spacy": "spacy", "nltk": "nltk"}  # char and whitespace need none
SET_UP = {"spacy": "spacy.blank({lang!r})", "nltk": "nltk.tokenize.NLTKWordTokenizer()"}
CLI = "import typer, rich.console; from pydantic import TypeAdapter"


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO, env=ENV)


def best_of(commands: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds) of each command, each the least of `runs` runs after an untimed one. The
    commands take turns, so that a change in the machine's load falls on all of them alike."""
    for cmd in commands:
        run(cmd)
    best = [(float("inf"), float("inf")) for _ in commands]
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            run(cmd)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            best[i] = (min(best[i][0], time.perf_counter() - start), min(best[i][1], cpu))
    return best


def needed(model: str) -> tuple[str, str]:
    """Python code importing what predicting with `model` needs: (the imports alone, the imports with the
    tokenizers set up and the command line's libraries), from its config.json's tokenizer specs."""
    from textrnn import checkpoint

    specs = list(checkpoint.read_config(model).get("tokenizers", {}).values())
    libraries = ["torch", "safetensors.torch", *sorted({TOKENIZER_LIBRARIES[s["name"]] for s in specs
                                                        if s["name"] in TOKENIZER_LIBRARIES})]
    imports = "import " + ", ".join(libraries)
    set_up = [SET_UP[s["name"]].format(lang=s.get("lang", "en")) for s in specs if s["name"] in SET_UP]
    return imports, "; ".join([imports, *dict.fromkeys(set_up), CLI])


def char_model(folder: Path) -> str:
    """A small character-level language model, trained for one epoch on one file of everyday-english."""
    out = folder / "char-lm"
    run([sys.executable, "-m", "textrnn", "train", "lm", "corpora/everyday-english/weather.txt", "-o", str(out),
         "--tokenizer", "char", "--hidden-size", "128", "--layers", "1", "--epochs", "1", "-qq"])
    return str(out)


def measure(name: str, model: str, runs: int) -> dict:
    imports, needs = needed(model)
    predict, full, bare = best_of([[sys.executable, "-m", "textrnn", "predict", "-m", model, "I love eating"],
                                   [sys.executable, "-c", needs], [sys.executable, "-c", imports]], runs)
    check = (f"import sys; from textrnn_cli.app import app\ntry: app(['predict', '-m', {model!r}, 'hi'])\n"
             "except SystemExit: pass\nprint('spacy' in sys.modules)")
    spacy = run([sys.executable, "-c", check]).stdout.split()[-1]
    return {f"{name}_needs": needs, f"{name}_predict_imports_spacy": spacy,
            f"{name}_predict_s": predict[0], f"{name}_needs_s": full[0], f"{name}_imports_s": bare[0],
            f"{name}_predict_over_needs": predict[0] / full[0], f"{name}_predict_over_imports": predict[0] / bare[0],
            f"{name}_predict_cpu_s": predict[1], f"{name}_needs_cpu_s": full[1], f"{name}_imports_cpu_s": bare[1],
            f"{name}_predict_over_needs_cpu": predict[1] / full[1],
            f"{name}_predict_over_imports_cpu": predict[1] / bare[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in [*((m, m) for m in BUNDLED), ("char", char_model(Path(tmp)))]:
            figures.update(measure(name, model, args.runs))
    (torch_s, _), (help_s, _) = best_of([[sys.executable, "-c", "import torch"],
                                         [sys.executable, "-m", "textrnn", "--help"]], args.runs)
    figures["import_torch_s"], figures["textrnn_help_s"] = torch_s, help_s
    report(figures, args.json)


if __name__ == "__main__":
    main()
