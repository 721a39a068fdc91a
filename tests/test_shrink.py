"""`textrnn shrink`: float16 weights on disk, float32 in memory, the same predictions."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import one_line_error


@pytest.fixture
def classifier(cli, tmp_path):
    rows = [("pos", "what a lovely warm day"), ("neg", "cold grey miserable rain")] * 40
    data = tmp_path / "data.tsv"
    data.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    out = tmp_path / "cls"
    result = cli("train", "classify", str(data), "-o", str(out), "--tokenizer", "whitespace", "--hidden-size", "32",
                 "--epochs", "2", "--seed", "1", "-qq")
    assert result.exit_code == 0, result.output
    return out


def test_shrink_halves_the_weights_and_keeps_the_predictions(cli, classifier, tmp_path):
    texts = ["a lovely day", "miserable rain", "warm and grey"]
    before = [json.loads(line) for line in cli("predict", "-m", str(classifier), *texts, "--json").stdout.splitlines()]
    size = (classifier / "model.safetensors").stat().st_size
    result = cli("shrink", str(classifier), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bytes_before"] == size and report["bytes_after"] < size * 0.55
    after = [json.loads(line) for line in cli("predict", "-m", str(classifier), *texts, "--json").stdout.splitlines()]
    for b, a in zip(before, after):
        assert a["label"] == b["label"]
        assert a["probability"] == pytest.approx(b["probability"], abs=2e-3)
    assert json.loads(cli("info", str(classifier), "--json").stdout)["weights"] == "F16"


def test_shrunk_model_loads_as_float32(classifier, cli):
    import torch

    from textrnn import checkpoint

    assert cli("shrink", str(classifier)).exit_code == 0
    net, _ = checkpoint.load(classifier)
    assert {p.dtype for p in net.parameters()} == {torch.float32}


def test_shrink_needs_a_model_directory(cli, tmp_path):
    one_line_error(cli("shrink", str(tmp_path / "nope")), 3, "no model directory")
    (tmp_path / "empty").mkdir()
    one_line_error(cli("shrink", str(tmp_path / "empty")), 5, "not a textrnn model")


def test_info_shows_the_model_card(cli, classifier):
    (classifier / "README.md").write_text("# My classifier\n\nTrained on two sentences.\n", encoding="utf-8")
    plain = cli("info", str(classifier)).stdout
    assert "Trained on two sentences." in plain
    assert json.loads(cli("info", str(classifier), "--json").stdout)["model_card"].startswith("# My classifier")
