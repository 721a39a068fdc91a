"""Tokenizing a large corpus in shards on several processes: the same tokens as one process, in order; a run
killed with SIGKILL starts again from the shards it finished; progress reaches the CLI."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textrnn.data import shards
from textrnn.data.corpus import cache_dir, load_corpus, tokenize_corpus
from textrnn.text import get_tokenizer

WORDS = "the quick brown fox jumps over a lazy dog , while cats sat on mats ! Don't stop ; Mr. Smith's".split()


def write_corpus(path: Path, rows: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = [f"{i} " + " ".join(rng.choices(WORDS, k=rng.randint(1, 15))) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of 500 rows, several processes from 1,000 rows: the machinery of a large corpus on a small one."""
    monkeypatch.setattr(shards, "SHARD_ROWS", 500)
    monkeypatch.setattr(shards, "PARALLEL_ROWS", 1000)


def test_plan_is_contiguous_and_set_by_the_row_count_alone(monkeypatch):
    assert shards.plan(25_000) == [(0, 10_000), (10_000, 20_000), (20_000, 25_000)]
    assert shards.plan(3) == [(0, 3)]
    big = shards.plan(50_000_000)
    assert len(big) <= shards.MAX_SHARDS and big[0] == (0, 48_829) and big[-1][1] == 50_000_000
    assert all(a[1] == b[0] for a, b in zip(big, big[1:]))
    assert shards.workers(shards.PARALLEL_ROWS - 1, 10, asked=8) == 1  # small: in this process
    assert shards.workers(10**6, 3, asked=8) == 3  # never more processes than shards


def test_workers_follow_the_cpu_affinity_not_the_machine(monkeypatch):
    import textrnn.devices as devices

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(devices, "_threads", None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert shards.workers(10**6, 100) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # --threads / OMP_NUM_THREADS lower it
    assert shards.workers(10**6, 100) == 2


def test_several_processes_give_the_single_process_tokens_in_order(tmp_path, monkeypatch, small_shards):
    """3,300 rows in 7 shards on 2 processes: the very token lists of one process and of the tokenizer itself,
    row for row; and two processes other than this one did the work."""
    import textrnn.data.tokenize_worker as worker

    corpus = write_corpus(tmp_path / "c.txt", 3300)
    tok = get_tokenizer("spacy")
    pids = tmp_path / "pids"
    real = worker.tokenize_batch

    def noting_pid(*args, **kwargs):
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "tokenize_batch", noting_pid)  # forked workers inherit it
    reports = []
    monkeypatch.setenv("TEXTRNN_CACHE", str(tmp_path / "one"))
    one = tokenize_corpus(load_corpus(str(corpus)), "text", tok, workers=1)["tokens"]
    assert set(pids.read_text().split()) == {str(os.getpid())}
    pids.unlink()
    monkeypatch.setenv("TEXTRNN_CACHE", str(tmp_path / "two"))
    two = tokenize_corpus(load_corpus(str(corpus)), "text", tok, workers=2,
                          report=lambda *r: reports.append(r))["tokens"]
    workers = set(pids.read_text().split())
    assert len(workers) == 2 and str(os.getpid()) not in workers
    lines = corpus.read_text(encoding="utf-8").splitlines()
    assert one == two == list(tok.pipe(lines))
    assert [int(t[0]) for t in two] == list(range(3300))  # each row's number leads its tokens: order kept
    assert reports[0] == ("tokenizing text", 0, 3300) and reports[-1] == ("tokenizing text", 3300, 3300)
    assert not list(cache_dir().glob("*.shards"))  # merged into one file, the shards removed


KILLED_RUN = """
import sys, time
import textrnn.data.shards as shards, textrnn.data.tokenize_worker as worker
from textrnn.data.corpus import load_corpus, tokenize_corpus
from textrnn.text import get_tokenizer
shards.SHARD_ROWS, shards.PARALLEL_ROWS, worker.BATCH = 500, 1000, 100
real = worker.tokenize_batch
def slow(*args, **kwargs):
    time.sleep(0.05)
    return real(*args, **kwargs)
worker.tokenize_batch = slow
tokenize_corpus(load_corpus(sys.argv[1]), "text", get_tokenizer("whitespace"), workers=2)
"""


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def _until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the worker processes from /proc")
def test_a_killed_run_restarts_without_redoing_finished_shards(tmp_path, monkeypatch, small_shards):
    """SIGKILL the real process once some of its 12 shards are written: its workers stop, and the next run
    tokenizes only the rows of the shards missing, leaves the finished shard files as they were, and ends with
    the tokens of a run never interrupted."""
    import textrnn.data.tokenize_worker as worker

    corpus = write_corpus(tmp_path / "c.txt", 6000)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(corpus)], env=os.environ.copy())
    try:
        _until(lambda: len(list(cache_dir().glob("*.shards/*.arrow"))) >= 3 or proc.poll() is not None)
        workers = _children(proc.pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL and len(workers) == 2
    _until(lambda: all(_gone(w) for w in workers), 30)  # orphaned workers stop at their next batch
    finished = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache_dir().glob("*.shards/*.arrow")}
    assert 3 <= len(finished) < 12, sorted(p.name for p in finished)
    assert not list(cache_dir().glob("*.shards/*.tmp*"))  # a stopped worker removes its half-written shard

    rows = []
    real, real_merge = worker.tokenize_batch, shards.merge

    def counting(batch, *args, **kwargs):
        rows.append(len(batch["text"]))
        return real(batch, *args, **kwargs)

    def checking_merge(paths, final):
        assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in finished} == finished  # untouched
        real_merge(paths, final)

    monkeypatch.setattr(worker, "tokenize_batch", counting)
    monkeypatch.setattr(shards, "merge", checking_merge)
    tok = get_tokenizer("whitespace")
    again = tokenize_corpus(load_corpus(str(corpus)), "text", tok, workers=1)["tokens"]
    assert sum(rows) == 6000 - 500 * len(finished)
    assert again == list(tok.pipe(corpus.read_text(encoding="utf-8").splitlines()))


def test_a_failing_worker_stops_the_run_with_its_error_and_keeps_finished_shards(tmp_path, monkeypatch,
                                                                                   small_shards):
    import textrnn.data.tokenize_worker as worker

    corpus = write_corpus(tmp_path / "c.txt", 3000)
    real = worker.tokenize_batch

    def failing(batch, *args, **kwargs):
        if any(t.startswith("2600 ") for t in batch["text"]):
            raise ValueError("row 2600 cannot be tokenized")
        return real(batch, *args, **kwargs)

    monkeypatch.setattr(worker, "tokenize_batch", failing)
    with pytest.raises(ValueError, match="row 2600 cannot be tokenized"):
        tokenize_corpus(load_corpus(str(corpus)), "text", get_tokenizer("whitespace"), workers=2)
    kept = list(cache_dir().glob("*.shards/*.arrow"))
    assert kept and not any(p.name.startswith("000000002500") for p in kept)
    assert not list(cache_dir().glob("tok-*.arrow"))


def test_the_cli_shows_tokenizing_progress_in_a_log_and_not_with_q(tmp_path, monkeypatch):
    from conftest import run_textrnn

    corpus = write_corpus(tmp_path / "c.txt", 2000)
    env = {"TEXTRNN_PROGRESS_INTERVAL": "0", "TEXTRNN_CACHE": str(tmp_path / "cache")}
    args = ["train", "lm", str(corpus), "--tokenizer", "whitespace", "--epochs", "1", "--hidden-size", "8",
            "--layers", "1", "--bptt", "10", "--batch-size", "64", "--max-vocab", "50"]
    shown = run_textrnn(*args, "-o", str(tmp_path / "m"), env=env)
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stderr.splitlines() if line.startswith("tokenizing text  ")]
    assert lines and lines[-1].startswith("tokenizing text  2,000/2,000 rows  ")
    assert " rows/s  elapsed " in lines[-1]
    quiet = run_textrnn(*args, "-o", str(tmp_path / "m2"), "-q", env={**env, "TEXTRNN_CACHE": str(tmp_path / "c2")})
    assert quiet.returncode == 0 and "tokenizing" not in quiet.stderr
    other = write_corpus(tmp_path / "other.txt", 1500)  # evaluate tokenizes too, and says so
    evaluated = run_textrnn("evaluate", str(tmp_path / "m"), str(other), "--json", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    lines = [line for line in evaluated.stderr.splitlines() if line.startswith("tokenizing text  ")]
    assert lines and lines[-1].startswith("tokenizing text  1,500/1,500 rows  ")


def test_the_cli_draws_a_tokenizing_bar_in_a_terminal(tmp_path):
    from test_cli import in_a_terminal

    corpus = write_corpus(tmp_path / "c.txt", 3000)
    shown = in_a_terminal("vocab", "build", str(corpus), "-o", str(tmp_path / "v.json"), "--tokenizer",
                          "whitespace", env={"TEXTRNN_CACHE": str(tmp_path / "cache")})
    assert "tokenizing text" in shown and "3,000/3,000 rows" in shown and " rows/s" in shown, shown
