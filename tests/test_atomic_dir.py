"""Replacing a directory: a complete one is findable at every instant, and an interrupted swap is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from textrnn import atomic_dir
from textrnn.atomic_dir import journal_path, recover, replace_dir, staging_dir


def _dir(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.mkdir()
    (path / "f.txt").write_text(text)
    return path


def _new(target: Path, text: str) -> Path:
    new = staging_dir(target)
    (new / "f.txt").write_text(text)
    return new


@pytest.fixture(params=["exchange", "two renames"])
def mode(request, monkeypatch):
    if request.param == "two renames":
        monkeypatch.setattr(atomic_dir, "_exchange", lambda a, b: False)
    elif atomic_dir._renameat2() is None:
        pytest.skip("renameat2 is not available here")
    return request.param


def test_replace_puts_the_new_directory_under_the_name_and_leaves_nothing_beside(tmp_path, mode):
    target = _dir(tmp_path, "m", "old")
    replace_dir(_new(target, "new"), target)
    assert (target / "f.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_exchange_keeps_the_name_bound_at_every_instant(tmp_path):
    """RENAME_EXCHANGE: no moment without the name (the other mode's moment is what the journal covers)."""
    if atomic_dir._renameat2() is None:
        pytest.skip("renameat2 is not available here")
    target = _dir(tmp_path, "m", "old")
    new = _new(target, "new")
    assert atomic_dir._exchange(new, target)
    assert (target / "f.txt").read_text() == "new" and (new / "f.txt").read_text() == "old"


def _kill_at(tmp_path: Path, call: int) -> subprocess.CompletedProcess:
    """A real process replaces tmp/m with two renames and is SIGKILLed just after os.replace number `call`."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from textrnn import atomic_dir
        atomic_dir._exchange = lambda a, b: False
        real, calls = os.replace, []
        def replace(a, b):
            real(a, b)
            calls.append(1)
            if len(calls) == {call}:
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        target = Path({str(tmp_path / "m")!r})
        new = atomic_dir.staging_dir(target)
        (new / "f.txt").write_text("new")
        atomic_dir.replace_dir(new, target)
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("call", [2, 3])  # os.replace 1 publishes the journal, 2 moves the old away, 3 the new in
def test_a_kill_between_the_renames_is_finished_by_the_next_reader(tmp_path, call):
    """Killed with the old directory moved away and the new one not yet in place, or just after: the model
    directory's reader (checkpoint.resolve, as load and info use it) puts the new one under the name."""
    from textrnn import checkpoint

    _dir(tmp_path, "m", "old")
    proc = _kill_at(tmp_path, call)
    assert proc.returncode == -signal.SIGKILL
    if call == 2:
        assert not (tmp_path / "m").exists() and journal_path(tmp_path / "m").is_file()
    assert checkpoint.resolve(tmp_path / "m") == tmp_path / "m"
    recover(tmp_path / "m")
    assert (tmp_path / "m" / "f.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_swap_that_never_began_rolls_back(tmp_path):
    """A journal written, then a kill before any rename: the old directory stays, the new one is dropped."""
    target = _dir(tmp_path, "m", "old")
    new = _new(target, "new")
    atomic_dir._write_journal(target, [new.name, f".m.old-{os.getpid()}"])
    recover(target)
    assert (target / "f.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_staging_left_by_a_dead_process_is_cleared_and_a_live_ones_kept(tmp_path):
    target = _dir(tmp_path, "m", "old")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".m.new-{dead.pid}-abc").mkdir()
    (tmp_path / f".m.old-{dead.pid}").mkdir()
    live = _new(target, "mine")
    recover(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", live.name])


def test_ctrl_c_during_the_swap_is_delivered_after_it(tmp_path, mode, monkeypatch):
    """SIGINT arriving between the renames waits: when KeyboardInterrupt comes, the name holds the new
    directory and nothing is left beside it."""
    target = _dir(tmp_path, "m", "old")
    real = os.replace

    def replace(a, b):
        os.kill(os.getpid(), signal.SIGINT)
        real(a, b)

    monkeypatch.setattr(atomic_dir.os, "replace", replace)
    real_exchange = atomic_dir._exchange
    monkeypatch.setattr(atomic_dir, "_exchange",
                        lambda a, b: os.kill(os.getpid(), signal.SIGINT) or real_exchange(a, b))
    if mode == "two renames":
        monkeypatch.setattr(atomic_dir, "_exchange", lambda a, b: os.kill(os.getpid(), signal.SIGINT) or False)
    with pytest.raises(KeyboardInterrupt):
        replace_dir(_new(target, "new"), target)
    assert (target / "f.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_a_reader_finishing_the_swap_in_its_window_does_not_break_the_writer(tmp_path, monkeypatch):
    """Two renames: a reader (load, info) that finds the name missing finishes the swap itself; the writer's
    own second rename then finds its work done instead of failing."""
    from textrnn import checkpoint

    monkeypatch.setattr(atomic_dir, "_exchange", lambda a, b: False)
    target = _dir(tmp_path, "m", "old")
    real, calls = os.replace, []

    def replace(a, b):
        real(a, b)
        calls.append(b)
        if Path(b).name.startswith(".m.old-"):  # the live directory has just been moved away
            checkpoint.resolve(target)

    monkeypatch.setattr(atomic_dir.os, "replace", replace)
    replace_dir(_new(target, "new"), target)
    assert (target / "f.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_remove_dir_killed_while_deleting_leaves_no_half_directory(tmp_path, monkeypatch):
    """A training's end removes resume/: killed halfway through the deletion, no half of it is left under its
    name (where --resume would find a model with its weights gone); what is aside goes once the process has."""
    target = _dir(tmp_path, "resume", "state")
    (target / "g.txt").write_text("more")
    real = atomic_dir.shutil.rmtree

    def killed_halfway(path, *args, **kwargs):
        if Path(path).exists():
            (Path(path) / "f.txt").unlink()
            raise SystemExit("killed")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(atomic_dir.shutil, "rmtree", killed_halfway)
    with pytest.raises(SystemExit):
        atomic_dir.remove_dir(target)
    monkeypatch.undo()
    assert not target.exists()
    aside = tmp_path / f".resume.old-{os.getpid()}"
    assert sorted(p.name for p in aside.iterdir()) == ["g.txt"]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    aside.rename(tmp_path / f".resume.old-{dead.stdout.strip()}")  # as left by a process that is gone
    recover(target)
    assert list(tmp_path.iterdir()) == []


def test_remove_dir_removes_the_directory_and_nothing_beside_it(tmp_path):
    target = _dir(tmp_path, "resume", "state")
    _dir(tmp_path, "other", "kept")
    atomic_dir.remove_dir(target)
    atomic_dir.remove_dir(target)  # already gone: nothing to do
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def _record_syncs(monkeypatch) -> list:
    """The real os.fsync and os.replace, with every call recorded in order (what each synced: the path of its
    descriptor)."""
    calls: list = []
    fsync, rename = os.fsync, os.replace

    def fsync_recorded(fd):
        calls.append(("sync", Path(os.readlink(f"/proc/self/fd/{fd}"))))
        fsync(fd)

    def replace_recorded(a, b):
        calls.append(("rename", Path(a), Path(b)))
        rename(a, b)

    monkeypatch.setattr(os, "fsync", fsync_recorded)
    monkeypatch.setattr(os, "replace", replace_recorded)
    return calls


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_the_new_directory_is_on_the_disk_before_its_name_is(tmp_path, mode, monkeypatch):
    """Every file of the replacement and the replacement itself are synced before the swap, the parent after it:
    a power cut after the rename cannot leave the name on files the disk never received."""
    target = _dir(tmp_path, "model", "old")
    new = _new(target, "new")
    (new / "sub").mkdir()
    (new / "sub" / "g.txt").write_text("deep")
    calls = _record_syncs(monkeypatch)
    replace_dir(new, target)
    first_rename = next(i for i, c in enumerate(calls) if c[0] == "rename")
    synced_before = {c[1] for c in calls[:first_rename] if c[0] == "sync"}
    assert {new / "f.txt", new / "sub" / "g.txt", new / "sub", new} <= synced_before
    assert ("sync", tmp_path) in calls[first_rename:]
    assert (target / "f.txt").read_text() == "new"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_a_replaced_file_is_on_the_disk_before_its_name_is(tmp_path, monkeypatch):
    from textrnn.writing import replace_file

    calls = _record_syncs(monkeypatch)
    path = replace_file(tmp_path / "vocab.json", lambda tmp: tmp.write_text("{}"))
    (tmp,) = [c[1] for c in calls if c[0] == "sync" and c[1].name.startswith(".vocab.json.tmp")]
    assert calls.index(("sync", tmp)) < calls.index(("rename", tmp, path)) < calls.index(("sync", tmp_path))
    assert path.read_text() == "{}"
