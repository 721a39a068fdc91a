"""Start-up: `textrnn predict` imports only what the model's tokenizer needs (checked in sys.modules, not timed;
benchmarks/startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Libraries that predict must not import unless the model needs them. torch._dynamo (with sympy and pandas)
# came in through building a model on the meta device, and cost more than `import torch` itself.
UNNEEDED = ("spacy", "thinc", "nltk", "datasets", "pyarrow", "matplotlib", "torch._dynamo", "sympy", "pandas")


def _modules_after(*args: str) -> tuple[list[str], list[str]]:
    """Run the CLI with `args` in a fresh interpreter: (its stdout lines, which of UNNEEDED it imported)."""
    code = ("import sys; from textrnn_cli.app import app\n"
            f"try:\n    app({list(args)!r}, prog_name='textrnn')\nexcept SystemExit:\n    pass\n"
            f"print(json.dumps([m for m in {UNNEEDED!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                          check=True, timeout=300)
    out = done.stdout.splitlines()
    assert len(out) > 1, done.stderr
    return out[:-1], json.loads(out[-1])


def _save_model(path, tokenizer: str) -> None:
    """A tiny language model whose eight words are "w0" ... "w7" (or, for `char`, the letters a to h)."""
    from dataclasses import replace

    from test_checkpoint import _saved

    from textrnn import checkpoint
    from textrnn.text import Vocab

    model, saved = _saved()
    vocab = Vocab(list("abcdefgh")) if tokenizer == "char" else saved.vocabs["text"]
    saved = replace(saved, tokenizers={"text": {"name": tokenizer, "lang": "en", "lowercase": False}},
                    vocabs={"text": vocab})
    checkpoint.save(path, model, saved)


@pytest.mark.parametrize("tokenizer", ["char", "whitespace"])
def test_predict_with_a_tokenizer_that_needs_no_spacy_imports_none_of_it(tmp_path, tokenizer):
    _save_model(tmp_path / "m", tokenizer)
    lines, imported = _modules_after("predict", "-m", str(tmp_path / "m"), "w1 w2 abc", "--json")
    assert json.loads(lines[0])["predictions"]
    assert imported == []


def test_predict_with_a_spacy_model_imports_spacy_and_nothing_else_unneeded():
    lines, imported = _modules_after("predict", "-m", "spam", "Win a free prize now", "--json")
    assert json.loads(lines[0])["label"]
    assert imported == ["spacy", "thinc"]


def test_a_start_that_names_its_command_builds_that_command_alone():
    """Typer turns every command's signature into options at each start; main() builds only the command named
    (any other first word, --help or --version, or a misspelt command gets the whole app)."""
    import typer.main

    from textrnn_cli.app import COMMANDS, app, build

    def names(typer_app):
        return sorted(typer.main.get_command(typer_app).commands)

    assert names(app) == sorted(COMMANDS)
    assert names(build("train")) == ["train"]
    assert sorted(typer.main.get_command(build("train")).commands["train"].commands) == ["classify", "lm",
                                                                                         "translate"]


@pytest.mark.parametrize("args, code, expected", [
    (["predict", "I love eating"], 0, "ice\t"),
    (["--version"], 0, "textrnn "),
    (["prdict", "x"], 2, "Did you mean 'predict'?"),
])
def test_the_command_line_as_started_answers_as_the_whole_app(args, code, expected):
    from conftest import run_textrnn

    done = run_textrnn(*args)
    assert done.returncode == code, done.stderr
    assert expected in done.stdout + done.stderr
