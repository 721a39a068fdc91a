"""Faults during training, in real processes: SIGKILL at random moments (saves included), Ctrl-C during the
directory swap. The property: the last good model always loads, and --resume finishes the run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import LM_TEXT, QUICK_LM, one_line_error, run_textrnn
from textrnn import checkpoint
from textrnn.atomic_dir import journal_path
from textrnn.dir_lock import lock_path

EPOCHS = 10
# Every epoch saves the resume state and the metrics, and most improve and save the model too: each epoch is
# a fraction of a second, much of it saving, so a kill at a random moment often lands in a save.
ARGS = ["--epochs", str(EPOCHS), "--patience", str(EPOCHS), "--optimizer", "adam", "--lr", "0.01", *QUICK_LM]


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(LM_TEXT * 6, encoding="utf-8")
    return path


def _start(corpus: Path, out: Path, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "textrnn", "train", "lm", str(corpus), "-o", str(out), *ARGS,
                             *extra], env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _kill_while_training(proc: subprocess.Popen, out: Path, delay: float) -> None:
    """SIGKILL `delay` seconds after the process took the output lock (imports done, training under way)."""
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if json.loads(lock_path(out).read_text()).get("pid") == proc.pid:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def _epochs(out: Path) -> list[int]:
    metrics = out / "metrics.jsonl"
    return [json.loads(line)["epoch"] for line in metrics.read_text().splitlines()] if metrics.exists() else []


def _check_after_kill(out: Path, seen: int, note: str) -> int:
    """What a kill may leave: nothing yet, the starting point, or a model that loads with its resume state."""
    if not out.exists() and not journal_path(out).exists():
        assert seen == 0, note
        return 0
    checkpoint.resolve(out)  # a reader finishes a swap the kill cut short
    if (out / checkpoint.CONFIG).exists():
        checkpoint.load(out)
        assert checkpoint.read_config(out)["training"]["best_epoch"] >= 1, note
    if (out / "resume").exists():
        checkpoint.load(out / "resume")
        assert (out / "resume" / "trainer.json").is_file(), note
    done = _epochs(out)
    assert done == list(range(1, len(done) + 1)) and len(done) >= seen, (note, done, seen)
    return len(done)


@pytest.mark.parametrize("kills, compare", [(3, False), pytest.param(8, True, marks=pytest.mark.slow)])
def test_sigkill_at_random_moments_then_resume_finishes_the_run(tmp_path, corpus, quick_env, kills, compare):
    """Killed again and again (TEXTRNN_FAULT_SEED repeats a sequence of delays), then resumed: the slow variant
    also holds the result to an uninterrupted run, weight for weight."""
    from safetensors.torch import load_file

    seed = int(os.environ.get("TEXTRNN_FAULT_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    out, seen = tmp_path / "m", 0

    def finished() -> bool:  # the whole run is done: no resume state left, which --overwrite would start again
        return seen == EPOCHS and not (out / "resume").exists()

    for k in range(kills):
        if finished():  # a kill came after the last epoch: nothing is left to kill or resume
            break
        resume = ("--resume",) if (out / "resume").exists() else ("--overwrite",) if out.exists() else ()
        proc = _start(corpus, out, quick_env, *resume)
        delay = rng.uniform(0.0, 4.0)
        _kill_while_training(proc, out, delay)
        seen = _check_after_kill(out, seen, f"seed {seed}, kill {k + 1} after {delay:.2f}s")
    if not finished():
        resume = ["--resume"] if (out / "resume").exists() else ["--overwrite"] if out.exists() else []
        final = run_textrnn("train", "lm", str(corpus), "-o", str(out), *ARGS, *resume, env=quick_env)
        assert final.returncode == 0, (seed, final.stderr)
    assert _epochs(out) == list(range(1, EPOCHS + 1)), seed
    assert not (out / "resume").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], seed  # nothing left beside
    if not compare:
        return
    reference = run_textrnn("train", "lm", str(corpus), "-o", str(tmp_path / "ref"), *ARGS, env=quick_env)
    assert reference.returncode == 0, reference.stderr
    ref, got = load_file(str(tmp_path / "ref" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert all((ref[k] - got[k]).abs().max().item() == 0.0 for k in ref), f"seed {seed}: weights differ"


_CTRL_C_IN_SWAP = """
import os, runpy, signal, sys
from pathlib import Path
from textrnn import atomic_dir

real, mode, out, model_swaps = atomic_dir._exchange, sys.argv[1], Path(sys.argv[2]), []

def exchange(a, b):
    if Path(b) == out:
        model_swaps.append(b)
        if len(model_swaps) == 2:  # the model of epoch 2 replaces that of epoch 1
            os.kill(os.getpid(), signal.SIGINT)
    return real(a, b) if mode == "exchange" else False

atomic_dir._exchange = exchange
sys.argv = ["textrnn", *sys.argv[3:]]
runpy.run_module("textrnn", run_name="__main__")
"""


@pytest.mark.parametrize("mode", ["exchange", "two renames"])
def test_ctrl_c_during_the_swap_names_a_directory_that_exists(tmp_path, corpus, quick_env, mode):
    """SIGINT in the middle of a save's swap is delivered once the swap is whole: exit 130, the directory it
    names holds the epoch-2 model with its resume state, and nothing is left beside it."""
    out, args = tmp_path / "m", ["--epochs", "3", *ARGS[2:]]
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_CTRL_C_IN_SWAP), mode, str(out), "train", "lm",
                           str(corpus), "-o", str(out), *args], env={**os.environ, **quick_env},
                          capture_output=True, text=True, timeout=300)
    line = one_line_error(proc, 130, "interrupted", str(out), "--resume")
    assert out.is_dir(), line
    checkpoint.load(out)
    assert checkpoint.read_config(out)["training"]["best_epoch"] >= 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert (out / "resume" / "trainer.json").is_file()  # what --resume reads (its run: the SIGKILL test)


def _resume_stamp(out: Path) -> tuple[int, int] | None:
    try:
        stat = (out / "resume" / "trainer.json").stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _kill_after_a_save(proc: subprocess.Popen, out: Path, delay: float) -> None:
    """SIGKILL `delay` seconds after the process saved its resume state once (it is in its steps by then)."""
    before, deadline = _resume_stamp(out), time.time() + 240
    while time.time() < deadline and proc.poll() is None and _resume_stamp(out) in (before, None):
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def _saved_position(out: Path) -> tuple[int, int]:
    """(epochs done, steps of the next epoch) of the resume state; (0, 0) without one."""
    file = out / "resume" / "trainer.json"
    if not file.is_file():
        return (0, 0)
    state = json.loads(file.read_text())["state"]
    return state["epoch"], state.get("step", 0)


@pytest.mark.slow
def test_sigkill_while_saving_every_step_never_leaves_a_directory_that_fails(tmp_path, quick_env, cli):
    """--save-every 1: a save at every step, so many kills land in one (each comes a random moment after the
    process's first save: in its steps). After each kill the directory loads
    (`textrnn info`, checkpoint.load), the saved position never goes back, and --resume goes on from it; the
    finished run has the uninterrupted run's weights."""
    from safetensors.torch import load_file

    seed = int(os.environ.get("TEXTRNN_FAULT_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")  # 60 steps an epoch: six kills leave most of the run
    out, seen, position = tmp_path / "m", 0, (0, 0)
    for k in range(6):
        resume = ("--resume",) if (out / "resume").exists() else ("--overwrite",) if out.exists() else ()
        delay = rng.uniform(0.0, 1.0)
        proc = _start(corpus, out, quick_env, "--save-every", "1", *resume)
        _kill_after_a_save(proc, out, delay)
        assert proc.returncode == -signal.SIGKILL, (seed, k, proc.returncode)  # the run was not over
        note = f"seed {seed}, kill {k + 1} after {delay:.2f}s"
        seen = _check_after_kill(out, seen, note)
        if (out / checkpoint.CONFIG).exists():
            info = cli("info", str(out))
            assert info.exit_code == 0, (note, info.stderr)
        assert _saved_position(out) >= position, (note, _saved_position(out), position)
        position = _saved_position(out)
        print(f"kill {k + 1} after {delay:.2f}s: saved at epoch {position[0]} + {position[1]} steps")
    resume = ["--resume"] if (out / "resume").exists() else ["--overwrite"] if out.exists() else []
    final = run_textrnn("train", "lm", str(corpus), "-o", str(out), *ARGS, "--save-every", "1", *resume, env=quick_env)
    assert final.returncode == 0, (seed, final.stderr)
    assert _epochs(out) == list(range(1, EPOCHS + 1)), seed
    assert sorted(p.name for p in [*tmp_path.iterdir(), *out.iterdir()] if p.name.startswith(".")) == [], seed
    reference = run_textrnn("train", "lm", str(corpus), "-o", str(tmp_path / "ref"), *ARGS, env=quick_env)
    assert reference.returncode == 0, reference.stderr
    ref, got = load_file(str(tmp_path / "ref" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert all((ref[k] - got[k]).abs().max().item() == 0.0 for k in ref), f"seed {seed}: weights differ"
