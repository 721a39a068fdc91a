"""One module per command; each parses options, calls one library function and renders the result."""
