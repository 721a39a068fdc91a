"""See inside a trained network: its hidden states, gates and predictions as it reads a text (`trace`), how far
back its gradient reaches (`gradients`), and what that means for learning a long-range task (`long_range`).

The trace's HTML page and PNG picture are written by `textrnn.inspect.page` and `textrnn.inspect.picture`.
Importing this package imports no torch.
"""

from textrnn.inspect.trace import MAX_STEPS, Trace, Tracer, trace

__all__ = ["MAX_STEPS", "Trace", "Tracer", "trace"]
