"""The output directory rule (tasks/common.py): nothing is removed before the new model is saved, only a textrnn
model is ever replaced, and a replaced model's run leaves nothing behind in the new one."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import LM_TEXT, QUICK_LM, one_line_error, run_textrnn


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished 2-epoch model directory, with a resume/ folder as an interrupted run leaves one."""
    root = tmp_path_factory.mktemp("trained")
    corpus = root / "c.txt"
    corpus.write_text(LM_TEXT * 10, encoding="utf-8")
    result = run_textrnn("train", "lm", str(corpus), "-o", str(root / "m"), "--epochs", "2", *QUICK_LM,
                         env={"OMP_NUM_THREADS": "1", "TEXTRNN_CACHE": str(root / "cache")})
    assert result.returncode == 0, result.stderr
    shutil.copytree(root / "m", root / "m" / "resume", ignore=shutil.ignore_patterns("resume", "*.png", "*.jsonl"))
    (root / "m" / "resume" / "trainer.json").write_text("{}")
    return root / "m"


@pytest.fixture
def model(trained, tmp_path) -> Path:
    shutil.copytree(trained, tmp_path / "m")
    return tmp_path / "m"


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(LM_TEXT * 10, encoding="utf-8")
    return path


def test_overwrite_leaves_a_directory_that_is_not_a_model_alone(tmp_path, corpus, quick_env):
    """The report's case: `--overwrite` with a missing corpus deleted victim/ and its thesis."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("mine")
    for data in ("/nonexistent.txt", str(corpus)):
        result = run_textrnn("train", "lm", data, "-o", str(victim), "--overwrite", *QUICK_LM, env=quick_env)
        one_line_error(result, 6, "victim holds files that textrnn did not write (thesis.txt)")
    assert _snapshot(victim) == {"thesis.txt": hashlib.sha256(b"mine").hexdigest()}
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no lock or staging left


@pytest.mark.parametrize("args, code, fragment", [
    (["/nonexistent.txt", "--overwrite"], 3, "no such file"),
    (["CORPUS", "--overwrite", "--tokenizer", "nonsense"], 2, "unknown tokenizer"),
    (["CORPUS", "--overwrite", "--bptt", "100000"], 8, "needs at least"),
    (["CORPUS", "--overwrite", "--resume"], 2, "--overwrite and --resume contradict each other"),
], ids=["missing corpus", "bad option", "corpus too small", "overwrite and resume"])
def test_a_failing_overwrite_leaves_the_model_as_it_was(cli, model, corpus, args, code, fragment):
    before = _snapshot(model)
    data, *flags = [str(corpus) if a == "CORPUS" else a for a in args]
    result = cli("train", "lm", data, "-o", str(model), *QUICK_LM, *flags)
    one_line_error(result, code, fragment)
    assert _snapshot(model) == before


def test_overwrite_replaces_the_model_and_keeps_nothing_of_its_run(model, corpus, quick_env):
    """Neither the old metrics nor its resume state reach the new run, and --resume cannot pick them up."""
    old_config = json.loads((model / "config.json").read_text())
    result = run_textrnn("train", "lm", str(corpus), "-o", str(model), "--overwrite", "--epochs", "1",
                         *QUICK_LM, "--seed", "9", env=quick_env)
    assert result.returncode == 0, result.stderr
    epochs = [json.loads(line)["epoch"] for line in (model / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1]
    assert not (model / "resume").exists()
    config = json.loads((model / "config.json").read_text())
    assert config["training"]["train"]["seed"] == 9 != old_config["training"]["train"]["seed"]
    one_line_error(run_textrnn("train", "lm", str(corpus), "-o", str(model), "--resume", *QUICK_LM, env=quick_env),
                   8, "nothing to resume")


def test_the_first_save_of_an_overwrite_brings_nothing_of_the_old_run(model, corpus, monkeypatch):
    """At the instant the new model appears (before this run writes its own metrics and resume state), the
    directory holds the new model only: a kill there cannot leave the old run's files beside it."""
    from textrnn import checkpoint
    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    listings, real_save = [], checkpoint.save

    def save(path, *args, **kwargs):
        real_save(path, *args, **kwargs)
        if Path(path) == model:
            listings.append(sorted(p.name for p in model.iterdir()))

    monkeypatch.setattr(checkpoint, "save", save)
    lm.train(str(corpus), model, {"hidden_size": 8, "embedding_size": 8},
             lm.LMDataConfig(tokenizer="whitespace", bptt=8), TrainConfig(epochs=2, batch_size=4, patience=5),
             overwrite=True)
    assert listings[0] == ["config.json", "model.safetensors", "vocab.json"]
    assert "resume" in listings[1] and "metrics.jsonl" in listings[1]  # later saves keep this run's files


def test_ctrl_c_before_the_first_epoch_of_an_overwrite_leaves_the_old_model(model, corpus):
    """The old model is replaced only when the new one has an epoch to show."""
    from textrnn.tasks import lm
    from textrnn.training import Callback, Interrupted, TrainConfig

    class CtrlC(Callback):
        def on_step(self, *args) -> None:
            raise KeyboardInterrupt

    before = _snapshot(model)
    with pytest.raises(Interrupted, match="nothing of this run is saved and the directory is as it was"):
        lm.train(str(corpus), model, {"hidden_size": 8, "embedding_size": 8},
                 lm.LMDataConfig(tokenizer="whitespace", bptt=8), TrainConfig(epochs=1, batch_size=4),
                 callbacks=[CtrlC()], overwrite=True)
    assert _snapshot(model) == before


@pytest.mark.parametrize("flag", ["--overwrite", "--resume"])
def test_a_model_directory_holding_a_users_file_is_not_replaced(cli, model, corpus, flag):
    """Each save replaces the directory whole, so a file of the user's inside it would go: refused."""
    (model / "notes.txt").write_text("mine")
    before = _snapshot(model)
    result = cli("train", "lm", str(corpus), "-o", str(model), flag, *QUICK_LM)
    one_line_error(result, 6, "holds files that textrnn did not write (notes.txt)")
    assert _snapshot(model) == before


def test_an_empty_directory_and_a_missing_one_are_used(tmp_path):
    from textrnn.tasks.common import prepare_output

    (tmp_path / "empty").mkdir()
    assert prepare_output(tmp_path / "empty", False, False).replacing is False
    assert prepare_output(tmp_path / "new" / "m", True, False).replacing is False
    assert not (tmp_path / "new").exists()
