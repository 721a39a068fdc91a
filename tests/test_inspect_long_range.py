"""The long-range task: its sequences, its accuracy, and a gated cell learning at a distance where the plain
RNN stays at chance."""

from __future__ import annotations

import pytest
import torch

from textrnn.errors import ConfigError, InputError, UnknownNameError
from textrnn.inspect.long_range import LongRangeConfig, accuracy, long_range, parse_distances, remember_first


def test_the_answer_is_the_first_token_and_the_rest_is_noise():
    ids, answers = remember_first(7, 500, 8, torch.Generator().manual_seed(0))
    assert ids.shape == (500, 8) and answers.shape == (500,)
    assert torch.equal(ids[:, 0], answers + 4)  # symbols follow the 4 special ids
    assert int(ids[:, 1:].min()) >= 12 and int(ids[:, 1:].max()) <= 19  # noise: the next 8 ids
    assert set(answers.tolist()) == set(range(8))


def test_accuracy_counts_the_rows_whose_top_score_is_the_answer():
    logits = torch.tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.1, 0.0]])
    assert accuracy(logits, torch.tensor([1, 0, 2, 1])) == 0.75
    assert accuracy(logits, torch.tensor([0, 1, 0, 2])) == 0.0


def test_a_gru_learns_what_a_plain_rnn_cannot_carry_20_steps():
    """Same seed, data and training for both: the GRU names the token 20 steps back, the RNN guesses."""
    result = long_range(LongRangeConfig(cells=("rnn", "gru"), distances=(20,), steps=200, test_size=500))
    rnn, gru = result.accuracy[:, 0]
    assert rnn < 2 * result.chance
    assert gru > 0.9
    assert [row["cell"] for row in result.rows()] == ["rnn", "gru"]


def test_distances_and_config_are_checked():
    assert parse_distances("5, 10,20") == (5, 10, 20)
    with pytest.raises(InputError, match="whole numbers"):
        parse_distances("5,ten")
    with pytest.raises(InputError, match="at least 1, got 0"):
        parse_distances("0,5")
    with pytest.raises(UnknownNameError, match="unknown cell 'lstn'"):
        LongRangeConfig(cells=("lstn",))
    with pytest.raises(ConfigError, match="at least 1"):
        LongRangeConfig(distances=(0,))
    with pytest.raises(ConfigError, match="training steps must be at least 1"):
        LongRangeConfig(steps=0)
