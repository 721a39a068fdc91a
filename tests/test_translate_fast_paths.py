"""The fast paths of translation training give what the plain ones give: the dense encoder what packing gives,
the teacher-forced decoder what one `step` per token gives (loss and gradients), and training still learns."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from textrnn.data.translate import collate
from textrnn.models.cells import make_rnn, run_packed_states, run_padded_states
from textrnn.models.seq2seq import Seq2Seq, Seq2SeqConfig
from textrnn.text.vocab import PAD_ID
from textrnn.translate_decode import DecodeConfig, translate_ids

# Mixed lengths: four distinct ones (an LSTM's dense run stops at each), a row of one token, and a last
# column that is padding in every row (a batch padded past its longest sentence).
LENGTHS = [6, 2, 1, 4, 6]


@pytest.mark.parametrize("cell,layers,bidirectional", [("gru", 1, True), ("lstm", 1, True), ("gru", 2, True),
                                                       ("lstm", 2, True), ("lstm", 2, False), ("gru", 1, False)])
def test_dense_encoder_run_equals_packing(cell, layers, bidirectional):
    """Outputs at real steps, every layer's final state (h and an LSTM's c) and the gradients match packing."""
    torch.manual_seed(0)
    rnn = make_rnn(cell, 5, 7, layers, 0.0, bidirectional)
    x, lengths = torch.randn(len(LENGTHS), max(LENGTHS) + 1, 5), torch.tensor(LENGTHS)
    real = (torch.arange(x.size(1))[None, :] < lengths[:, None]).unsqueeze(-1)
    results = []
    for run in (run_padded_states, run_packed_states):
        rnn.zero_grad()
        out, state = run(rnn, x, lengths)
        states = state if isinstance(state, tuple) else (state,)
        (out * real).sum().backward(retain_graph=True)
        sum(s.pow(2).sum() for s in states).backward()
        results.append((out * real, states, [p.grad.clone() for p in rnn.parameters()]))
    (dense, dense_states, dense_grads), (packed, packed_states, packed_grads) = results
    assert torch.allclose(dense, packed, atol=1e-5)
    assert len(dense_states) == (2 if cell == "lstm" else 1)
    for d, p in zip(dense_states, packed_states):
        assert d.shape == p.shape == (layers * (2 if bidirectional else 1), len(LENGTHS), 7)
        assert torch.allclose(d, p, atol=1e-5)
    assert all(torch.allclose(d, p, atol=1e-4) for d, p in zip(dense_grads, packed_grads))
    assert all(g.abs().sum() > 0 for g in dense_grads)


def test_encoder_runs_dense_on_cpu_and_matches_packing():
    """The model's own encoder (dense on CPU) against the packed run of the same module."""
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(30, 20, embedding_size=8, hidden_size=12, cell="lstm", num_layers=2)).eval()
    src = torch.tensor([[5, 6, 7, 8, 9, 10], [11, 12, 0, 0, 0, 0], [13, 0, 0, 0, 0, 0], [14, 15, 16, 17, 0, 0]])
    lengths = torch.tensor([6, 2, 1, 4])
    memory, (h, c) = model.encoder(src, lengths)
    packed, (ph, pc) = run_packed_states(model.encoder.rnn, model.encoder.embedding(src), lengths)
    assert torch.allclose(memory, packed, atol=1e-5)  # zeros at padding, as packing leaves it
    joined = [torch.cat([s[0::2], s[1::2]], dim=-1) for s in (ph, pc)]  # [forward; backward] per layer
    assert torch.allclose(h, joined[0], atol=1e-5) and torch.allclose(c, joined[1], atol=1e-5)


def batch():
    src = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14], [15]]
    tgt = [[4, 5, 6], [7, 8, 9, 10, 11], [12], [13, 14]]
    return collate(src, tgt)


def stepwise_loss(model: Seq2Seq, b: dict, label_smoothing: float) -> torch.Tensor:
    """The plain way: encode, then one `step` per target token (what greedy and beam search call), each
    projected on its own, the loss over every position with padding ignored."""
    state = model.encode(b["src"], b["src_len"])
    logits = []
    for t in range(b["tgt_in"].size(1)):
        step_logits, _, state = model.step(b["tgt_in"][:, t], state)
        logits.append(step_logits)
    logits = torch.stack(logits, 1)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), b["tgt_out"].reshape(-1), ignore_index=PAD_ID,
                           label_smoothing=label_smoothing)


@pytest.mark.parametrize("cell,attention,input_feed,layers", [
    (c, a, f, n) for c, a, f, n in itertools.product(("gru", "lstm"), ("general", "dot", "bahdanau"), (True, False),
                                                     (1, 2)) if n == 1 or a == "general"])
def test_teacher_forced_loss_and_gradients_equal_one_step_at_a_time(cell, attention, input_feed, layers):
    """Every teacher-forced path (fused for Luong without input feeding, stepwise otherwise; the output layer
    only on real tokens) gives the loss and gradients of projecting one step at a time, in training mode."""
    torch.manual_seed(0)
    smoothing = 0.1 if cell == "lstm" else 0.0
    model = Seq2Seq(Seq2SeqConfig(23, 19, embedding_size=8, hidden_size=12, cell=cell, attention=attention,
                                  input_feed=input_feed, num_layers=layers, dropout=0.0,
                                  label_smoothing=smoothing)).train()
    b = batch()
    output, fast = model(b)
    assert output is None  # no (B, T, V) tensor is made on this path
    fast.backward()
    fast_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    slow = stepwise_loss(model, b, smoothing)
    slow.backward()
    assert fast.item() == pytest.approx(slow.item(), abs=1e-5)
    for name, param in model.named_parameters():
        assert torch.allclose(fast_grads[name], param.grad, atol=1e-5), name
    assert fast_grads["decoder.embedding.weight"].abs().sum() > 0


def test_padding_changes_no_sentence_loss():
    """A pair's loss is the same alone as beside longer batch-mates (their padding is never projected)."""
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(23, 19, embedding_size=8, hidden_size=12)).eval()
    alone = model(collate([[10, 11]], [[7, 8]]))[1]
    together = collate([[10, 11], [5, 6, 7, 8, 9]], [[7, 8], [4, 5, 6, 9, 10, 11]])
    both = model(together)[1] * together["ntokens"]
    other = model(collate([[5, 6, 7, 8, 9]], [[4, 5, 6, 9, 10, 11]]))[1] * 7
    assert (both - other).item() == pytest.approx(alone.item() * 3, abs=1e-4)


@pytest.mark.parametrize("input_feed", [True, False])
def test_training_still_learns_a_copy_task(input_feed):
    """Trained on the fast path alone, a small model learns to copy sequences it then decodes greedily."""
    torch.manual_seed(0)
    rng = torch.Generator().manual_seed(0)
    pairs = [torch.randint(4, 12, (int(n),), generator=rng).tolist()
             for n in torch.randint(2, 6, (160,), generator=rng)]
    model = Seq2Seq(Seq2SeqConfig(12, 12, embedding_size=16, hidden_size=32, dropout=0.0, input_feed=input_feed))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for epoch in range(25):
        for i in range(0, len(pairs), 32):
            _, loss = model(collate(pairs[i:i + 32], pairs[i:i + 32]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    copied = translate_ids(model, pairs[:40], DecodeConfig(beam=1))
    right = sum(t.tokens == p for t, p in zip(copied, pairs[:40]))
    assert losses[-1] < 0.05 * losses[0]
    assert right >= 38, f"{right} of 40 copied"
