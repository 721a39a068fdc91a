"""The vanishing gradient, measured: how much the loss at the last step of a window of real text depends on
a language model's hidden state k steps earlier, |dL_T / dh_{T-k}| for k = 0..N, averaged over windows.

    tokens   w_1 ... w_W   x_{T-N} ... x_{T-1} x_T   y        L_T = -log p(y | everything up to x_T)
             warm-up       N + 1 steps, one at a time
             (fused run,   h_{T-N} ... h_{T-1} h_T
              no gradient)

The fused nn.RNN/LSTM/GRU kernels keep their states inside, so autograd never sees h_{T-k}: the last N + 1
steps are run by nn.RNNCell/LSTMCell/GRUCell holding the fused layers' own weights, each h_t a node of the
graph. The top layer is measured (the one the output layer reads); for an LSTM, its h (the memory cell c is
a separate node). A plain RNN's gradient is a product of k Jacobians and falls exponentially with k (Bengio
et al. 1994; Pascanu et al. 2013, "On the difficulty of training recurrent neural networks"); a gated cell's
falls only as fast as its gates let go of the past (Hochreiter & Schmidhuber 1997).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from textrnn.errors import ConfigError
from textrnn.inspect.fresh import check_length, fresh_config, fresh_model, sample_windows, text_stream, train_briefly

if TYPE_CHECKING:
    import torch
    from torch import nn

    from textrnn.data.sources import Source

CELLS = ("rnn", "lstm", "gru")  # the default comparison, in the cell registry's keys
DEFAULT_CORPUS = "everyday-english"  # bundled: the text the default model learned from


@dataclass(frozen=True)
class GradientConfig:
    """distance: the farthest k measured; windows: how many windows of text the norms are averaged over;
    warmup: tokens run before each window so that its first state is one the text led to, not zeros."""

    distance: int = 50
    windows: int = 256
    warmup: int = 20
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("distance", "windows", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.warmup < 0:
            raise ConfigError(f"warmup must be 0 or more, got {self.warmup}")

    @property
    def window(self) -> int:
        """Tokens per window: the warm-up, the N + 1 measured steps and the token the last one predicts."""
        return self.warmup + self.distance + 2


@dataclass
class GradientCurve:
    """One model's mean |dL_T / dh_{T-k}| for k = 0..distance (`norms`, shape (distance + 1,))."""

    label: str
    cell: str
    hidden_size: int
    num_layers: int
    norms: np.ndarray
    windows: int
    trained_steps: int | None = None  # None: a saved model; 0: untrained; n: trained n steps here
    train_loss: float | None = None

    @property
    def ratios(self) -> np.ndarray:
        """norms / norms[0]: the share of the last step's gradient that reaches k steps back."""
        return self.norms / self.norms[0] if self.norms[0] > 0 else np.full_like(self.norms, np.nan)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "cell": self.cell, "hidden_size": self.hidden_size,
                "num_layers": self.num_layers, "layer": self.num_layers, "trained_steps": self.trained_steps,
                "train_loss": self.train_loss, "windows": self.windows,
                "distance": list(range(len(self.norms))), "norm": self.norms.tolist(), "ratio": self.ratios.tolist()}


def vanishing_gradients(model: str | Path | None = None, corpus: "str | Source" = DEFAULT_CORPUS,
                        cells: Iterable[str] | None = None, hidden_size: int = 128, num_layers: int = 1,
                        nonlinearity: str = "tanh", tokenizer: str = "spacy", train_steps: int = 0,
                        config: GradientConfig = GradientConfig(),
                        progress: Callable[[str], None] | None = None) -> list[GradientCurve]:
    """The gradient curves of a saved language model and of fresh models of each of `cells` on the same
    text, windows and seed; with no model, fresh models of every cell (RNN, LSTM, GRU) of `hidden_size` and
    `num_layers`. Fresh models beside a saved one take its sizes, tokenizer and vocabulary.

    train_steps > 0: each fresh model is measured untrained, trained that many steps on the text
    (`fresh.train_briefly`), and measured again. `progress` gets a line before each slow part.
    """
    from textrnn.models.cells import check_cell
    from textrnn.ranges import check
    from textrnn.text import get_tokenizer

    check("hidden_size", hidden_size)
    check("num_layers", num_layers)
    if train_steps < 0:
        raise ConfigError(f"train steps must be 0 or more, got {train_steps}")
    cells = list(dict.fromkeys(cells if cells is not None else (() if model is not None else CELLS)))
    for cell in cells:
        check_cell(cell, nonlinearity)
    say = progress or (lambda message: None)
    curves, like, vocab = [], None, None
    if model is not None:
        from textrnn.tasks.common import load_for

        net, saved = load_for(model, "lm")
        like, vocab, tok = net.config, saved.vocabs["text"], saved.tokenizer("text")
    else:
        tok = get_tokenizer(tokenizer)
    say(f"reading {getattr(corpus, 'path', corpus)}")
    stream, vocab = text_stream(corpus, tok, vocab)
    check_length(stream, config.window, getattr(corpus, "path", corpus),
                 f"a window of {config.warmup} warm-up + {config.distance + 1} measured steps + 1 target")
    if model is not None:
        curves.append(measure(net, stream, config, label=f"{model} ({net.config.cell})"))
    for cell in cells:
        net = fresh_model(fresh_config(cell, len(vocab), hidden_size, num_layers, nonlinearity, like), config.seed)
        curves.append(measure(net, stream, config, label=cell, trained_steps=0))
        if train_steps:
            say(f"training the {cell} model for {train_steps:,} steps")
            loss = train_briefly(net, stream, train_steps, config.seed)
            curves.append(measure(net, stream, config, label=f"{cell}, trained {train_steps:,} steps",
                                  trained_steps=train_steps, train_loss=loss))
    return curves


def measure(model, stream: "torch.Tensor", config: GradientConfig, label: str, **facts) -> GradientCurve:
    """A language model's curve over `config.windows` windows of `stream` (N,) ids."""
    c = model.config
    return GradientCurve(label=label, cell=c.cell, hidden_size=c.hidden_size, num_layers=c.num_layers,
                         norms=gradient_norms(model, stream, config), windows=config.windows, **facts)


def gradient_norms(model, stream: "torch.Tensor", config: GradientConfig) -> np.ndarray:
    """(distance + 1,) float64: the mean over windows of |dL_T / dh_{T-k}|, k = 0..distance, for a
    `LanguageModel` (its weights are left untouched, no .grad is written)."""
    import torch

    generator = torch.Generator().manual_seed(config.seed)
    windows = sample_windows(stream, config.window, config.windows, generator)
    was_training = model.training
    model.eval()  # no dropout: the gradient of the model as it predicts
    try:
        total = sum(window_norms(model, chunk, config.warmup).double().sum(1)
                    for chunk in windows.split(config.batch_size))
    finally:
        model.train(was_training)
    return (total / len(windows)).numpy()


def window_norms(model, ids: "torch.Tensor", warmup: int) -> "torch.Tensor":
    """ids (B, warmup + N + 2) -> (N + 1, B): row k holds each window's |dL_T / dh_{T-k}| for the top layer.

    The loss is summed over the windows, so each window's gradient is its own loss's."""
    import torch
    import torch.nn.functional as F

    with torch.enable_grad():
        x = model.embedding(ids[:, :-1]).detach()  # (B, L, E): the inputs need no gradient
        with torch.no_grad():
            state = model.rnn(x[:, :warmup])[1] if warmup else None
        tops = list(run_steps(model.rnn, x[:, warmup:], state))
        loss = F.cross_entropy(model.scores(tops[-1]).float(), ids[:, -1], reduction="sum")
        grads = torch.autograd.grad(loss, tops)
    return torch.stack([g.norm(dim=1) for g in reversed(grads)])


def run_steps(rnn: "nn.RNNBase", x: "torch.Tensor", state=None):
    """Run a one-direction fused `rnn` over x (B, T, F) one step at a time from its `state` (as the fused
    module returns it, or None for zeros); yield the top layer's h_t (B, H) of each step, as graph nodes."""
    steppers = layer_steppers(rnn)
    layers = _split_state(state, rnn, x)
    for t in range(x.size(1)):
        inp = x[:, t]
        for i, step in enumerate(steppers):
            layers[i] = step(inp, layers[i])
            inp = layers[i][0] if isinstance(layers[i], tuple) else layers[i]
        yield inp


_STEP_CELLS = {"RNN_TANH": ("RNNCell", {"nonlinearity": "tanh"}), "RNN_RELU": ("RNNCell", {"nonlinearity": "relu"}),
               "LSTM": ("LSTMCell", {}), "GRU": ("GRUCell", {})}


def layer_steppers(rnn: "nn.RNNBase") -> list[Callable]:
    """One function per layer, (x (B, F), state) -> new state, computing one step of the fused module with
    its own parameters (torch.func.functional_call on a parameterless cell: RNNCell, LSTMCell and GRUCell
    order their gates as the fused modules do). Eval mode only: no dropout between layers."""
    from torch import nn
    from torch.func import functional_call

    if rnn.bidirectional:
        raise ConfigError("the gradient is measured along one direction; this recurrent layer is bidirectional")
    name, kwargs = _STEP_CELLS[rnn.mode]
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if rnn.bias else ())
    steppers = []
    for layer in range(rnn.num_layers):
        cell = getattr(nn, name)(rnn.input_size if layer == 0 else rnn.hidden_size, rnn.hidden_size,
                                 bias=rnn.bias, device="meta", **kwargs)
        params = {n: getattr(rnn, f"{n}_l{layer}") for n in names}
        steppers.append(lambda inp, state, cell=cell, params=params: functional_call(cell, params, (inp, state)))
    return steppers


def _split_state(state, rnn: "nn.RNNBase", x: "torch.Tensor") -> list:
    """The fused module's state ((layers, B, H), or a pair of them for an LSTM) as one state per layer."""
    if state is None:
        zeros = x.new_zeros(x.size(0), rnn.hidden_size)
        return [(zeros, zeros) if rnn.mode == "LSTM" else zeros for _ in range(rnn.num_layers)]
    if isinstance(state, tuple):
        return [(h, c) for h, c in zip(*state)]
    return list(state)
