"""Attention, Seq2Seq and batched decoding on tiny tensors: shapes, masking, packing, search invariants."""

from __future__ import annotations

import itertools

import pytest
import torch

from textrnn.data.translate import collate, pad
from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models.attention import ATTENTIONS, make_attention
from textrnn.models.seq2seq import Seq2Seq, Seq2SeqConfig
from textrnn.text.vocab import EOS_ID, PAD_ID
from textrnn.translate_decode import DecodeConfig, beam_search, greedy, replace_unknown, translate_ids

V_SRC, V_TGT = 23, 19


def tiny(**kw) -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(Seq2SeqConfig(V_SRC, V_TGT, embedding_size=8, hidden_size=12, **kw)).eval()


def batch():
    src = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14]]
    tgt = [[4, 5, 6], [7, 8, 9, 10, 11], [12]]
    return collate(src, tgt)


@pytest.mark.parametrize("name", sorted(ATTENTIONS))
def test_attention_masks_padding_and_normalises(name):
    torch.manual_seed(0)
    attn = make_attention(name, 6)
    memory = torch.randn(2, 4, 6)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    context, weights = attn(torch.randn(2, 6), attn.keys(memory), memory, mask)
    assert context.shape == (2, 6) and weights.shape == (2, 4)
    assert torch.allclose(weights.sum(-1), torch.ones(2))
    assert torch.all(weights[1, 2:] == 0)
    # The context is the weighted sum of the memory rows.
    assert torch.allclose(context, torch.einsum("bs,bsh->bh", weights, memory), atol=1e-6)
    # A (B, T, H) query gives the same rows as T separate (B, H) queries.
    queries = torch.randn(2, 3, 6)
    ctx3, w3 = attn(queries, attn.keys(memory), memory, mask)
    assert ctx3.shape == (2, 3, 6) and w3.shape == (2, 3, 4)
    assert torch.allclose(w3[:, 1], attn(queries[:, 1], attn.keys(memory), memory, mask)[1], atol=1e-6)


@pytest.mark.parametrize("cell,attention,input_feed,bidirectional,layers",
                         [(c, a, f, b, n) for c, a, f, b, n in itertools.product(
                             ("gru", "lstm"), sorted(ATTENTIONS), (True, False), (True, False), (1, 2))
                          if n == 1 or (f and b)])
def test_shape_matrix(cell, attention, input_feed, bidirectional, layers):
    model = tiny(cell=cell, attention=attention, input_feed=input_feed, bidirectional=bidirectional,
                 num_layers=layers).train()
    b = batch()
    logits, loss = model({**b, "teacher_forcing": 0.5})
    assert logits.shape == (3, 6, V_TGT)  # longest target + <eos>
    assert torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "decoder.embedding" in n)


def test_fused_decoder_path_equals_stepwise():
    """Luong attention without input feeding runs the decoder RNN fused; it must match one step at a time."""
    model = tiny(attention="general", input_feed=False)
    b = batch()
    state = model.encode(b["src"], b["src_len"])
    fused = model.decoder.project(model.decoder.forced(b["tgt_in"], state))
    stepwise = model._stepwise(b["tgt_in"], state, 1.0)
    assert torch.allclose(fused, stepwise, atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_packing_makes_padding_invisible(cell):
    """A sentence's encoding and translation do not depend on the padding its batch-mates force on it."""
    model = tiny(cell=cell)
    alone = model.encode(torch.tensor([[10, 11]]), torch.tensor([2]))
    padded = model.encode(pad([[10, 11], [5, 6, 7, 8, 9]]), torch.tensor([2, 5]))
    assert torch.allclose(alone.memory[0], padded.memory[0, :2], atol=1e-6)
    assert torch.all(padded.memory[0, 2:] == 0)
    h_alone = alone.rnn[0] if isinstance(alone.rnn, tuple) else alone.rnn
    h_padded = padded.rnn[0] if isinstance(padded.rnn, tuple) else padded.rnn
    assert torch.allclose(h_alone[:, 0], h_padded[:, 0], atol=1e-6)
    one = translate_ids(model, [[10, 11]], DecodeConfig(beam=3))[0]
    many = translate_ids(model, [[10, 11], [5, 6, 7, 8, 9], [12]], DecodeConfig(beam=3))[0]
    assert one.tokens == many.tokens


def test_teacher_forcing_ratio_changes_training_only():
    model = tiny().train()
    b = batch()
    torch.manual_seed(1)
    _, forced = model({**b, "teacher_forcing": 1.0})
    torch.manual_seed(1)
    _, free = model({**b, "teacher_forcing": 0.0})
    assert forced.item() != pytest.approx(free.item())
    model.eval()
    assert model({**b, "teacher_forcing": 0.0})[1].item() == pytest.approx(model(b)[1].item())


def test_beam_of_one_is_greedy_and_lengths_are_capped():
    model = tiny()
    src, src_len = pad([[5, 6, 7], [8, 9]]), torch.tensor([3, 2])
    config = DecodeConfig(beam=1, max_length_ratio=1.0, max_length_extra=2)
    g = greedy(model, src, src_len, config)
    b = beam_search(model, src, src_len, DecodeConfig(beam=1, alpha=0.0, max_length_ratio=1.0, max_length_extra=2))
    assert [t.tokens for t in g] == [t.tokens for t in b]
    for t, n in zip(g, (3, 2)):
        assert 1 <= len(t.tokens) <= n + 2
        assert t.attention.shape == (len(t.tokens), n)
        assert EOS_ID not in t.tokens and PAD_ID not in t.tokens


def test_wider_beam_is_never_less_likely_than_greedy():
    """With no length penalty, the beam's best log-probability is never below greedy's. That the beam finds
    what greedy misses is shown on a hand-set model in test_beam_vs_greedy.py."""
    model = tiny()
    sources = [[5, 6, 7], [8, 9], [10, 11, 12, 13], [14], [15, 16]]
    g = translate_ids(model, sources, DecodeConfig(beam=1))
    b = translate_ids(model, sources, DecodeConfig(beam=4, alpha=0.0))
    assert all(bb.logprob >= gg.logprob - 1e-4 for bb, gg in zip(b, g))


def test_replace_unknown_copies_the_most_attended_source_word():
    attention = torch.tensor([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    assert replace_unknown(["<unk>", "est"], attention, ["Tom", "Paris", "."]) == ["Paris", "est"]


def test_config_validation():
    with pytest.raises(UnknownNameError, match="bahdanau"):
        Seq2SeqConfig(5, 5, attention="luong")
    with pytest.raises(UnknownNameError, match="gru"):
        Seq2SeqConfig(5, 5, cell="rnn")
    with pytest.raises(ConfigError, match="even"):
        Seq2SeqConfig(5, 5, hidden_size=7)
    with pytest.raises(ConfigError):
        DecodeConfig(beam=0)
