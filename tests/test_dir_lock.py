"""One training per output directory: a live lock refuses a second one, a dead owner's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import LM_TEXT, QUICK_LM, one_line_error
from textrnn.dir_lock import lock_path, output_lock
from textrnn.errors import OutputLockedError


def _holder(target: Path) -> subprocess.Popen:
    """A real process that takes the lock of `target` and holds it until killed."""
    script = textwrap.dedent(f"""
        import sys, time
        from textrnn.dir_lock import output_lock
        with output_lock({str(target)!r}):
            print("locked", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(LM_TEXT * 10, encoding="utf-8")
    return path


def test_a_live_lock_refuses_a_second_training_with_its_owner_named(cli, tmp_path, corpus):
    out = tmp_path / "m"
    holder = _holder(out)
    try:
        result = cli("train", "lm", str(corpus), "-o", str(out), "--epochs", "1", *QUICK_LM)
        one_line_error(result, 6, f"{out} is being written by another training",
                       f"pid {holder.pid} on {socket.gethostname()}")
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_owner_is_taken_over(cli, tmp_path, corpus):
    """SIGKILL leaves the lock file behind (nothing runs to remove it); the kernel has dropped the lock itself,
    so the next training goes ahead, says whose lock it took, and removes the file when done."""
    out = tmp_path / "m"
    holder = _holder(out)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert json.loads(lock_path(out).read_text())["pid"] == holder.pid
    result = cli("train", "lm", str(corpus), "-o", str(out), "--epochs", "1", *QUICK_LM)
    assert result.exit_code == 0, result.stderr
    assert f"pid {holder.pid}" in result.stderr and "taken over" in result.stderr
    assert (out / "model.safetensors").is_file() and not lock_path(out).exists()


def test_the_lock_is_released_when_the_block_fails(tmp_path):
    target = tmp_path / "m"
    with pytest.raises(ValueError):
        with output_lock(target):
            assert json.loads(lock_path(target).read_text())["pid"] == os.getpid()
            raise ValueError
    assert not lock_path(target).exists()
    with output_lock(target):
        pass


def test_a_second_lock_in_the_same_process_is_refused_too(tmp_path):
    """flock locks belong to open files, not processes: a second train() in one program is refused as well."""
    with output_lock(tmp_path / "m"):
        with pytest.raises(OutputLockedError, match=f"pid {os.getpid()}"):
            with output_lock(tmp_path / "m"):
                pass


def test_two_trainings_racing_for_one_directory(tmp_path, corpus, quick_env):
    """Started together: one trains, the other is refused at once; the model is the winner's, whole."""
    out = tmp_path / "m"
    args = [sys.executable, "-m", "textrnn", "train", "lm", str(corpus), "-o", str(out), "--epochs", "25",
            "--patience", "30", *QUICK_LM]
    env = {**os.environ, **quick_env}
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 6], results
    loser = next(err for code, err in results if code == 6)
    assert "is being written by another training" in loser and "Traceback" not in loser
    from textrnn import checkpoint

    checkpoint.load(out)
    epochs = [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, 26))
    assert not lock_path(out).exists()
