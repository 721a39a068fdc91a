"""Parallel data for translation: read sentence pairs, filter them by length, batch them by similar length.

Pairs come from one file (TSV `source<TAB>target`, extra columns ignored, as in Tatoeba/manythings; JSONL;
CSV; a folder of .tsv files; `hf:NAME`; a bundled corpus name) or from two aligned files, one sentence
per line. Columns are read in the file's order; `reverse` swaps the two sides afterwards.

    pairs --rows--> <cache>/pairs-<key>.arrow --tokenize source, then target--> cached token columns
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from textrnn.data.sources import Source, _lines, _looks_like_header, bundled_or_self, read_rows
from textrnn.errors import ColumnError, CorpusError, CorpusNotFound
from textrnn.text.normalize import is_blank
from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID

if TYPE_CHECKING:
    import datasets
    import torch

_TSV_SUFFIXES = (".tsv", ".tab", ".txt")


@dataclass(frozen=True)
class ParallelSource:
    """Where sentence pairs come from: `path` (one file of pairs), or `src_file` and `tgt_file` (aligned)."""

    path: str | None = None
    src_file: str | None = None
    tgt_file: str | None = None
    reverse: bool = False  # swap source and target after reading
    src_column: str | None = None  # JSONL/CSV/hf: default "source", "src", or the source language code
    tgt_column: str | None = None
    errors: str = "strict"
    split: str = "train"  # hf: which split

    def __post_init__(self) -> None:
        if (self.src_file is None) != (self.tgt_file is None):
            raise CorpusError("aligned files need both --src-file and --tgt-file")
        if (self.path is None) == (self.src_file is None):
            raise CorpusError("give either a file of pairs or --src-file and --tgt-file, not both"
                              if self.path else "no training data given",
                              hint="textrnn train translate pairs.tsv -o MODEL, or --src-file A --tgt-file B")

    def describe(self) -> str:
        text = self.path if self.path else f"{self.src_file} + {self.tgt_file}"
        return f"{text} (reversed)" if self.reverse else text


def as_parallel(data: "ParallelSource | Source | str", reverse: bool | None = None) -> ParallelSource:
    """A ParallelSource from what the CLI and the API pass around; `reverse` overrides when given."""
    if isinstance(data, str):
        data = ParallelSource(data)
    elif isinstance(data, Source):
        data = ParallelSource(data.path, errors=data.errors, split=data.split)
    return data if reverse is None else replace(data, reverse=reverse)


def read_pairs(data: ParallelSource, langs: tuple[str, str] = ("en", "fr")) -> Iterator[tuple[str, str]]:
    """(source, target) strings in order. An empty side, a line without a tab, or aligned files of different
    lengths raise CorpusError naming the file and line."""
    for where, a, b in _file_order_pairs(data, langs):
        for side, text in (("source", a), ("target", b)):
            if is_blank(text):
                raise CorpusError(f"{where}: the {side} sentence is empty",
                                  hint="remove the line, or fill in the sentence")
        yield (b, a) if data.reverse else (a, b)


def _file_order_pairs(data: ParallelSource, langs) -> Iterator[tuple[str, str, str]]:
    if data.src_file is not None:
        yield from _aligned(data.src_file, data.tgt_file, data.errors)
        return
    source = bundled_or_self(Source(data.path, errors=data.errors, split=data.split))
    fmt = source.resolved_format()
    if fmt != "hf" and source.path != "-" and not Path(source.path).exists():
        raise CorpusNotFound(f"no such file or folder: {data.path}", hint="check the path")
    if fmt == "folder":
        files = sorted(f for f in Path(source.path).iterdir() if f.suffix in _TSV_SUFFIXES)
        if not files:
            raise CorpusError(f"{source.path}: no .tsv files in the folder")
        for f in files:
            yield from _tsv(str(f), data.errors)
    elif fmt in ("tsv", "txt"):
        yield from _tsv(source.path, data.errors)
    else:
        yield from _rows(source, fmt, data, langs)


def _tsv(path: str, errors: str) -> Iterator[tuple[str, str, str]]:
    name = "<stdin>" if path == "-" else path
    first = True
    for lineno, line in enumerate(_lines(path, errors), 1):
        if is_blank(line):
            continue
        if "\t" not in line:
            raise CorpusError(f"{name}, line {lineno}: no tab; each line must be source<TAB>target",
                              hint="separate the two sentences with a tab character")
        cells = line.split("\t")
        if first and _looks_like_header(cells[:2]):
            first = False
            continue
        first = False
        yield f"{name}, line {lineno}", cells[0], cells[1]


def _aligned(src_file: str, tgt_file: str, errors: str) -> Iterator[tuple[str, str, str]]:
    for f in (src_file, tgt_file):
        if not Path(f).is_file():
            raise CorpusNotFound(f"no such file: {f}", hint="check the path")
    src, tgt = list(_lines(src_file, errors)), list(_lines(tgt_file, errors))
    if len(src) != len(tgt):
        raise CorpusError(f"aligned files differ in length: {src_file} has {len(src):,} lines, "
                          f"{tgt_file} has {len(tgt):,}", hint="line n of one file must translate line n of the other")
    for lineno, (a, b) in enumerate(zip(src, tgt), 1):
        if not (is_blank(a) and is_blank(b)):  # blank on both sides: a trailing newline, not a pair
            yield f"{src_file}/{Path(tgt_file).name}, line {lineno}", a, b


def _rows(source: Source, fmt: str, data: ParallelSource, langs) -> Iterator[tuple[str, str, str]]:
    """JSONL, CSV or hf: rows; a `translation` column of {lang: text} (the Hugging Face layout) works too."""
    if fmt == "hf":
        from textrnn.data.corpus import load_corpus

        rows = iter(load_corpus(source))
    else:
        rows = read_rows(source)
    src_key = tgt_key = None
    for n, row in enumerate(rows, 1):
        if "translation" in row and data.src_column is None:
            row = _json_dict(row["translation"])
        if src_key is None:
            src_key = _pick(row, data.src_column, ("source", "src", langs[0], "0"), "source")
            tgt_key = _pick(row, data.tgt_column, ("target", "tgt", langs[1], "1"), "target")
        yield f"{source.path}, row {n}", row.get(src_key) or "", row.get(tgt_key) or ""


def _json_dict(value) -> dict:
    import json

    return json.loads(value) if isinstance(value, str) else dict(value)


def _pick(row: dict, given: str | None, candidates: Sequence[str], side: str) -> str:
    for key in ([given] if given else candidates):
        if key in row:
            return key
    from textrnn.data.corpus import some_names

    option = "--src-column" if side == "source" else "--tgt-column"
    wanted = given or " / ".join(candidates[:3])
    raise ColumnError(f"no {side} column {wanted!r}; columns found: {some_names(list(row))}",
                      hint=f"name it with {option}")


def load_pairs(data: ParallelSource, langs: tuple[str, str] = ("en", "fr")) -> "datasets.Dataset":
    """All pairs as a Dataset with columns source and target; local files are cached as Arrow."""
    import datasets

    from textrnn.data.corpus import _key, _source_key, _write_arrow, cache_dir

    datasets.disable_progress_bars()
    rows = ({"source": s, "target": t} for s, t in read_pairs(data, langs))
    key = _pairs_key(data, langs, _key, _source_key)
    if key is None:
        ds = datasets.Dataset.from_list(list(rows))
    else:
        path = cache_dir() / f"pairs-{key}.arrow"
        if not path.exists():
            _write_arrow(rows, path)
        ds = datasets.Dataset.from_file(str(path))
    if len(ds) == 0:
        raise no_pairs(data)
    return ds


def no_pairs(data: ParallelSource) -> CorpusError:
    """The error for data without a single pair (empty, only a header, only blank lines)."""
    hint = "give files with one sentence per line, line n of one translating line n of the other" \
        if data.src_file is not None else "give a file with source<TAB>target lines"
    return CorpusError(f"{data.describe()}: no sentence pairs", hint=hint)


def _pairs_key(data: ParallelSource, langs, key_fn, source_key_fn) -> str | None:
    if data.path is not None:
        source = bundled_or_self(Source(data.path))
        if source.is_hub or source.path == "-" or not Path(source.path).exists():
            return None
        files = [source_key_fn(Source(source.path))]
    else:
        files = [source_key_fn(Source(f)) for f in (data.src_file, data.tgt_file)]
    return key_fn("pairs", files, data.reverse, data.src_column, data.tgt_column, data.errors, list(langs))


def tokenize_pairs(ds: "datasets.Dataset", src_tokenizer, tgt_tokenizer) -> "datasets.Dataset":
    """Add src_tokens and tgt_tokens columns (tokenized once, cached beside the pairs)."""
    from textrnn.data.corpus import tokenize_corpus

    ds = tokenize_corpus(ds, "source", src_tokenizer, "src_tokens")
    return tokenize_corpus(ds, "target", tgt_tokenizer, "tgt_tokens")


def within_length(src: list[list[str]], tgt: list[list[str]], max_length: int) -> list[int]:
    """Indices of pairs whose two sides both have at most max_length tokens."""
    return [i for i, (a, b) in enumerate(zip(src, tgt)) if len(a) <= max_length and len(b) <= max_length]


# Batching ----------------------------------------------------------------------------------------

def bucket_batches(lengths: Sequence[int], batch_size: int, seed: int | None = None,
                   pool: int = 50) -> list[list[int]]:
    """Index batches of similar length: shuffle, sort pools of `pool` batches by length, cut, shuffle batches.

    Sentences of one batch then need little padding, and the order still changes with the seed (pass the
    epoch into it). seed=None: sorted by length throughout, in a fixed order (for evaluation).
    """
    order = list(range(len(lengths)))
    if seed is None:
        order.sort(key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(seed)
    rng.shuffle(order)
    step = batch_size * pool
    batches = []
    for start in range(0, len(order), step):
        chunk = sorted(order[start:start + step], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def pad(rows: Sequence[Sequence[int]]) -> "torch.Tensor":
    """Right-pad id lists into a (B, T) tensor."""
    import torch

    out = torch.full((len(rows), max(len(r) for r in rows)), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def collate(src: Sequence[Sequence[int]], tgt: Sequence[Sequence[int]], teacher_forcing: float = 1.0) -> dict:
    """One batch for Seq2Seq.forward:

        src     (B, S)  a b c <pad>       src_len (B,)
        tgt_in  (B, T)  <bos> x y z       tgt_out (B, T)  x y z <eos>
    """
    import torch

    return {"src": pad(src), "src_len": torch.tensor([len(s) for s in src], dtype=torch.long),
            "tgt_in": pad([[BOS_ID, *t] for t in tgt]), "tgt_out": pad([[*t, EOS_ID] for t in tgt]),
            "ntokens": sum(len(t) + 1 for t in tgt), "teacher_forcing": teacher_forcing}
