"""Tests that search: random bytes, texts, option values and damage to saved models, through every command.

The property, whatever the input: the exit code is 0 or one of the README's errors table, and stderr holds no
traceback. Each test runs a fixed number of examples so that CI stays bounded; set
TEXTRNN_PROPERTY_EXAMPLES=500 (say) for a longer search. Hypothesis prints the smallest failing input.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the property suite needs hypothesis (pip install -e '.[dev]')")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_errors_table import table  # noqa: E402

EXAMPLES = int(os.environ.get("TEXTRNN_PROPERTY_EXAMPLES", "12"))
SEARCH = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("TEXTRNN_PROPERTY_EXAMPLES"),
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CODES = {0} | set(table())
TINY_TRAIN = ["--hidden-size", "8", "--embedding-size", "8", "--layers", "1", "--batch-size", "4", "--epochs", "1",
              "--quiet"]

# Values a user might type, well-formed or not.
numbers = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["", "x", "1e400", "-0", "0x10", "nan", "٣"])).map(str)
small_ints = st.one_of(st.integers(-5, 200_000), st.sampled_from(["", "many", "1.5"])).map(str)
texts = st.one_of(st.text(max_size=200), st.sampled_from(["", "\ufeff", "\u200b", " \t ", "caf\udce9"]))
raw = st.binary(max_size=400)


def run(*args: str, input: bytes | str | None = None):
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    if isinstance(input, str):
        input = input.encode("utf-8", "surrogateescape")
    return CliRunner().invoke(app, list(args), input=input)


def holds(result) -> None:
    """The property: a known exit code and no traceback (CliRunner keeps an escaped exception in .exception)."""
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"{type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in CODES, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr


def options(pairs: dict[str, str]) -> list[str]:
    return [part for name, value in pairs.items() for part in (name, value)]


# Running models ---------------------------------------------------------------------------------

@SEARCH
@given(prompt=texts, values=st.fixed_dictionaries({}, optional={
    "--tokens": small_ints, "--temperature": numbers, "--top-k": small_ints, "--top-p": numbers,
    "--beam": st.integers(-3, 3).map(str), "--seed": numbers, "--until": st.sampled_from(["line", "x", ""])}))
def test_generate(prompt, values):
    holds(run("generate", prompt, "--tokens", "5", *options(values)))


@SEARCH
@given(model=st.sampled_from(["everyday-english", "spam", "sentiment", "en-fr"]), stdin=raw,
       values=st.fixed_dictionaries({}, optional={"--top": small_ints, "--beam": st.integers(-3, 8).map(str),
                                                   "--device": st.sampled_from(["cpu", "auto", "cuda", "tpu", ""])}))
def test_predict_from_stdin(model, stdin, values):
    holds(run("predict", "-m", model, *options(values), input=stdin))


@SEARCH
@given(text=texts, tokenizer=st.sampled_from(["spacy", "nltk", "char", "whitespace", "sentencepiece"]))
def test_tokenize(text, tokenizer):
    holds(run("tokenize", "-t", tokenizer, input=text))


@SEARCH
@given(model=st.sampled_from(["everyday-english", "spam", "en-fr"]), data=raw,
       suffix=st.sampled_from([".tsv", ".csv", ".jsonl", ".txt", ""]),
       values=st.fixed_dictionaries({}, optional={"--text-column": st.sampled_from(["0", "1", "text", "9"]),
                                                   "--label-map": st.sampled_from(["0=neg", "=", "a=b,c", ""])}))
def test_evaluate_any_file(model, data, suffix, values):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"data{suffix}"
        path.write_bytes(data)
        holds(run("evaluate", model, str(path), *options(values)))


# Training ---------------------------------------------------------------------------------------

@settings(SEARCH, max_examples=max(3, EXAMPLES // 2))
@given(task=st.sampled_from(["lm", "classify"]), data=raw, values=st.fixed_dictionaries({}, optional={
    "--lr": numbers, "--dropout": numbers, "--patience": small_ints, "--bptt": small_ints, "--seed": numbers,
    "--tokenizer": st.sampled_from(["char", "whitespace", "bpe"]), "--cell": st.sampled_from(["gru", "rnn", "x"])}))
def test_train_on_any_bytes(task, data, values):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_bytes(data)
        if task == "classify":
            values.pop("--bptt", None)
        holds(run("train", task, str(corpus), "-o", str(Path(tmp) / "model"), *TINY_TRAIN, *options(values)))


# Damaged model directories ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_models(tmp_path_factory) -> dict[str, Path]:
    """A tiny language model trained here, and a copy of the bundled classifier."""
    from textrnn.checkpoint import resolve

    root = tmp_path_factory.mktemp("models")
    corpus = root / "lm.txt"
    corpus.write_text("we are going to the market to buy fresh bread .\n" * 40, encoding="utf-8")
    result = run("train", "lm", str(corpus), "-o", str(root / "lm"), "--tokenizer", "whitespace", "--bptt", "8",
                 *TINY_TRAIN)
    assert result.exit_code == 0, result.stderr
    shutil.copytree(resolve("spam"), root / "spam")
    return {"lm": root / "lm", "spam": root / "spam"}


def _damage(model: Path, file: str, how: str, where: float, value) -> None:
    path = model / file
    data = path.read_bytes()
    at = int(where * len(data))
    if how == "truncate":
        path.write_bytes(data[:at])
    elif how == "flip":
        path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:] if at < len(data) else data + b"\0")
    elif file.endswith(".json"):
        doc = json.loads(data)
        keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
        key = keys[at % len(keys)] if keys else None
        if key is not None and how == "drop":
            del doc[key]
        elif key is not None:  # "mistype"
            doc[key] = value
        path.write_text(json.dumps(doc), encoding="utf-8")


@SEARCH
@given(which=st.sampled_from(["lm", "spam"]),
       file=st.sampled_from(["model.safetensors", "config.json", "vocab.json", "labels.json"]),
       how=st.sampled_from(["truncate", "flip", "drop", "mistype"]), where=st.floats(0, 1),
       value=st.one_of(st.none(), st.integers(-2**40, 2**40), st.text(max_size=5), st.lists(st.integers(), max_size=3),
                       st.floats(allow_nan=True)),
       command=st.sampled_from(["predict", "info", "generate", "evaluate"]))
def test_damaged_model_directory(small_models, which, file, how, where, value, command):
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / which
        shutil.copytree(small_models[which], model)
        if not (model / file).is_file():
            return
        _damage(model, file, how, where, value)
        if command == "info":
            result = run("info", str(model))
        elif command == "evaluate":
            data = Path(tmp) / "data.tsv"
            data.write_text("ham\thello there\nspam\tWIN a prize now\n", encoding="utf-8")
            result = run("evaluate", str(model), str(data))
        else:
            result = run(command, "-m", str(model), "hello there")
        holds(result)
