"""The command line: help and wiring, output modes, and every error a user can hit (one line, non-zero exit)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import run_textrnn

HEAVY = ("torch", "spacy", "nltk", "datasets")


def test_help_imports_no_heavy_library():
    code = ("import sys; from textrnn_cli.app import app\n"
            "try:\n    app(['--help'], prog_name='textrnn')\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_info_reads_a_model_without_importing_torch(tmp_path):
    from test_checkpoint import _saved

    from textrnn import checkpoint

    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    code = ("import sys; from textrnn_cli.app import app\n"
            f"try:\n    app(['info', {str(tmp_path / 'm')!r}, '--json'], prog_name='textrnn')\n"
            "except SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert json.loads(out[0])["parameters"] == sum(p.numel() for p in model.parameters())
    assert out[-1] == "[]"


def test_version_and_python_dash_m():
    from textrnn._version import __version__

    result = run_textrnn("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"textrnn {__version__}"


def test_every_command_has_help(cli):
    for args in (["tokenize"], ["vocab", "build"], ["vocab", "show"], ["info"], ["corpora", "list"], ["train", "lm"],
                 ["predict"], ["generate"], ["evaluate"], ["trace"], ["gradients"]):
        result = cli(*args, "--help")
        assert result.exit_code == 0, args
        assert "Example:" in result.stdout, args


def test_tokenize_plain_json_and_stdin(cli):
    result = cli("tokenize", "Don't stop believing, Mr. Smith!", "--tokenizer", "spacy")
    assert result.exit_code == 0
    assert result.stdout == "Do n't stop believing , Mr. Smith !\n"
    result = cli("tokenize", "Hello, world!", "--json")
    assert json.loads(result.stdout) == {"text": "Hello, world!", "tokens": ["Hello", ",", "world", "!"]}
    result = cli("tokenize", "-", "-t", "char", input="ab c\nd\n")
    assert result.stdout.splitlines() == ["a b   c", "d"]


def test_tokenize_through_a_real_pipe():
    result = run_textrnn("tokenize", "-", "--tokenizer", "nltk", input="It's fine.\n")
    assert result.returncode == 0 and result.stdout == "It 's fine .\n" and result.stderr == ""


def test_vocab_build_and_show(cli, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat\nthe dog sat\nthe end\n", encoding="utf-8")
    out = tmp_path / "v.json"
    result = cli("vocab", "build", str(corpus), "-o", str(out), "--tokenizer", "whitespace", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["size"] == 4 + 5 and report["token_coverage"] == 1.0
    assert report["top"][:2] == [{"token": "the", "count": 3}, {"token": "sat", "count": 2}]
    result = cli("vocab", "build", str(corpus), "-o", str(out), "--tokenizer", "whitespace", "--min-freq", "2")
    assert "oov_rate\t0.3750" in result.stdout  # cat, dog, end: 3 of 8 tokens
    result = cli("vocab", "show", str(out), "--top", "1")
    assert result.exit_code == 0 and "the\t3" in result.stdout


def test_corpora_list(cli):
    result = cli("corpora", "list", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    names = {r["name"]: r for r in rows}
    assert {"everyday-english", "sms-spam-like", "reviews", "en-fr"} <= set(names)
    assert names["everyday-english"]["task"] == "lm" and names["everyday-english"]["examples"] > 1000


def _one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("textrnn: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_error_missing_file(cli, tmp_path):
    _one_line_error(cli("vocab", "build", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "v.json")), 3,
                    "no such file or folder")


def test_error_undecodable_file(cli, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"fine\ncaf\xe9\n")
    _one_line_error(cli("vocab", "build", str(bad), "-o", str(tmp_path / "v.json")), 4, "line 2: not valid UTF-8",
                    "--encoding-errors replace")
    result = cli("vocab", "build", str(bad), "-o", str(tmp_path / "v.json"), "--encoding-errors", "replace")
    assert result.exit_code == 0 and "warning:" in result.stderr


def test_error_empty_corpus(cli, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    _one_line_error(cli("vocab", "build", str(empty), "-o", str(tmp_path / "v.json")), 4, "the corpus is empty")


def test_error_unknown_tokenizer_lists_valid_names(cli):
    _one_line_error(cli("tokenize", "hi", "--tokenizer", "bpe"), 2, "valid names: char, nltk, spacy, whitespace")


def test_error_model_directory_missing_a_file_or_newer(cli, tmp_path):
    from test_checkpoint import _saved

    from textrnn import checkpoint

    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    result = cli("info", str(tmp_path / "m"), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["task"] == "lm"
    (tmp_path / "m" / "model.safetensors").unlink()
    _one_line_error(cli("info", str(tmp_path / "m")), 5, "model.safetensors is missing")
    checkpoint.save(tmp_path / "n", model, saved)
    cfg = json.loads((tmp_path / "n" / "config.json").read_text())
    cfg["format_version"] = 99
    (tmp_path / "n" / "config.json").write_text(json.dumps(cfg))
    _one_line_error(cli("predict", "hello", "-m", str(tmp_path / "n")), 5, "model format 99", "upgrade textrnn")
    _one_line_error(cli("info", str(tmp_path / "absent")), 3, "no model directory or bundled model")


def test_error_hub_name_while_offline(tmp_path):
    result = run_textrnn("vocab", "build", "hf:someone/no-such-dataset", "-o", str(tmp_path / "v.json"),
                         env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "", "HF_DATASETS_OFFLINE": "",
                              "TEXTRNN_CACHE": str(tmp_path / "cache")}, timeout=120)
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "not in the local cache" in result.stderr


def test_debug_variable_shows_the_traceback(tmp_path):
    result = run_textrnn("tokenize", "x", "--tokenizer", "bpe", env={"TEXTRNN_DEBUG": "1"})
    assert result.returncode != 0 and "Traceback" in result.stderr and "UnknownNameError" in result.stderr


def in_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run `python -m textrnn ARGS` with stdout and stderr on a pseudo-terminal, as a user's shell does;
    everything it wrote, as text."""
    import os
    import pty

    controller, terminal = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    proc = subprocess.Popen([sys.executable, "-m", "textrnn", *args], stdin=subprocess.DEVNULL, stdout=terminal,
                            stderr=terminal, env={**base, "TERM": "xterm-256color", **env})
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def colours(text: str) -> set[str]:
    """The colour codes among the SGR escape sequences of `text` (bold and the like are not colour)."""
    import re

    codes = {c for params in re.findall(r"\x1b\[([0-9;]*)m", text) for c in params.split(";") if c}
    return {c for c in codes if c.isdigit() and (30 <= int(c) <= 49 or 90 <= int(c) <= 107)}


def test_no_color_is_plain(tmp_path):
    """In a terminal the result table and the warning on stderr are coloured; NO_COLOR takes the colour away."""
    text = tmp_path / "oov.txt"
    text.write_text("I love zorblax and quibbit with flumious grinty.\n" * 5, encoding="utf-8")
    args = ("evaluate", "everyday-english", str(text))
    coloured, plain = in_a_terminal(*args, env={}), in_a_terminal(*args, env={"NO_COLOR": "1"})
    assert "warning:" in coloured and "warning:" in plain and "perplexity" in plain
    assert colours(coloured), "no colour in a terminal: this test would not see NO_COLOR work"
    assert not colours(plain), repr(plain)
