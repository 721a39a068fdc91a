"""Beam search finds what greedy decoding misses, on hand-set tiny models whose answer is known.

The models are bigrams: the next token's probability depends on the last token only, from this table.
Greedy takes x (0.55), then z (0.34, just above <eos>), then <eos>: "x z", probability 0.55 * 0.34 * 0.9 =
0.168. The likeliest continuation is "y" then <eos>: 0.45 * 0.95 = 0.43, which a beam of 2 or more finds.
"""

from __future__ import annotations

import math

import pytest
import torch

from textrnn.text.vocab import BOS_ID, EOS_ID, SPECIALS

WORDS = ["s", "x", "y", "z"]  # ids 4-7 after the four specials; "s" is where the continuation starts
IDS = {w: len(SPECIALS) + i for i, w in enumerate(WORDS)}
TABLE = {"s": {"x": 0.55, "y": 0.45}, "x": {"z": 0.34, "x": 0.33, "<eos>": 0.33},
         "y": {"<eos>": 0.95, "z": 0.05}, "z": {"<eos>": 0.9, "x": 0.1}}
GREEDY, BEST = ["x", "z"], ["y"]


def log_table() -> torch.Tensor:
    """(V, V): log P(next | last); rows without an entry are uniform, absent pairs near -inf."""
    v = len(SPECIALS) + len(WORDS)
    table = torch.full((v, v), math.log(1e-9))
    table[: len(SPECIALS)] = math.log(1 / v)
    for last, nexts in TABLE.items():
        for nxt, p in nexts.items():
            table[IDS[last], EOS_ID if nxt == "<eos>" else IDS[nxt]] = math.log(p)
    return table


def probability(words: list[str]) -> float:
    p, last = 1.0, "s"
    for w in words + ["<eos>"]:
        p, last = p * TABLE[last].get(w, 0.0), w
    return p


def test_the_table_makes_beam_and_greedy_differ():
    assert probability(BEST) > 2 * probability(GREEDY)


# A real LanguageModel with hand-set weights, through `textrnn generate` --------------------------

@pytest.fixture(scope="module")
def bigram_lm(tmp_path_factory):
    """An RNN whose hidden state is the one-hot of the last token, and whose output layer is the table."""
    from dataclasses import asdict

    from textrnn import checkpoint
    from textrnn.models import build_model
    from textrnn.text import Vocab

    v = len(SPECIALS) + len(WORDS)
    model = build_model("language_model", {"vocab_size": v, "embedding_size": v, "hidden_size": v, "num_layers": 1,
                                           "cell": "rnn", "dropout": 0.0, "embedding_dropout": 0.0,
                                           "output_dropout": 0.0, "tie_weights": False})
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.embedding.weight.copy_(torch.eye(v))
        model.rnn.weight_ih_l0.copy_(20 * torch.eye(v))  # tanh(20) = 1.0: h is the last token's one-hot
        model.decoder.weight.copy_(log_table().T)  # logits[next] = log P(next | last)
    saved = checkpoint.Saved(task="lm", model_kind="language_model", model_config=asdict(model.config),
                             tokenizers={"text": {"name": "whitespace", "lang": "en", "lowercase": False}},
                             vocabs={"text": Vocab(WORDS)})
    out = tmp_path_factory.mktemp("bigram") / "lm"
    checkpoint.save(out, model, saved)
    return out


def test_generate_beam_finds_the_likelier_continuation_greedy_misses(cli, bigram_lm):
    import json

    def continuation(*options: str) -> list[str]:
        result = cli("generate", "s", "-m", str(bigram_lm), "-n", "5", "--json", *options)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["continuation"].split()

    assert continuation("--greedy") == GREEDY
    assert continuation("--beam", "1") == GREEDY  # one beam is greedy search, whatever the seed
    assert continuation("--beam", "1", "--seed", "7") == GREEDY
    assert continuation("--beam", "3") == BEST


# The translator's batched beam search, over a decoder that is the same table ---------------------

class BigramDecoder:
    """The decoding interface of Seq2Seq (encode, step, state.select) with the table as its only knowledge."""

    class State:
        def __init__(self, rows: int, source_length: int) -> None:
            self.rows, self.source_length = rows, source_length

        def select(self, index: torch.Tensor) -> "BigramDecoder.State":
            return BigramDecoder.State(len(index), self.source_length)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> "BigramDecoder.State":
        return self.State(src.size(0), src.size(1))

    def step(self, tokens: torch.Tensor, state: "BigramDecoder.State"):
        """<bos> reads as "s", the start; logits (N, V), uniform attention (N, S), the state unchanged."""
        last = torch.where(tokens == BOS_ID, torch.full_like(tokens, IDS["s"]), tokens)
        attention = torch.full((tokens.size(0), state.source_length), 1 / state.source_length)
        return log_table()[last], attention, state


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_translation_beam_finds_the_likelier_output_greedy_misses(alpha):
    from textrnn.data.translate import pad
    from textrnn.translate_decode import DecodeConfig, beam_search, greedy

    src, lengths = pad([[9, 9, 9]]), torch.tensor([3])
    config = DecodeConfig(beam=3, alpha=alpha)
    (g,) = greedy(BigramDecoder(), src, lengths, DecodeConfig(beam=1))
    (b,) = beam_search(BigramDecoder(), src, lengths, config)
    assert g.tokens == [IDS[w] for w in GREEDY]
    assert b.tokens == [IDS[w] for w in BEST]
    assert b.logprob == pytest.approx(math.log(probability(BEST)), abs=1e-4)
    assert b.logprob > g.logprob + 0.5
