"""`textrnn trace` from the command line: the figures it prints are the library's, in a pipe, as JSON and in a
terminal; the picture and the page are written; every error is one line with its exit code."""

from __future__ import annotations

import json
import struct

import pytest

from conftest import QUICK_LM, one_line_error
from test_cli import colours, in_a_terminal


@pytest.fixture(scope="module")
def library_trace():
    from textrnn.inspect import trace

    return trace("I love eating", gates=True, k=3)


def _rows(stdout: str) -> list[dict[str, str]]:
    header, *lines = stdout.strip().splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"))) for line in lines]


def test_plain_output_is_the_librarys_figures(cli, library_trace):
    result = cli("trace", "I love eating", "--gates")
    assert result.exit_code == 0, result.stderr
    rows = _rows(result.stdout)
    (track,) = library_trace.readings[0].tracks
    assert [r["token"] for r in rows] == ["I", "love", "eating"]
    assert list(rows[0]) == ["step", "token", "change", "kept", "forget", "input", "output", "prediction"]
    for step, row in enumerate(rows):
        assert float(row["change"]) == pytest.approx(track.change[step], abs=1e-4)
        assert float(row["kept"]) == pytest.approx(track.kept[step], abs=1e-4)
        assert float(row["forget"]) == pytest.approx(track.gates["forget"][step].mean(), abs=1e-4)
        top = library_trace.readings[0].predictions[step]["next"][0]
        assert row["prediction"].split()[0] == f"{top['token']}={top['probability']:.4f}"


def test_json_has_every_step(cli, library_trace):
    result = cli("trace", "I love eating", "--json", "--gates")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (reading,) = data["readings"]
    assert [s["token"] for s in reading["steps"]] == ["I", "love", "eating"] and data["gates"] == ["forget", "input", "output"]
    last = reading["steps"][-1]
    assert len(last["tracks"]["layer 1"]["state"]) == 256 and len(last["tracks"]["layer 1"]["memory"]) == 256
    assert last["prediction"]["next"][0]["token"] == library_trace.readings[0].predictions[-1]["next"][0]["token"]


def test_a_terminal_gets_a_coloured_table():
    shown = in_a_terminal("trace", "I love eating", "--gates", env={"COLUMNS": "130"})
    assert "everyday-english reading" in shown and "eating" in shown and "forget" in shown
    assert "▀" in shown and colours(shown), shown[:500]


def test_translator_in_a_pipe_shows_source_then_output(cli):
    result = cli("trace", "I am cold.", "-m", "en-fr")
    assert result.exit_code == 0, result.stderr
    source, output = result.stdout.strip().split("\n\n")
    assert source.splitlines()[0].split("\t") == ["step", "token", "change:encoder layer 1",
                                                  "change:encoder layer 1 backward", "kept:encoder layer 1",
                                                  "kept:encoder layer 1 backward"]
    header, *rows = output.splitlines()
    assert header.split("\t")[-2:] == ["next", "looks_at"] and rows[-1].split("\t")[1] == "<eos>"


def test_stdin_dash(cli):
    result = cli("trace", "-", input="I love eating\n")
    assert result.exit_code == 0 and len(_rows(result.stdout)) == 3


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_plot_and_html_are_written(cli, tmp_path):
    png, page = tmp_path / "t.png", tmp_path / "t.html"
    result = cli("trace", "WINNER! Claim your free prize", "-m", "spam", "--plot", str(png), "--html", str(page))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {png}" in result.stderr and f"wrote {page}" in result.stderr
    width, height = _png_size(png)
    assert width > 400 and height > 300
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<link" not in text  # nothing from the network
    data = json.loads(text.split('<script id="trace-data" type="application/json">')[1].split("</script>")[0])
    assert [s["token"] for s in data["readings"][0]["steps"]][:2] == ["WINNER", "!"]
    assert data["gates"] == ["update", "reset"]  # the page plays the gates even without --gates
    assert not list(tmp_path.glob("*.tmp"))


def test_html_escapes_a_closing_script_tag(tmp_path):
    from textrnn.inspect import trace
    from textrnn.inspect.page import write_page

    page = write_page(trace("I love </script><b>eating", k=2), tmp_path / "p.html")
    text = page.read_text(encoding="utf-8")
    assert text.count("</script>") == 2 and "<b>" not in text


def test_plain_rnn_has_no_gates_and_says_so(cli, lm_corpus, tmp_path):
    model = tmp_path / "rnn"
    trained = cli("train", "lm", str(lm_corpus), "-o", str(model), "--epochs", "1", "--cell", "rnn", *QUICK_LM)
    assert trained.exit_code == 0, trained.stderr
    result = cli("trace", "I love eating", "-m", str(model), "--gates")
    assert result.exit_code == 0, result.stderr
    assert "a plain RNN has no gates" in result.stderr
    assert list(_rows(result.stdout)[0]) == ["step", "token", "change", "kept", "prediction"]


@pytest.mark.parametrize("args,code,fragment", [
    (["trace", "  "], 2, "the prompt is empty"),
    (["trace", " ", "-m", "spam"], 2, "the text is empty"),
    (["trace", "hi", "-m", "no-such-model"], 3, "no-such-model"),
    (["trace", "hi", "-k", "0"], 2, "-k must be at least 1"),
    (["trace", "hi", "--plot", "missing-folder/x.png"], 2, "the folder missing-folder does not exist"),
])
def test_errors_are_one_line(cli, args, code, fragment):
    one_line_error(cli(*args), code, fragment)


def test_a_folder_is_no_page(cli, tmp_path):
    one_line_error(cli("trace", "hi", "--html", str(tmp_path)), 2, "is a directory")
