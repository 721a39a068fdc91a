"""See inside a recurrent network: how far back its gradient reaches (`gradients`), and what that means for
learning a long-range task (`long_range`). Importing this package imports no torch."""
