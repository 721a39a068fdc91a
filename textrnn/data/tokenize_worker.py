"""The function `datasets.map` runs to tokenize a batch; module-level so worker processes can import it."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8)
def _tokenizer(spec_json: str):
    import json

    from textrnn.text import tokenizer_from_spec

    return tokenizer_from_spec(json.loads(spec_json))


def tokenize_batch(batch: dict, spec: dict, column: str, out: str) -> dict:
    import json

    tok = _tokenizer(json.dumps(spec, sort_keys=True))
    return {out: list(tok.pipe(t or "" for t in batch[column]))}
