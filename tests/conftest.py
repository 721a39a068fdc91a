"""Shared fixtures: an isolated cache, tiny corpora written by the tests, a CLI runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# A job that a non-interactive shell starts in the background (`cmd &`, nohup, some CI runners) inherits SIGINT
# ignored, and Python then installs no KeyboardInterrupt handler, in this process or in the ones it starts: the
# Ctrl-C tests (in-process and real processes) need the handler a terminal would give.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own corpus cache, so no test sees another's cached tokens."""
    monkeypatch.setenv("TEXTRNN_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not present at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def cli(runner):
    """Invoke the CLI in-process: cli("tokenize", "hi") -> Result (exit_code, stdout, stderr)."""
    from textrnn_cli.app import app

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return runner.invoke(app, list(args), input=input, env=env)

    return invoke


def run_textrnn(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 300,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m textrnn` as a real process (pipes, exit codes, signals as a user sees them)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "textrnn", *args], input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


@pytest.fixture
def textrnn_proc():
    return run_textrnn


LM_TEXT = """I love eating pasta with my family on Sundays.
We are going to the market to buy fresh bread.
The weather today is sunny and warm.
My sister loves eating apples and cheese.
They went to the station to catch the early train.
The weather today is cold, so wear a coat.
I love eating rice with vegetables.
She is going to the office after lunch.
"""


@pytest.fixture
def lm_corpus(tmp_path) -> Path:
    path = tmp_path / "lm.txt"
    path.write_text(LM_TEXT * 30, encoding="utf-8")
    return path


def one_line_error(result, code: int, *fragments: str) -> str:
    """Assert a failure the README's way: exit `code`, one `textrnn:` line on stderr holding every fragment,
    no traceback. Takes a CliRunner result or a finished subprocess; returns the line."""
    got = result.returncode if hasattr(result, "returncode") else result.exit_code
    assert got == code, (got, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.startswith("textrnn:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# A language model small enough to train in well under a second per epoch, saving every epoch.
QUICK_LM = ["--tokenizer", "whitespace", "--hidden-size", "8", "--embedding-size", "8", "--layers", "1",
            "--batch-size", "4", "--bptt", "8", "--seed", "3", "--quiet"]


@pytest.fixture
def quick_env(tmp_path) -> dict:
    """Environment for real training processes: one thread (the machine is shared), a private cache."""
    return {"OMP_NUM_THREADS": "1", "TEXTRNN_CACHE": str(tmp_path / "cache")}
