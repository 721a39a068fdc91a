"""See inside a trained network: its hidden states, gates and predictions as it reads a text.

`trace` (textrnn.inspect.trace) follows a text token by token; its HTML page and PNG picture are written by
`textrnn.inspect.page` and `textrnn.inspect.picture`. Importing this package imports no torch.
"""

from textrnn.inspect.trace import MAX_STEPS, Trace, Tracer, trace

__all__ = ["MAX_STEPS", "Trace", "Tracer", "trace"]
