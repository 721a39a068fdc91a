"""Classification data: find the text and label columns, clean and split the rows, batch them by length.

    rows (TSV/CSV/JSONL/folder/hf:, or "label text" lines) -> text + label columns -> tokens (cached)
        -> rows without a label or without tokens dropped (with a warning) -> stratified split
        -> ids truncated at max_length (head, tail or both) -> batches of similar length, padded on the right, packed by the model
"""

from __future__ import annotations

import random
import re
import warnings
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textrnn.data.corpus import load_corpus, pick_column, some_names, token_lists, tokenize_corpus
from textrnn.data.labels import label_order, map_labels  # noqa: F401  (label_order: imported from here too)
from textrnn.data.sources import Source
from textrnn.errors import ColumnError, CorpusError, InputError

if TYPE_CHECKING:
    import datasets
    import torch

    from textrnn.text import Tokenizer, Vocab
    from textrnn.text.subwords import Subwords

# Column names that say what a column holds, in order of preference.
TEXT_NAMES = ("text", "sentence", "review", "content", "message", "sms", "document", "tweet", "comment", "body",
              "v2", "title")
LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "polarity", "target", "rating", "stars",
               "score", "v1")
LAYOUTS = ("columns", "label-space")  # label-space: "label text" per line (SST-2 files), fastText's __label__ too
FORMATS = ("auto", "tsv", "csv", "jsonl", "folder", "label-space")  # what --format accepts
_SAMPLE = 2000  # rows looked at to detect the layout and the columns
MAX_LABEL_CHARS = 40
_FASTTEXT = "__label__"
TRUNCATIONS = ("head", "tail", "head+tail")  # stable keys, saved with the model: which tokens a long text keeps


@dataclass
class Examples:
    """Tokenized, labelled rows (bad rows already dropped) and how they were found."""

    tokens: "datasets.Dataset"  # one "tokens" column (lists of strings), row i labelled labels[i]
    labels: list[str]
    text_column: str
    label_column: str
    layout: str = "columns"

    def __len__(self) -> int:
        return len(self.labels)


def split_format(data_format: str) -> tuple[str | None, str | None]:
    """A --format value -> (the Source's format, the layout): "auto" leaves both to detection."""
    if data_format not in FORMATS:
        from textrnn.errors import UnknownNameError

        raise UnknownNameError("format", data_format, FORMATS)
    if data_format == "label-space":
        return None, "label-space"
    return (None if data_format == "auto" else data_format), None


def load_examples(source: Source, tokenizer: "Tokenizer", text_column: str | None = None,
                  label_column: str | None = None, layout: str | None = None,
                  label_map: Mapping[str, str] | None = None) -> Examples:
    """Read a labelled corpus. `layout` None detects "label text" lines in a plain-text file; `label_map`
    renames the data's labels (see `textrnn.data.labels`)."""
    if layout is not None and layout not in LAYOUTS:
        from textrnn.errors import UnknownNameError

        raise UnknownNameError("layout", layout, LAYOUTS)
    ds = load_corpus(replace(source, format="txt") if layout == "label-space" else source)
    name = "<stdin>" if source.path == "-" else source.path
    if layout == "label-space" or (layout is None and ds.column_names == ["text"] and _is_label_space(ds)):
        ds, layout = split_label_space(ds, name), "label-space"
        text_column, label_column = "text", "label"
    text_column, label_column = detect_columns(ds, text_column, label_column)
    if len(ds.column_names) > 2:  # every datasets step costs O(columns): carry only the two that are read
        ds = ds.select_columns([text_column, label_column])
    labels = map_labels(label_strings(ds, label_column), label_map, name)
    tokens = tokenize_corpus(ds, text_column, tokenizer)
    keep = _usable_rows(name, tokens, labels)
    tokens = tokens.select_columns(["tokens"])
    if len(keep) < len(labels):
        tokens = tokens.select(keep)
        labels = [labels[i] for i in keep]
    return Examples(tokens, labels, text_column, label_column, layout or "columns")


# Layout ------------------------------------------------------------------------------------------

_LABEL_SPACE = re.compile(r"^\s*(\S{1,%d}) +\S" % (len(_FASTTEXT) + MAX_LABEL_CHARS))


def _is_label_space(ds: "datasets.Dataset") -> bool:
    """Plain-text lines that all start with a short label and a space, with a few distinct labels."""
    lines = [t for t in _sample(ds)["text"] if t and t.strip()]
    heads = []
    for line in lines:
        match = _LABEL_SPACE.match(line)
        if not match:
            return False
        heads.append(match.group(1))
    distinct = set(heads)
    if lines and all(h.startswith(_FASTTEXT) for h in heads):
        return True
    return 2 <= len(distinct) <= max(2, min(100, len(lines) // 3))


def _sample(ds: "datasets.Dataset") -> "datasets.Dataset":
    """Up to _SAMPLE rows spread evenly over the corpus, so a file sorted by label shows all its labels."""
    return ds.select(range(0, len(ds), max(1, len(ds) // _SAMPLE))[:_SAMPLE])


def split_label_space(ds: "datasets.Dataset", name: str) -> "datasets.Dataset":
    """One "label text" line -> {"label", "text"}; fastText's "__label__" prefix is dropped. Blank lines go."""
    return ds.map(_split_lines, batched=True, with_indices=True, remove_columns=ds.column_names,
                  fn_kwargs={"name": name}, desc=None)


def _split_lines(batch: dict, indices: list[int], name: str) -> dict:
    labels, texts = [], []
    for i, line in zip(indices, batch["text"]):
        if not line or not line.strip():
            continue
        label, _, text = line.strip().partition(" ")
        if not text.strip():
            raise CorpusError(f"{name}, line {i + 1}: expected a label, a space and the text; found {line[:60]!r}",
                              hint="each line is: LABEL TEXT (as in SST-2's stsa.binary.train)")
        labels.append(label[len(_FASTTEXT):] if label.startswith(_FASTTEXT) else label)
        texts.append(text.strip())
    return {"label": labels, "text": texts}


# Columns -----------------------------------------------------------------------------------------

def detect_columns(ds: "datasets.Dataset", text_column: str | None = None,
                   label_column: str | None = None) -> tuple[str, str]:
    """The (text, label) column names: as given (by name or 0-based index), by a telling name, or by content:
    the text column is the one with the longest values, the label column the short one with fewest values."""
    names = ds.column_names
    text = pick_column(ds, text_column) if text_column is not None else None
    label = pick_column(ds, label_column) if label_column is not None else None
    lowered = {n.lower(): n for n in names}
    if text is None:
        text = next((lowered[n] for n in TEXT_NAMES if n in lowered and lowered[n] != label), None)
    if label is None:
        label = next((lowered[n] for n in LABEL_NAMES if n in lowered and lowered[n] != text), None)
    if text is None or label is None:
        stats = _column_stats(ds)
        if text is None:
            others = [n for n in names if n != label]
            text = max(others, key=lambda n: stats[n][0]) if others else None
        if label is None:
            short = [n for n in names if n != text and stats[n][1] >= 1 and stats[n][0] <= MAX_LABEL_CHARS]
            label = min(short, key=lambda n: stats[n][1]) if short else None
    if text is None or label is None or text == label:
        missing = "text" if text is None else "label"
        also = ", or --format label-space for 'label text' lines" if names == ["text"] else ""
        raise ColumnError(f"no {missing} column found; columns found: {some_names(names)}",
                          hint=f"choose it with --{missing}-column NAME (or its 0-based index){also}")
    return text, label


def _column_stats(ds: "datasets.Dataset") -> dict[str, tuple[float, int]]:
    """Per column: mean length of its values and number of distinct values, over the first rows."""
    columns = _sample(ds)[:]  # all columns at once: one column at a time costs O(columns) each in datasets
    stats = {}
    for name in ds.column_names:
        values = [str(v) for v in columns[name] if v is not None and str(v).strip()]
        stats[name] = (sum(map(len, values)) / len(values) if values else 0.0, len(set(values)))
    return stats


def label_strings(ds: "datasets.Dataset", column: str) -> list[str | None]:
    """Labels as strings (a Hugging Face ClassLabel gives its names). Missing labels (None, "", -1) are None."""
    feature = ds.features.get(column)
    names = getattr(feature, "names", None)
    out: list[str | None] = []
    for value in ds[column]:
        if value is None or (isinstance(value, int) and value < 0) or (isinstance(value, str) and not value.strip()):
            out.append(None)
        elif names is not None and isinstance(value, int):
            out.append(names[value])
        else:
            out.append(str(value).strip())
    return out


def _usable_rows(name: str, tokens: "datasets.Dataset", labels: list[str | None]) -> list[int]:
    """Indices of rows with a label and at least one token; warns about the others, refuses if none is left."""
    unlabelled = [i for i, label in enumerate(labels) if label is None]
    empty = [i for i, toks in enumerate(token_lists(tokens)) if not toks and labels[i] is not None]
    n = len(labels)
    if len(unlabelled) == n:
        raise CorpusError(f"{name}: none of the {n:,} rows has a label",
                          hint="check the label column (--label-column), or label the rows")
    if len(unlabelled) + len(empty) == n:
        raise CorpusError(f"{name}: every labelled row has an empty text ({len(empty):,} rows)",
                          hint="check the text column (--text-column)")
    for rows, what in ((unlabelled, "no label"), (empty, "an empty text")):
        if rows:
            warnings.warn(f"{name}: {len(rows):,} of {n:,} rows have {what} (data rows {_some(rows)}); "
                          f"they were left out", stacklevel=3)
    bad = set(unlabelled) | set(empty)
    return [i for i in range(n) if i not in bad]


def _some(rows: list[int], k: int = 5) -> str:
    shown = ", ".join(str(i + 1) for i in rows[:k])
    return shown + (", ..." if len(rows) > k else "")


# Labels and splits -------------------------------------------------------------------------------

def check_classes(labels: Sequence[str], name: str) -> Counter:
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts), "?")
        raise InputError(f"{name}: every row has the label {only!r} ({len(labels):,} rows); a classifier needs "
                         f"two or more labels", hint="check the label column, or add examples of other labels")
    return counts


def stratified_split(labels: Sequence[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(kept, held out) indices: `fraction` of each label held out (seeded), at least one of every label
    that has two or more rows. Both lists come back sorted."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    held: list[int] = []
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        if len(idx) >= 2:
            held.extend(idx[: min(len(idx) - 1, max(1, round(len(idx) * fraction)))])
    held_set = set(held)
    return [i for i in range(len(labels)) if i not in held_set], sorted(held)


# Ids and batches ---------------------------------------------------------------------------------

_DIGIT = re.compile(r"[0-9]")


def fold_digits(tokens: list[str]) -> list[str]:
    """Every digit becomes 0, so numbers never seen in training still share a token with ones that were:
    "08712460324" -> "00000000000", "£1500" -> "£0000", "2nite" -> "0nite"."""
    return [_DIGIT.sub("0", t) for t in tokens]


@dataclass
class Encoded:
    """Token ids of many texts in one flat tensor: text i is ids[offsets[i]:offsets[i + 1]].

    With subwords, `types` gives each position a row of `type_subwords`, the n-gram bucket ids of its
    token (one row per distinct token; row 0, all padding, is for padded positions):

        ids    5 1 9 ...       (1 = <unk>: "unfunny" was not in the vocabulary)
        types  1 2 3 ...  ->   type_subwords[2] = ids of <un unf nfu ... ny>, 0-padded to K
    """

    ids: "torch.Tensor"  # (total,) int32
    offsets: "torch.Tensor"  # (N + 1,) int64
    labels: "torch.Tensor | None" = None  # (N,) int64 label ids
    types: "torch.Tensor | None" = None  # (total,) int32 rows of type_subwords
    type_subwords: "torch.Tensor | None" = None  # (U + 1, K) int32 n-gram bucket ids, 0-padded
    truncated: int = 0  # texts longer than max_length, cut to their first max_length tokens

    def __len__(self) -> int:
        return self.offsets.numel() - 1

    @property
    def lengths(self) -> list[int]:
        return (self.offsets[1:] - self.offsets[:-1]).tolist()


def truncate(tokens: list[str], max_length: int, how: str = "head") -> list[str]:
    """The tokens a model reads of a text: all of a short one; of a longer one, its first `max_length`
    ("head"), its last ("tail"), or its first quarter and last three quarters ("head+tail": a review's
    verdict is often at its end; Sun et al. 2019, "How to Fine-Tune BERT for Text Classification?", found
    head+tail best on IMDB)."""
    if len(tokens) <= max_length:
        return tokens
    if how == "tail":
        return tokens[-max_length:]
    if how == "head+tail":
        head = max_length // 4
        return tokens[:head] + tokens[len(tokens) - (max_length - head):]
    return tokens[:max_length]


def encode(tokenized, vocab: "Vocab", max_length: int, labels: Sequence[str] | None = None,
           label_ids: dict[str, int] | None = None, subwords: "Subwords | None" = None,
           how: str = "head") -> Encoded:
    """Numericalize texts, keeping `max_length` tokens of each as `truncate` does (`truncated` counts the
    texts cut); an empty text becomes one <unk>. With `subwords`, also each token's character n-gram bucket
    ids."""
    import torch

    from textrnn.text.vocab import UNK, UNK_ID

    stoi = vocab.stoi
    ids, offsets, types = array("i"), array("q", [0]), array("i")
    type_of: dict[str, int] = {}
    truncated = 0
    for tokens in tokenized:
        truncated += len(tokens) > max_length
        row = truncate(tokens, max_length, how) or [UNK]
        ids.extend([stoi.get(t, UNK_ID) for t in row])
        offsets.append(len(ids))
        if subwords is not None:
            types.extend([type_of.setdefault(t, len(type_of) + 1) for t in row])
    y = torch.tensor([label_ids[label] for label in labels], dtype=torch.long) if labels is not None else None
    data = Encoded(_tensor(ids, torch.int32), _tensor(offsets, torch.int64), y, truncated=truncated)
    if subwords is not None:
        rows = [subwords.ids(t) for t in type_of]  # in type order: dicts keep insertion order
        table = torch.zeros(len(rows) + 1, max(map(len, rows), default=1), dtype=torch.int32)
        for i, grams in enumerate(rows, start=1):
            table[i, :len(grams)] = torch.tensor(grams, dtype=torch.int32)
        data.types, data.type_subwords = _tensor(types, torch.int32), table
    return data


def _tensor(values: array, dtype) -> "torch.Tensor":
    import torch

    return torch.frombuffer(values, dtype=dtype).clone() if values else torch.zeros(0, dtype=dtype)


def bucket_batches(lengths: Sequence[int], batch_size: int, seed: int | None = None,
                   pool: int = 50) -> list[list[int]]:
    """Batches of similar length, so that little padding is computed.

    Training (a seed): shuffle all rows, sort each pool of `pool` batches by length, cut it into batches,
    shuffle the batches. Inference (no seed): sort everything by length, so padding is at its least.
    """
    order = list(range(len(lengths)))
    if seed is None:
        order.sort(key=lengths.__getitem__)
        return [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(seed)
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = sorted(order[start: start + batch_size * pool], key=lengths.__getitem__)
        batches.extend(chunk[i: i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(data: Encoded, rows: Sequence[int]) -> dict:
    """{"input": (B, T) ids right-padded with <pad>, "lengths": (B,), "label": (B,) if known, "ntokens": int,
    and with subwords "subwords": (B, T, K) n-gram bucket ids, 0 at padding}."""
    import torch

    from textrnn.text.vocab import PAD_ID

    starts = data.offsets[list(rows)]
    lengths = data.offsets[[r + 1 for r in rows]] - starts
    batch = torch.full((len(rows), int(lengths.max())), PAD_ID, dtype=torch.long)
    types = torch.zeros_like(batch) if data.types is not None else None
    for b, (start, length) in enumerate(zip(starts.tolist(), lengths.tolist())):
        batch[b, :length] = data.ids[start: start + length]
        if types is not None:
            types[b, :length] = data.types[start: start + length]
    out = {"input": batch, "lengths": lengths, "ntokens": int(lengths.sum())}
    if types is not None:
        out["subwords"] = data.type_subwords[types].long()
    if data.labels is not None:
        out["label"] = data.labels[list(rows)]
    return out
