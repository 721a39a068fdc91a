"""The full softmax's training loss fused with the output layer: one reused (N, V) buffer instead of five.

The textbook step `F.cross_entropy(decoder(h), y)` allocates the logits, the log-probabilities, the gradient
of the loss with respect to the log-probabilities and that of the logits: four (N, V) tensors a step (28 MB
each for 700 positions and 10,000 words), freshly allocated, so the operating system maps and zeroes their
pages again every step. Here the gradient of the logits is formed in the forward pass, where the softmax
already is, in one buffer kept from step to step:

    buffer <- h W^T + b                     the logits                      (N, V)
    buffer <- softmax(buffer)               in place, row by row
    loss    = mean_i -log buffer[i, y_i]    the targets' probabilities, gathered before the next line
    buffer[i, y_i] -= 1                     d loss / d logits, times N: softmax minus one-hot

and the backward pass only multiplies: dh = buffer W / N, dW = buffer^T h / N, db = column sums / N. The
arithmetic is the textbook's up to float rounding (tests/test_softmax_loss.py).

With tied weights the output layer's weight is the embedding's, and autograd would sum two dense (V, H)
gradients: dW above and the lookup's, which nn.Embedding forms by zero-filling a fresh (V, H) tensor and
adding the looked-up rows' gradients into it. `tied_lookup` instead adds those rows into dW itself, which
the loss's backward leaves in the workspace (it always runs first: the lookup is at the start of the graph).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

# A target probability below this (a logit some 69 nats under its row's largest) is too small for -log p
# to be read off the softmax to float precision; its row's loss is computed from the logits instead.
_TINY = 1e-30


class Workspace:
    """The reused (N, V) buffer, with a generation count: a second forward before the first one's backward
    overwrites the gradient that backward needs, which backward then refuses instead of using it."""

    def __init__(self) -> None:
        self.buffer: torch.Tensor | None = None
        self.generation = 0
        self.weight_grad: tuple[int, torch.Tensor] | None = None  # (generation, dW) for tied_lookup's backward

    def take(self, rows: int, like: torch.Tensor, width: int) -> torch.Tensor:
        """A (rows, width) view of the buffer, grown (never shrunk) as needed."""
        buf = self.buffer
        if buf is None or buf.size(0) < rows or buf.size(1) != width or buf.dtype != like.dtype \
                or buf.device != like.device:
            buf = self.buffer = None  # let the old one go before the new one is allocated
            buf = self.buffer = torch.empty(rows, width, dtype=like.dtype, device=like.device)
        self.generation += 1
        return buf[:rows]


def _matmul_nt(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a (M, K) @ b(N, K)^T -> (M, N), either operand possibly a transposed view: through oneDNN's matrix
    product where _onednn_first() (PyTorch's own, as torch.compile uses it), else torch.mm (MKL's sgemm on
    x86). IEEE float32 arithmetic either way."""
    if _onednn_first() and a.device.type == "cpu" and a.dtype == torch.float32:
        return _ONEDNN(a, b, None, "none", [], "")
    return torch.mm(a, b.t())


def _weight_grad(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """g (N, V), x (N, H) -> g^T x (V, H), contiguous as the weight is. MKL reads g transposed in place;
    oneDNN (on AMD) gives (H, V), which costs a transposing copy, still faster there."""
    if _onednn_first() and g.device.type == "cpu" and g.dtype == torch.float32:
        return _matmul_nt(x.t(), g.t()).t().contiguous()
    return torch.mm(g.t(), x)


@functools.cache
def _onednn_first() -> bool:
    """Whether oneDNN's product goes first for these shapes (700 x 200 by 200 x 10,000 and its gradients, one
    thread): on an AMD EPYC it ran some 10% faster than MKL's sgemm (MKL takes slower paths on processors
    not Intel's); on an Intel Xeon MKL ran 6% faster for the hidden states' gradient and 13% for the weight's,
    which it gives without the copy. So: where the processor is AMD's and PyTorch has oneDNN enabled."""
    if _ONEDNN is None or not torch._C._get_mkldnn_enabled():
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return next((line for line in f if line.startswith("vendor_id")), "").endswith("AuthenticAMD\n")
    except OSError:
        return False


_ONEDNN = getattr(torch.ops.mkldnn, "_linear_pointwise", None) if torch.backends.mkldnn.is_available() else None


class _LinearCrossEntropy(torch.autograd.Function):
    """mean over kept rows of cross_entropy(x W^T + b, target); see the module docstring."""

    @staticmethod
    def forward(ctx, x, weight, bias, target, workspace: Workspace, ignore_index: int, low=None, tied=False):
        n = x.size(0)
        buf = workspace.take(n, x, weight.size(0))
        ctx.dtype, exact = x.dtype, (x, weight)  # `exact`: the inputs as given, for rows too unlikely to read off
        if low is not None:  # the products in bfloat16 (accumulated in float32 by oneDNN); softmax and loss in float32
            x, weight = x.to(low), weight.to(low)
            buf.copy_(torch.mm(x, weight.t()))
            if bias is not None:
                buf.add_(bias)
        elif bias is None:
            torch.mm(x, weight.t(), out=buf)
        else:
            torch.addmm(bias, x, weight.t(), out=buf)
        torch.softmax(buf, dim=-1, out=buf)  # row by row: each row's max and sum are read before it is written
        rows = torch.arange(n, device=x.device)
        p = buf[rows, target]
        losses = -torch.log(p)
        tiny = p < _TINY
        if bool(tiny.any()):
            losses[tiny] = _exact_losses(exact[0][tiny], exact[1], bias, target[tiny]).to(losses.dtype)
        buf[rows, target] = p - 1
        keep = target != ignore_index
        kept = int(keep.sum())
        if kept < n:
            buf[~keep] = 0
            losses = losses[keep]
        ctx.save_for_backward(x, weight)
        ctx.workspace, ctx.generation, ctx.rows, ctx.kept = workspace, workspace.generation, n, kept
        ctx.has_bias, ctx.low, ctx.tied = bias is not None, low, tied
        return losses.sum() / kept if kept else losses.new_tensor(float("nan"))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if ctx.workspace.generation != ctx.generation:
            raise RuntimeError("the fused softmax loss's buffer was overwritten by a later forward pass before "
                               "this backward pass: call backward after each forward")
        g = ctx.workspace.buffer[: ctx.rows]
        scale = grad / ctx.kept
        grad_x = grad_w = grad_b = None
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = torch.mv(g.t(), scale.expand(ctx.rows).contiguous())  # column sums, as one pass of BLAS
        if ctx.low is not None:
            g = g.to(ctx.low)
        if ctx.needs_input_grad[0]:
            grad_x = _matmul_nt(g, weight.t()).to(ctx.dtype).mul_(scale)
        if ctx.needs_input_grad[1] and ctx.low is not None:
            grad_w = torch.mm(g.t(), x).to(ctx.dtype).mul_(scale)
        elif ctx.needs_input_grad[1]:
            grad_w = _weight_grad(g, x * scale)
        if ctx.tied and grad_w is not None:  # tied_lookup's backward adds its rows and returns it
            ctx.workspace.weight_grad, grad_w = (ctx.generation, grad_w), None
        return grad_x, grad_w, grad_b, None, None, None, None, None


def _exact_losses(x, weight, bias, target) -> torch.Tensor:
    """The cross-entropy of a few rows from their logits: logsumexp minus the target's logit."""
    logits = x @ weight.t() if bias is None else torch.addmm(bias, x, weight.t())
    return torch.logsumexp(logits, dim=-1) - logits.gather(1, target[:, None])[:, 0]


def linear_cross_entropy(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, target: torch.Tensor,
                         workspace: Workspace, ignore_index: int = -100, low: torch.dtype | None = None,
                         tied: bool = False) -> torch.Tensor:
    """x (N, H), weight (V, H), bias (V,), target (N,) -> F.cross_entropy(F.linear(x, weight, bias), target,
    ignore_index=ignore_index), without the (N, V) logits ever being returned. Call backward before the next
    call with the same workspace. `low` (torch.bfloat16): the three matrix products in that dtype, the softmax,
    the loss and the gradients returned in float32. tied: `weight` was looked up by tied_lookup with this
    workspace, whose backward gives the weight's whole gradient (this one's included)."""
    return _LinearCrossEntropy.apply(x, weight, bias, target, workspace, ignore_index, low, tied)


class _TiedLookup(torch.autograd.Function):
    """F.embedding(ids, weight, padding_idx) whose backward adds the rows' gradients into the output layer's
    weight gradient that linear_cross_entropy(..., tied=True) left in the workspace."""

    @staticmethod
    def forward(ctx, weight, ids, workspace: Workspace, padding_idx: int | None):
        ctx.save_for_backward(ids)
        # the loss's forward, which comes next, takes the workspace's next generation
        ctx.workspace, ctx.generation, ctx.padding_idx = workspace, workspace.generation + 1, padding_idx
        ctx.weight_shape, ctx.weight_dtype = weight.shape, weight.dtype
        return F.embedding(ids, weight, padding_idx)

    @staticmethod
    def backward(ctx, grad):
        (ids,) = ctx.saved_tensors
        held, ctx.workspace.weight_grad = ctx.workspace.weight_grad, None
        if held is not None and held[0] != ctx.generation:
            raise RuntimeError("the tied output layer's gradient in the workspace is from another forward pass")
        grad_w = held[1] if held is not None else grad.new_zeros(ctx.weight_shape, dtype=ctx.weight_dtype)
        flat, rows = ids.reshape(-1), grad.reshape(-1, grad.size(-1)).to(grad_w.dtype)
        if ctx.padding_idx is not None:  # as nn.Embedding: the padding row gets no gradient from the lookup
            rows = rows.masked_fill((flat == ctx.padding_idx)[:, None], 0.0)
        return grad_w.index_add_(0, flat, rows), None, None, None


def tied_lookup(weight: torch.Tensor, ids: torch.Tensor, workspace: Workspace,
                padding_idx: int | None = None) -> torch.Tensor:
    """The embedding lookup of a model whose output layer shares `weight`, to be followed by
    linear_cross_entropy(..., weight, ..., workspace, tied=True) and one backward over both."""
    return _TiedLookup.apply(weight, ids, workspace, padding_idx)
