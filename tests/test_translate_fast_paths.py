"""The fast paths of translation training give what the plain ones give: the dense encoder what packing gives."""

from __future__ import annotations

import pytest
import torch

from textrnn.models.cells import make_rnn, run_packed_states, run_padded_states
from textrnn.models.seq2seq import Seq2Seq, Seq2SeqConfig

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
