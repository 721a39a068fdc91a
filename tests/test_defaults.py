"""The training defaults: one set per task, the same in the CLI and the library, and the learning rate follows
the optimizer when it is not given."""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys

import pytest

from conftest import QUICK_LM, REPO
from textrnn.tasks import defaults

FIELDS = ("epochs", "batch_size", "optimizer", "clip", "patience")


def _cli_defaults(task: str) -> dict:
    """The option defaults of `textrnn train TASK`, as Click holds them."""
    import typer

    from textrnn_cli.app import app

    train = typer.main.get_command(app).commands["train"]
    return {p.name: p.default for p in train.commands[task].params}


@pytest.mark.parametrize("task", ["lm", "classify", "translate"])
def test_cli_and_library_share_the_defaults(task):
    from textrnn.tasks import task_module

    shown, library = _cli_defaults(task), task_module(task).TRAINING
    assert library is defaults.TASKS[task]
    assert {f: shown[f] for f in FIELDS} == {f: getattr(library, f) for f in FIELDS}
    assert shown["lr"] in (None, library.lr)  # None: the optimizer's rate, below


@pytest.mark.parametrize("task,config", [("lm", "textrnn.models.language_model.LanguageModelConfig"),
                                         ("classify", "textrnn.models.classifier.ClassifierConfig")])
def test_cli_and_library_share_the_dropouts(task, config):
    """A model trained from Python gets the dropouts `textrnn train` gives it (None in the CLI: not given)."""
    import dataclasses
    import importlib

    module, name = config.rsplit(".", 1)
    fields = {f.name: f.default for f in dataclasses.fields(getattr(importlib.import_module(module), name))}
    shown = _cli_defaults(task)
    dropouts = [key for key in fields if key.endswith("dropout") and shown.get(key) is not None]
    assert dropouts
    for key in dropouts:
        assert shown[key] == fields[key] or (fields[key] is None and shown[key] == shown["dropout"]), key


def test_the_language_model_learning_rate_follows_the_optimizer():
    assert (defaults.LM.optimizer, defaults.LM.lr) == ("sgd", 20.0)
    assert defaults.training("lm").lr == 20.0
    assert defaults.training("lm", optimizer="adam").lr == 2e-3
    assert defaults.training("lm", optimizer="adam", lr=0.01).lr == 0.01
    assert defaults.training("classify", optimizer="sgd").lr == defaults.CLASSIFY.lr  # measured for the LM only


def test_naming_adam_alone_trains_at_adams_rate(cli, lm_corpus, tmp_path):
    """--optimizer adam alone must not keep the SGD rate of 20, at which Adam's loss goes to NaN."""
    for name, flags, want in (("sgd", [], ("sgd", 20.0)), ("adam", ["--optimizer", "adam"], ("adam", 2e-3))):
        result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / name), "--epochs", "1", *flags, *QUICK_LM)
        assert result.exit_code == 0, result.output
        train = json.loads((tmp_path / name / "config.json").read_text())["training"]["train"]
        assert (train["optimizer"], train["lr"]) == want


def test_the_help_names_each_optimizers_rate(cli):
    result = cli("train", "lm", "--help", env={"COLUMNS": "250"})
    assert "Learning rate (default: 20 with sgd, 0.002 with adam, adamw or rmsprop)" in result.stdout


def _benchmark():
    """benchmarks/defaults.py, imported as a module (it imports its neighbour _common)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("bench_defaults", REPO / "benchmarks" / "defaults.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.mark.parametrize("task", ["lm", "classify", "translate"])
def test_the_defaults_are_the_measured_candidate_the_readme_names(task):
    bench = _benchmark()
    candidates = {"lm": bench.LM_CANDIDATES, "classify": bench.CLASSIFY_CANDIDATES,
                  "translate": bench.TRANSLATE_CANDIDATES}[task]
    name, changed = bench.CHOSEN[task]
    flags = shlex.split(candidates[name]) + shlex.split(changed)
    given = dict(zip(flags[::2], flags[1::2]))
    chosen = defaults.TASKS[task]
    for flag, field in (("--lr", "lr"), ("--optimizer", "optimizer"), ("--epochs", "epochs"),
                        ("--patience", "patience"), ("--clip", "clip")):
        if flag in given:
            assert type(getattr(chosen, field))(given[flag]) == getattr(chosen, field), flag
    shown = _cli_defaults(task)
    for flag in ("--dropout", "--embedding-dropout", "--output-dropout"):
        if flag in given:
            assert float(given[flag]) == shown[flag[2:].replace("-", "_")], flag
