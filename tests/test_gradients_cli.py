"""`textrnn gradients`: its table, TSV, JSON and picture, the long-range mode, and every refusal as one line."""

from __future__ import annotations

import json

import pytest

from conftest import one_line_error

TINY = ["--tokenizer", "whitespace", "--hidden-size", "8", "--windows", "4"]


@pytest.fixture
def tiny(cli, lm_corpus):
    def run(*args: str):
        return cli("gradients", "--corpus", str(lm_corpus), *TINY, *args)

    return run


def test_a_pipe_gets_every_k_as_tsv_one_column_per_cell(tiny):
    result = tiny("--distance", "6", "--cells", "rnn,gru")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "k\trnn\tgru"
    assert [line.split("\t")[0] for line in lines[1:]] == [str(k) for k in range(7)]
    assert lines[1] == "0\t1\t1"
    rnn = [float(line.split("\t")[1]) for line in lines[1:]]
    assert rnn[6] < rnn[1] < 1  # an untrained tanh RNN's gradient shrinks at every step back


def test_json_has_the_norms_and_ratios_of_each_curve(tiny):
    result = tiny("--distance", "3", "--cells", "lstm", "--train-steps", "3", "--json")
    assert result.exit_code == 0, result.stderr
    before, after = (json.loads(line) for line in result.stdout.splitlines())
    assert (before["label"], before["trained_steps"], after["trained_steps"]) == ("lstm", 0, 3)
    assert before["distance"] == [0, 1, 2, 3] and before["ratio"][0] == 1.0
    assert after["ratio"][2] == pytest.approx(after["norm"][2] / after["norm"][0])
    assert before["windows"] == 4 and before["layer"] == 1


def test_plot_writes_a_png(tiny, tmp_path):
    picture = tmp_path / "gradients.png"
    result = tiny("--distance", "4", "--cells", "rnn", "--plot", str(picture))
    assert result.exit_code == 0, result.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {picture}" in result.stderr


def test_a_terminal_gets_a_table(lm_corpus):
    from rich.console import Console

    from textrnn.inspect.gradients import GradientConfig, vanishing_gradients
    from textrnn_cli.output import Output
    from textrnn_cli.render.gradients import curves

    config = GradientConfig(distance=12, windows=4)
    results = vanishing_gradients(corpus=str(lm_corpus), cells=["rnn", "gru"], hidden_size=8, tokenizer="whitespace",
                                  config=config)
    out = Output()
    out.rich, out.console = True, Console(record=True, width=120)
    curves(results, out, config, "lm.txt")
    text = out.console.export_text()
    assert "rnn" in text and "gru" in text and "mean over 4 windows of lm.txt" in text
    rows = [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0].isdigit()]
    assert rows == ["1", "2", "5", "10", "12"]


def test_long_range_trains_each_cell_at_each_distance(cli):
    result = cli("gradients", "--long-range", "--cells", "rnn,gru", "--distances", "2,3", "--train-steps", "5",
                 "--hidden-size", "4")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "k\trnn\tgru" and [line.split("\t")[0] for line in lines[1:]] == ["2", "3"]
    assert all(0 <= float(v) <= 1 for line in lines[1:] for v in line.split("\t")[1:])
    assert "rnn at k = 2:" in result.stderr
    rows = [json.loads(line) for line in cli("gradients", "--long-range", "--cells", "gru", "--distances", "2",
                                              "--train-steps", "2", "--hidden-size", "4", "--json").stdout.splitlines()]
    assert [(r["cell"], r["distance"], r["chance"]) for r in rows] == [("gru", 2, 0.125)]


@pytest.mark.parametrize("args, code, fragments", [
    (["--cells", "rnn,transformer"], 2, ["unknown cell 'transformer'", "lstm"]),
    (["--distance", "0"], 2, ["distance must be at least 1, got 0"]),
    (["--cells", ","], 2, ["--cells names no cell"]),
    (["--distances", "5,10"], 2, ["--distances is for --long-range"]),
    (["--train-steps", "-1"], 2, ["train steps must be 0 or more"]),
    (["--layers", "0"], 2, ["--layers must be a whole number at least 1, got 0"]),
    (["--distance", "100000"], 4, ["tokens;", "needs at least 100,022"]),
    (["--plot", "no/such/folder/g.png"], 2, ["cannot write no/such/folder/g.png", "not a folder"]),
    (["--plot", "g.txt"], 2, ["no picture format for .txt"]),
])
def test_mistakes_are_one_line(tiny, args, code, fragments):
    one_line_error(tiny(*args), code, *fragments)


@pytest.mark.parametrize("args, code, fragments", [
    (["-m", "sentiment"], 5, ["sentiment is a classifier; this needs a language model"]),
    (["-m", "no-such-model"], 3, ["no model directory or bundled model named 'no-such-model'"]),
    (["-m", "everyday-english", "--hidden-size", "8"], 2, ["--hidden-size cannot be used here", "take its sizes"]),
    (["--corpus", "no-such-file.txt"], 3, ["no such file or folder: no-such-file.txt"]),
    (["--long-range", "-m", "everyday-english", "--distance", "5"], 2, ["--model and --distance cannot be used"]),
    (["--long-range", "--distances", "5,x"], 2, ["whole numbers separated by commas"]),
    (["--long-range", "--distances", "0"], 2, ["a distance must be at least 1"]),
    (["--long-range", "--train-steps", "0"], 2, ["training steps must be at least 1"]),
])
def test_wrong_models_and_options_are_one_line(cli, args, code, fragments):
    one_line_error(cli("gradients", *args), code, *fragments)


def test_gradients_has_help(cli):
    result = cli("gradients", "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
