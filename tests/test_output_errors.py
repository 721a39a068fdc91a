"""Output that cannot be written gives one line and exit 6, and leaves nothing half written: a file where a
folder should be, a folder that takes no files, the file size limit, a read-only or full file system.

The tests run as root, whom chmod does not stop: a read-only folder is a read-only bind mount and a full disk
a tiny tmpfs, each in a private mount namespace (`unshare`, skipped where not permitted); /proc refuses new
files to everyone; RLIMIT_FSIZE (with SIGXFSZ ignored) makes a real write fail with EFBIG, unprivileged.
"""

from __future__ import annotations

import errno
import os
import resource
import shlex
import signal
import subprocess
import sys

import pytest

from conftest import LM_TEXT, QUICK_LM, one_line_error, run_textrnn
from textrnn import checkpoint
from textrnn.errors import OutputError
from textrnn.writing import replace_file, writing

TRAIN = ["train", "lm", "-", *QUICK_LM, "--epochs", "1", "--hidden-size", "64", "--embedding-size", "64"]
CORPUS = LM_TEXT * 30


def _small_files(limit: int = 20_000):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def _run_limited(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textrnn", *args], input=CORPUS, capture_output=True, text=True,
                          env={**os.environ, **env}, preexec_fn=_small_files(), timeout=300)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp"))


# A file where a folder should be; a folder that takes no files -----------------------------------

def test_output_under_a_file(cli, tmp_path, lm_corpus):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    under = tmp_path / "notes.txt"
    one_line_error(cli("train", "lm", str(lm_corpus), "-o", str(under / "model"), *QUICK_LM), 6,
                   f"cannot write {under / 'model'}", "notes.txt is a file")
    one_line_error(cli("vocab", "build", str(lm_corpus), "-o", str(under / "v.json")), 6, "notes.txt is a file")
    one_line_error(cli("predict", "-m", "en-fr", "I am cold.", "--plot", str(under / "a.png")), 6,
                   "notes.txt is a file", "--plot")
    assert under.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("command", ["train", "vocab"])
def test_output_in_a_folder_that_takes_no_files(cli, lm_corpus, command):
    """/proc refuses new files even to root (a chmod'ed folder would not stop the root tests run as)."""
    args = ["train", "lm", str(lm_corpus), "-o", "/proc/model", *QUICK_LM] if command == "train" \
        else ["vocab", "build", str(lm_corpus), "-o", "/proc/v.json"]
    one_line_error(cli(*args), 6, "cannot write /proc/", "does not take new files")


# The file size limit: EFBIG from a real write --------------------------------------------------

def test_training_past_the_file_size_limit_leaves_no_folder(tmp_path, quick_env):
    proc = _run_limited(*TRAIN, "-o", str(tmp_path / "model"), env=quick_env)
    one_line_error(proc, 6, f"cannot write {tmp_path / 'model'}", "file size limit")
    assert not (tmp_path / "model").exists() and _leftovers(tmp_path) == []


def test_overwrite_past_the_file_size_limit_keeps_the_old_model(tmp_path, quick_env):
    model = tmp_path / "model"
    first = run_textrnn(*TRAIN[:-4], "-o", str(model), input=CORPUS, env=quick_env)  # small enough to save
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()}
    proc = _run_limited(*TRAIN, "-o", str(model), "--overwrite", env=quick_env)
    one_line_error(proc, 6, "file size limit")
    assert {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()} == before
    assert _leftovers(tmp_path) == []
    checkpoint.load(model)  # still a complete model


def test_vocab_past_the_file_size_limit_leaves_no_file(tmp_path, quick_env):
    words = "\n".join(f"word{i}" for i in range(3_000))  # a vocabulary over 20 kB; stdin is not cached
    proc = subprocess.run([sys.executable, "-m", "textrnn", "vocab", "build", "-", "-t", "whitespace", "-o",
                           str(tmp_path / "v.json")], input=words, capture_output=True, text=True,
                          preexec_fn=_small_files(), env={**os.environ, **quick_env}, timeout=300)
    one_line_error(proc, 6, f"cannot write {tmp_path / 'v.json'}", "file size limit")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # made empty before anything was read


def test_corpus_cache_past_the_file_size_limit_names_the_cache(tmp_path, quick_env):
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"word{i}" for i in range(3_000)), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "textrnn", "vocab", "build", str(big), "-o", str(tmp_path / "v.json")],
                          capture_output=True, text=True, preexec_fn=_small_files(), env={**os.environ, **quick_env},
                          timeout=300)
    one_line_error(proc, 6, f"cannot write {tmp_path / 'cache'}", "file size limit", "TEXTRNN_CACHE")
    assert not (tmp_path / "v.json").exists()


# Read-only and full file systems, in a private mount namespace ----------------------------------

def _in_namespace(mount: str, command: list[str], cwd) -> subprocess.CompletedProcess:
    script = f"{mount} && exec {shlex.join(command)}"
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], input=CORPUS,
                          capture_output=True, text=True, timeout=300, cwd=cwd, env={**os.environ,
                                                                                     "OMP_NUM_THREADS": "1"})


@pytest.fixture
def mounts(tmp_path):
    probe = _in_namespace(f"mount -t tmpfs -o size=64k tmpfs {tmp_path}", ["true"], tmp_path)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount in a private namespace here: {probe.stderr.strip()}")
    return tmp_path


@pytest.mark.parametrize("command", ["train", "vocab"])
def test_read_only_file_system(mounts, command, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    out = folder / ("model" if command == "train" else "v.json")
    args = [*TRAIN, "-o", str(out)] if command == "train" else ["vocab", "build", "-", "-o", str(out)]
    proc = _in_namespace(f"mount --bind -o ro {folder} {folder}", [sys.executable, "-m", "textrnn", *args], tmp_path)
    one_line_error(proc, 6, f"cannot write {out}", "read-only")


@pytest.mark.parametrize("command", ["train", "vocab"])
def test_full_file_system(mounts, command, tmp_path):
    folder = tmp_path / "full"
    folder.mkdir()
    out = folder / ("model" if command == "train" else "v.json")
    args = [*TRAIN, "-o", str(out)] if command == "train" else ["vocab", "build", "-", "-o", str(out), "-t",
                                                               "whitespace"]
    fill = f"head -c 3500 /dev/zero > {folder}/fill" if command == "vocab" else "true"
    listing = f"; code=$?; rm -f {folder}/fill; ls -A {folder}; exit $code"
    proc = _in_namespace(f"mount -t tmpfs -o size=4k tmpfs {folder} && {fill}",
                         ["sh", "-c", shlex.join([sys.executable, "-m", "textrnn", *args]) + listing], tmp_path)
    one_line_error(proc, 6, f"cannot write {out}", "no space left")
    left = set(proc.stdout.split()) - {"fill"}
    assert left == set(), left  # no model folder, staging folder, lock or temporary file left on the device


# The mapping itself --------------------------------------------------------------------------------

def test_writing_names_the_output_for_its_own_files_and_the_file_for_others(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(OutputError, match=f"cannot write {target}: no space left"):
        with writing(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / ".model.new-1-x" / "w"))
    with pytest.raises(OutputError, match="cannot write /cache/rows.arrow: the file system is read-only"):
        with writing(target):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/cache/rows.arrow")
    with pytest.raises(PermissionError):  # reading someone else's file: not a write of the output
        with writing(target):
            raise PermissionError(errno.EACCES, "Permission denied", "/data/corpus.txt")


def test_writing_reads_the_os_error_in_a_rust_message(tmp_path):
    class SafetensorError(Exception):
        pass

    with pytest.raises(OutputError, match="no space left"):
        with writing(tmp_path / "model"):
            raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")


def test_replace_file_keeps_the_old_file_when_the_write_fails(tmp_path):
    path = tmp_path / "v.json"
    path.write_text("old", encoding="utf-8")

    def half_then_full(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    with pytest.raises(OutputError):
        replace_file(path, half_then_full)
    assert path.read_text(encoding="utf-8") == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["v.json"]
