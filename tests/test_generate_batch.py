"""Many prompts at once (generate_many, predict_many, the stdin filters): the same text as one prompt at a time
for the same seed, in input order, each row stopping on its own; a pipe is answered line by line as it comes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from conftest import LM_TEXT, QUICK_LM

# Different lengths, blank ones, a repeated one (its copies must still differ: each prompt has its own seed).
PROMPTS = ["I love eating", "The weather today is sunny and", "", "We",
           "My sister loves eating apples and cheese. They went to the station to catch the", "  ",
           "She is going", "I love eating"]


def _train(root: Path, cell: str) -> Path:
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    corpus = root / "corpus.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    args = list(QUICK_LM)
    args[args.index("--layers") + 1] = "2"  # two layers: the lower layer's state is carried too
    result = CliRunner().invoke(app, ["train", "lm", str(corpus), "-o", str(root / cell), "--cell", cell,
                                      "--epochs", "2", "--optimizer", "adam", "--lr", "0.01", *args],
                                env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / cell


@pytest.fixture(scope="module", params=["lstm", "gru"])
def small(request, tmp_path_factory):
    """A two-layer model of each cell kind (an LSTM's state is a pair, a GRU's one tensor), trained once."""
    from textrnn.tasks.lm import LanguageModelRunner

    return LanguageModelRunner(_train(tmp_path_factory.mktemp("lm"), request.param))


@pytest.fixture(scope="module")
def bundled():
    from textrnn.tasks.lm import LanguageModelRunner

    return LanguageModelRunner("everyday-english")


def _tokens(model, prompts, **options) -> list[list[str]]:
    return [g.tokens for g in model.generate_many(prompts, **options)]


# The batch runs what each prompt alone runs --------------------------------------------------------------

def test_prompts_of_different_lengths_end_in_the_state_each_reaches_alone(small):
    from textrnn.tasks.lm import encode_prompt
    from textrnn.tasks.lm_generate import run_prompts

    ids = [encode_prompt(p, small.tokenizer, small.vocab).ids for p in PROMPTS if p.strip()]
    assert len({len(i) for i in ids}) >= 4
    logits, state = run_prompts(small.model, ids, "cpu")
    states = state if isinstance(state, tuple) else (state,)
    for b, one in enumerate(ids):
        with torch.inference_mode():
            out, alone = small.model.hidden(torch.tensor([one]))
            expected = small.model.scores(out[:, -1:])[0, -1]
        torch.testing.assert_close(logits[b], expected, rtol=1e-5, atol=1e-5)
        for got, want in zip(states, alone if isinstance(alone, tuple) else (alone,)):
            torch.testing.assert_close(got[:, b], want[:, 0], rtol=1e-5, atol=1e-5)  # every layer


@pytest.mark.parametrize("until", ["line", "none"])
def test_batched_text_is_one_at_a_time_text_for_the_same_seed(small, until):
    """Exact here. Batched logits differ from one row's in their last bits (5e-7 on these models), so a draw
    that falls that close to a boundary between two tokens could differ: none did in 40 seeds."""
    prompts = PROMPTS * 3
    one = _tokens(small, prompts, seed=5, until=until, n=12, batch_size=1)
    assert _tokens(small, prompts, seed=5, until=until, n=12, batch_size=5) == one
    assert _tokens(small, prompts, seed=5, until=until, n=12) == one
    assert len({tuple(t) for t in one[::len(PROMPTS)]}) > 1, "the copies of one prompt got the same random numbers"


def test_the_first_prompt_is_the_prompt_alone_and_each_gives_the_seed_that_reproduces_it(small):
    results = list(small.generate_many(PROMPTS, seed=11, n=10, batch_size=3))
    assert results[0].seed == 11 and results[0].tokens == list(small.generate(PROMPTS[0], seed=11, n=10))
    for result in results:
        assert list(small.generate(result.prompt, seed=result.seed, n=10)) == result.tokens
    assert len({r.seed for r in results}) == len(PROMPTS)


def test_greedy_batched_is_greedy_for_each_prompt(small):
    batched = _tokens(small, PROMPTS, temperature=0, n=10, batch_size=4)
    assert batched == [list(small.generate(p, temperature=0, n=10)) for p in PROMPTS]


def test_results_come_in_input_order_across_batches(small):
    prompts = [f"{p} {i}" if p.strip() else p for i, p in enumerate(PROMPTS * 4)]
    results = list(small.generate_many(prompts, seed=2, n=15, batch_size=3))
    assert [r.index for r in results] == list(range(len(prompts)))
    assert [r.prompt for r in results] == prompts
    assert len({len(r.tokens) for r in results}) > 1  # rows stopped at different steps, and still came in order


# Each row stops on its own --------------------------------------------------------------------------------

def test_until_sentence_ends_each_row_at_its_own_sentence_end(bundled):
    prompts = ["The weather today", "I love eating", "We are going to the", "My", "Yesterday I"] * 4
    options = {"seed": 1, "until": "sentence", "n": 25}
    results = _tokens(bundled, prompts, **options)
    assert results == _tokens(bundled, prompts, batch_size=1, **options)
    for tokens in results:
        ends = [i for i, t in enumerate(tokens) if t in {".", "!", "?"}]
        assert ends in ([len(tokens) - 1], []) and (ends or len(tokens) == 25), tokens
        assert "\n" not in tokens
    assert len({len(t) for t in results}) > 3


def test_until_line_stops_at_the_line_end_and_none_writes_it(small):
    line = _tokens(small, PROMPTS * 2, seed=4, n=30)
    assert all("\n" not in t and 1 <= len(t) <= 30 for t in line)
    assert any(len(t) < 30 for t in line)  # some rows ended at their end of line while others went on
    none = _tokens(small, PROMPTS * 2, seed=4, n=30, until="none")
    assert all(len(t) == 30 for t in none) and any("\n" in t for t in none)


def test_bad_options_are_refused_before_the_first_prompt_is_read(small):
    from textrnn.errors import ConfigError, InputError

    def prompts():
        raise AssertionError("read")
        yield

    with pytest.raises(ConfigError, match="--top-p"):
        small.generate_many(prompts(), top_p=0.0)
    with pytest.raises(InputError, match="--until"):
        small.generate_many(prompts(), until="word")


# The CLI filters --------------------------------------------------------------------------------------------

def test_filter_keeps_blank_lines_and_order_and_matches_the_library(cli, bundled):
    lines = ["I love eating", "", "The weather today", "\u200b", "We are going to the"] * 3
    result = cli("generate", "--seed", "3", "-n", "12", "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(r) for r in result.stdout.splitlines()]
    assert [r["prompt"] for r in rows] == lines
    expected = list(bundled.generate_many(lines, seed=3, n=12, top_p=0.95, batch_size=1))
    assert [r["tokens"] for r in rows] == [len(g.tokens) for g in expected]
    # Detokenizing changes only the spaces ("word ," reads "word,"):
    assert ["".join(r["continuation"].split()) for r in rows] == ["".join(g.tokens) for g in expected]
    assert [r["seed"] for r in rows] == [g.seed for g in expected]
    plain = cli("generate", "--seed", "3", "-n", "12", input="\n".join(lines) + "\n")
    assert plain.stdout.splitlines() == [r["text"].replace("\n", " ") for r in rows]


def test_the_seed_a_filter_reports_reproduces_the_prompt_alone(cli):
    result = cli("generate", "--seed", "8", "-n", "10", "--json", input="I love eating\nThe weather today\n")
    for row in map(json.loads, result.stdout.splitlines()):
        alone = cli("generate", row["prompt"], "--seed", str(row["seed"]), "-n", "10", "--json")
        assert json.loads(alone.stdout)["text"] == row["text"]


def test_predict_many_lines_answers_as_line_by_line(cli, bundled):
    words = "I love eating pasta with my family and we are going to the market today".split()
    lines = [" ".join(words[i % 7: i % 7 + 1 + i % 9]) for i in range(70)]  # more than one batch of 64
    result = cli("predict", "--json", "-k", "4", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(r) for r in result.stdout.splitlines()]
    assert [r["prompt"] for r in rows] == lines
    for row, line in zip(rows, lines):
        alone = bundled.predict(line, k=4)["predictions"]
        assert [p["token"] for p in row["predictions"]] == [p["token"] for p in alone]
        assert [p["probability"] for p in row["predictions"]] == pytest.approx([p["probability"] for p in alone],
                                                                               rel=1e-5)


@pytest.mark.parametrize("command", [["generate", "-n", "4"], ["predict", "-k", "2"], ["predict", "-m", "sentiment"],
                                     ["predict", "-m", "en-fr"]])
def test_a_pipe_is_answered_line_by_line_without_waiting_for_a_batch(command, tmp_path):
    """A writer that sends one line and waits for its answer (a coprocess, `tail -f`) gets it at once: the
    filter batches only the lines already there. Waiting for a batch to fill would hang here until timeout."""
    proc = subprocess.Popen([sys.executable, "-m", "textrnn", *command], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "TEXTRNN_CACHE": str(tmp_path)})
    try:
        for prompt in ("I love eating", "The weather today"):
            proc.stdin.write(prompt.encode() + b"\n")
            proc.stdin.flush()
            answer = _read_line(proc.stdout, timeout=240)
            assert answer is not None, f"no answer to {prompt!r} while stdin stays open"
            assert answer.strip(), answer
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def _read_line(stream, timeout: float) -> bytes | None:
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else None


def test_one_prompt_in_a_terminal_streams_the_text_a_pipe_gets(cli):
    from test_cli import in_a_terminal

    args = ("generate", "The weather today", "-n", "12", "--seed", "4")
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", in_a_terminal(*args, env={}))
    assert shown.replace("\r\n", "\n").strip() == cli(*args).stdout.strip()
