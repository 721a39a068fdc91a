"""A classifier on real data through the CLI: evaluate reads data as `train classify` does, label maps between a
dataset's names and a model's, and notes that say how many texts were cut to the model's length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import one_line_error, run_textrnn

POS = ["a fine and moving film", "great acting , lovely story", "i loved it", "warm , funny and wise"]
NEG = ["a dull and tired film", "awful acting , boring story", "i hated it", "cold , flat and silly"]
TAIL = " and then the rest goes on and on"  # makes a text longer than MAX_LENGTH tokens
MAX_LENGTH = "8"
TINY = ["--tokenizer", "whitespace", "--hidden-size", "16", "--embedding-size", "16", "--batch-size", "8",
        "--seed", "3", "--quiet"]


def _rows(n: int, labels: tuple[str, str] = ("0", "1")) -> list[str]:
    """`label text` lines, labels alternating; every fourth text is longer than MAX_LENGTH tokens."""
    rows = []
    for i in range(n):
        pos = i % 2 == 1
        text = (POS if pos else NEG)[(i // 2) % 4] + (TAIL if i % 4 == 0 else "")
        rows.append(f"{labels[pos]} {text}\n")
    return rows


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(model directory, the CLI result): trained on 0/1 lines mapped to neg/pos, with --max-length 8."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("realdata")
    data = _write(root / "train.txt", _rows(80))
    result = CliRunner().invoke(app, ["train", "classify", str(data), "-o", str(root / "model"), "--epochs", "3",
                                      "--lr", "0.01", "--label-map", "0=neg,1=pos", "--max-length", MAX_LENGTH,
                                      *TINY], env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "model", result


@pytest.fixture
def model(trained) -> Path:
    return trained[0]


@pytest.fixture(scope="module")
def sorted_dev(tmp_path_factory) -> Path:
    """2,200 `0 text` / `1 text` lines sorted by label: the first 2,000 all say 0. 550 are long."""
    return _write(tmp_path_factory.mktemp("dev") / "dev.sorted", sorted(_rows(2200)))


# Training ----------------------------------------------------------------------------------------

def test_training_with_a_label_map_saves_the_models_labels(model):
    config = json.loads((model / "config.json").read_text())
    assert config["labels"] == ["neg", "pos"]
    assert config["training"]["data"]["label_map"] == {"0": "neg", "1": "pos"}


def test_training_notes_and_returns_how_many_texts_were_cut(trained):
    model, result = trained
    assert "truncated_texts\t20" in result.stdout  # 80 rows, every fourth long
    assert "note: 20 texts were longer than the model reads (--max-length 8 tokens)" in result.stderr
    cut = json.loads((model / "config.json").read_text())["training"]["truncated"]
    assert cut["train"] + cut["valid"] == 20 and cut["valid"] > 0


def test_training_with_a_malformed_label_map_stops_before_reading(cli, tmp_path):
    result = cli("train", "classify", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "m"), "--label-map", "0neg")
    one_line_error(result, 2, "--label-map '0neg': '0neg' is not DATA_LABEL=MODEL_LABEL", "0=neg,1=pos")


def test_training_with_mapped_validation_data(cli, tmp_path):
    """--valid is read with the same map: 0/1 there too."""
    train = _write(tmp_path / "t.txt", _rows(40))
    valid = _write(tmp_path / "v.txt", _rows(12))
    result = cli("train", "classify", str(train), "--valid", str(valid), "-o", str(tmp_path / "m"), "--epochs", "1",
                 "--label-map", "0=neg,1=pos", *TINY)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "config.json").read_text())["training"]["valid_examples"] == 12


# Evaluate ----------------------------------------------------------------------------------------

def test_evaluate_a_sorted_label_space_file_with_a_label_map(cli, model, sorted_dev):
    result = cli("evaluate", str(model), str(sorted_dev), "--label-map", "0=neg,1=pos", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == 2200 and report["labels"] == ["neg", "pos"]
    assert sum(map(sum, report["confusion"])) == 2200 and report["per_class"]["neg"]["support"] == 1100
    assert report["label_map"] == {"0": "neg", "1": "pos"}
    assert report["truncated"] == 550 and report["max_length"] == 8
    assert "note: 550 of 2,200 texts were longer than the model reads (--max-length 8 tokens)" in result.stderr
    forced = cli("evaluate", str(model), str(sorted_dev), "--label-map", "0=neg,1=pos", "--format", "label-space",
                 "--json")
    assert json.loads(forced.stdout)["confusion"] == report["confusion"]


def test_evaluate_plain_output_notes_the_cut_texts_on_stderr(cli, model, tmp_path):
    test = _write(tmp_path / "test.txt", _rows(20, ("neg", "pos")))
    result = cli("evaluate", str(model), str(test))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("examples\t20\n")
    assert "note: 5 of 20 texts were longer" in result.stderr and "note:" not in result.stdout
    report = json.loads(cli("evaluate", str(model), str(test), "--json").stdout)
    assert report["label_map"] is None and report["truncated"] == 5


def test_evaluate_takes_the_column_and_format_options_of_training(cli, model, tmp_path):
    """A CSV without a telling suffix or header names: read only with --format and the column options."""
    rows = [line.split(" ", 1) for line in _rows(12, ("neg", "pos"))]
    lines = [f'{i},{label},"{text.strip()}"\n' for i, (label, text) in enumerate(rows)]
    data = _write(tmp_path / "reviews.data", lines)
    one_line_error(cli("evaluate", str(model), str(data)), 4, "no label column found")
    result = cli("evaluate", str(model), str(data), "--format", "csv", "--text-column", "2", "--label-column", "1",
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["examples"] == 12


def test_evaluate_hints_name_options_that_evaluate_has(cli, model, tmp_path):
    plain = _write(tmp_path / "plain.txt", ["just some text\n", "without any labels at all\n", "and more\n"])
    one_line_error(cli("evaluate", str(model), str(plain)), 4, "no label column found",
                   "--label-column", "--format label-space")
    help_text = cli("evaluate", "--help", env={"COLUMNS": "200"}).stdout
    for option in ("--label-column", "--text-column", "--format", "--label-map", "--encoding-errors"):
        assert option in help_text, option


def test_evaluate_names_both_label_sets_and_suggests_a_map(cli, model, sorted_dev):
    one_line_error(cli("evaluate", str(model), str(sorted_dev)), 2, "labels the model does not know: 0, 1",
                   "the data's labels: 0, 1", "the model's labels: neg, pos", "--label-map 0=neg,1=pos")


def test_evaluate_with_a_map_that_still_misses(cli, model, sorted_dev):
    one_line_error(cli("evaluate", str(model), str(sorted_dev), "--label-map", "0=negative,1=pos"), 2,
                   "labels the model does not know: negative", "(after --label-map): negative, pos",
                   "--label-map negative=neg")


@pytest.mark.parametrize("spec, fragment", [("0=neg;1=pos", "'0=neg;1=pos' is not DATA_LABEL=MODEL_LABEL"),
                                            ("0=neg,0=pos", "'0' is mapped twice")])
def test_evaluate_with_a_malformed_map(cli, model, sorted_dev, spec, fragment):
    one_line_error(cli("evaluate", str(model), str(sorted_dev), "--label-map", spec), 2, fragment)


def test_evaluate_warns_about_map_entries_the_data_lacks(cli, model, sorted_dev):
    result = cli("evaluate", str(model), str(sorted_dev), "--label-map", "0=neg,1=pos,2=neu", "--json")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "--label-map names labels the data does not have: 2" in result.stderr


def test_evaluate_refuses_classifier_options_for_a_language_model(cli):
    one_line_error(cli("evaluate", "everyday-english", "corpora/everyday-english", "--label-map", "0=neg"), 2,
                   "everyday-english is a language model: --label-map is for classifiers")
    one_line_error(cli("evaluate", "everyday-english", "corpora/everyday-english", "--format", "label-space"), 2,
                   "--format label-space is for classifiers")


def test_evaluate_with_an_unknown_format(cli, model, sorted_dev):
    one_line_error(cli("evaluate", str(model), str(sorted_dev), "--format", "xml"), 2, "unknown format 'xml'",
                   "label-space")


def test_sorted_sst2_dev_set_with_the_bundled_sentiment_model(cli, shared_data, tmp_path):
    """The real case: SST-2's dev sentences say 0/1, the bundled model neg/pos."""
    lines = (shared_data / "sst2" / "stsa.binary.dev").read_text(encoding="utf-8").splitlines(keepends=True)
    dev = _write(tmp_path / "dev.sorted", sorted(lines))
    one_line_error(cli("evaluate", "sentiment", str(dev)), 2, "--label-map 0=neg,1=pos")
    result = cli("evaluate", "sentiment", str(dev), "--label-map", "0=neg,1=pos", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == len(lines) and report["label_map"] == {"0": "neg", "1": "pos"}
    assert report["accuracy"] > 0.55 and report["truncated"] == 0


# Predict -----------------------------------------------------------------------------------------

def test_predict_says_which_texts_were_cut_and_how_many(model):
    short, long = NEG[0], POS[0] + TAIL
    result = run_textrnn("predict", "-m", str(model), "--json", input=f"{short}\n{long}\n{long}\n")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["truncated"] for line in result.stdout.splitlines()] == [False, True, True]
    assert "note: 2 of 3 texts were longer than the model reads" in result.stderr
    plain = run_textrnn("predict", "-m", str(model), short)
    assert plain.returncode == 0 and "longer than the model reads" not in plain.stderr


# Which tokens a long text keeps --------------------------------------------------------------------

def test_truncate_keeps_the_head_the_tail_or_both():
    from textrnn.data.classify import truncate

    tokens = [str(i) for i in range(10)]
    assert truncate(tokens, 4, "head") == ["0", "1", "2", "3"]
    assert truncate(tokens, 4, "tail") == ["6", "7", "8", "9"]
    assert truncate(tokens, 8, "head+tail") == ["0", "1", "4", "5", "6", "7", "8", "9"]
    assert truncate(tokens[:3], 4, "tail") == ["0", "1", "2"]


@pytest.mark.parametrize("how, learns", [("tail", True), ("head", False)])
def test_truncate_tail_reads_the_verdict_at_the_end(tmp_path, how, learns):
    """Every text opens with the same filler and ends with its verdict: only a model that keeps the tail sees it,
    at training and when the saved model predicts."""
    filler = "so here is what i thought about the film after seeing it twice"
    rows = [f"{label} {filler} {verdict}\n" for i in range(40) for label, verdict in
            [("pos", ["great", "lovely", "wonderful"][i % 3]), ("neg", ["awful", "boring", "dreadful"][i % 3])]]
    data = _write(tmp_path / "train.txt", rows)
    model = tmp_path / "model"
    result = run_textrnn("train", "classify", str(data), "-o", str(model), "--epochs", "4", "--lr", "0.01",
                         "--max-length", "4", "--truncate", how, *TINY, env={"TEXTRNN_CACHE": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert json.loads((model / "config.json").read_text())["training"]["data"]["truncate"] == how
    dev = _write(tmp_path / "dev.txt", [f"{label} {filler} {word}\n" for label, word in
                                        [("pos", "great"), ("neg", "awful"), ("pos", "wonderful"),
                                         ("neg", "boring")] * 5])
    report = json.loads(run_textrnn("evaluate", str(model), str(dev), "--json").stdout)
    assert (report["accuracy"] == 1.0) is learns


def test_an_unknown_truncation_is_one_line(tmp_path):
    data = _write(tmp_path / "train.txt", _rows(8))
    result = run_textrnn("train", "classify", str(data), "-o", str(tmp_path / "m"), "--truncate", "middle", *TINY)
    one_line_error(result, 2, "middle", "head+tail")
