"""Labels: their order, and label maps from the names a dataset gives its classes (0/1) to a model's (neg/pos)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

from textrnn.errors import InputError

EXAMPLE_MAP = "0=neg,1=pos"


def label_order(labels: Iterable[str]) -> list[str]:
    """The distinct labels, numerically sorted when they are all numbers (1 < 2 < 10), else alphabetically."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def parse_label_map(spec: str | Mapping[str, str] | None) -> dict[str, str] | None:
    """"0=neg,1=pos" -> {"0": "neg", "1": "pos"}: data labels on the left, the model's on the right.
    A mapping is taken as it is; None means no map. Several data labels may share a model label."""
    if spec is None or isinstance(spec, Mapping):
        return None if spec is None else {str(k).strip(): str(v).strip() for k, v in spec.items()}
    pairs: dict[str, str] = {}
    for item in spec.split(","):
        data, sep, model = (part.strip() for part in item.partition("="))
        if not (sep and data and model) or "=" in model:
            raise InputError(f"--label-map {spec!r}: {item.strip()!r} is not DATA_LABEL=MODEL_LABEL",
                             hint=f"give pairs separated by commas, as --label-map {EXAMPLE_MAP}")
        if pairs.setdefault(data, model) != model:
            raise InputError(f"--label-map {spec!r}: {data!r} is mapped twice ({pairs[data]!r} and {model!r})",
                             hint="map each data label once")
    return pairs


def map_labels(labels: Sequence[str | None], label_map: Mapping[str, str] | None,
               name: str) -> list[str | None]:
    """Each label renamed by the map (labels it does not name are kept); warns about map entries no row uses."""
    if not label_map:
        return list(labels)
    unused = sorted(set(label_map) - set(labels))
    if unused:
        warnings.warn(f"{name}: --label-map names labels the data does not have: {_few(unused)}", stacklevel=3)
    return [label_map.get(label, label) if label is not None else None for label in labels]


def check_known(labels: Iterable[str], known: Sequence[str], name: str,
                label_map: Mapping[str, str] | None = None) -> None:
    """Refuse labels that are not among a model's `known` labels: the message names the data's labels and the
    model's, and the hint suggests a --label-map pairing the unknown labels with the model's unused ones."""
    data = label_order(labels)
    unknown = [label for label in data if label not in known]
    if not unknown:
        return
    free = [label for label in known if label not in data]
    pairs = ",".join(f"{a}={b}" for a, b in zip(unknown, free)) if len(free) == len(unknown) else "DATA=MODEL,..."
    mapped = " (after --label-map)" if label_map else ""
    raise InputError(f"{name}: labels the model does not know: {_few(unknown)}; the data's labels{mapped}: "
                     f"{_few(data)}; the model's labels: {_few(known)}",
                     hint=f"map the data's labels to the model's with --label-map {pairs}, or check the label column")


def _few(labels: Sequence[str], k: int = 10) -> str:
    return ", ".join(labels[:k]) + (f", ... ({len(labels)} in all)" if len(labels) > k else "")
