"""make_optimizer: PyTorch's fused kernels where this torch has them, the same update as its per-tensor loop."""

from __future__ import annotations

import pytest
import torch

from textrnn.optimizers import make_optimizer


@pytest.mark.parametrize("name,cls", [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)])
def test_fused_optimizer_steps_as_the_loop_does(name, cls):
    torch.manual_seed(0)
    fused_net, loop_net = torch.nn.LSTM(6, 5, 2), torch.nn.LSTM(6, 5, 2)
    loop_net.load_state_dict(fused_net.state_dict())
    fused = make_optimizer(name, fused_net.parameters(), 0.01, 0.001)
    assert fused.defaults.get("fused") is True  # torch >= 2.4 has them on CPU
    loop = cls(loop_net.parameters(), lr=0.01, weight_decay=fused.defaults["weight_decay"])
    x = torch.randn(3, 4, 6)
    for _ in range(5):
        for net, opt in ((fused_net, fused), (loop_net, loop)):
            opt.zero_grad()
            net(x)[0].pow(2).sum().backward()
            opt.step()
    for a, b in zip(fused_net.parameters(), loop_net.parameters()):
        assert torch.allclose(a, b, atol=1e-6), (a - b).abs().max()
    assert not torch.equal(fused_net.weight_ih_l0, torch.nn.LSTM(6, 5, 2).weight_ih_l0)


def test_rmsprop_and_frozen_parameters_still_work():
    net = torch.nn.Linear(3, 2)
    net.bias.requires_grad_(False)  # as gradual unfreezing leaves a layer: no gradient, left alone
    for name in ("rmsprop", "adam"):
        opt = make_optimizer(name, net.parameters(), 0.1)
        before = net.bias.clone()
        net(torch.ones(1, 3)).sum().backward()
        opt.step()
        assert torch.equal(net.bias, before)
