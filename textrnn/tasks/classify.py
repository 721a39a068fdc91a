"""Text classification: train on labelled text, predict labels with class probabilities, evaluate per class."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from textrnn import checkpoint, distributed, transfer
from textrnn.data.classify import (Encoded, bucket_batches, check_classes, collate, encode, fold_digits,
                                   label_order, load_examples, stratified_split, TRUNCATIONS)
from textrnn.data.corpus import token_lists
from textrnn.data.labels import check_known, parse_label_map
from textrnn.data.sources import Source
from textrnn.errors import ConfigError, InputError, UnknownNameError
from textrnn.ranges import check_fields
from textrnn.tasks import defaults
from textrnn.tasks.common import build_vocab, locks_output
from textrnn.tasks.pipeline import Fit, TrainResult, network, run_training, start, too_few_to_split
from textrnn.text import get_tokenizer
from textrnn.training import Callback, Monitor, TrainConfig

TASK = "classify"
TRAINING = defaults.CLASSIFY  # the default training settings, as the CLI's
PREDICT_BATCH = 256


@dataclass(frozen=True)
class ClassifyDataConfig:
    """How labelled rows become batches."""

    tokenizer: str | None = None  # None: spacy, or the --encoder language model's
    lang: str | None = None  # None: en, or the encoder's
    lowercase: bool | None = None  # None: False, or the encoder's
    min_freq: int = 1
    max_vocab: int | None = 30_000
    max_length: int = 400  # longer texts keep max_length tokens, as `truncate` says
    truncate: str = "head"  # head, tail or head+tail (see data.classify.truncate)
    fold_digits: bool = False  # every digit becomes 0: unseen numbers share tokens (spam's phone numbers, prices)
    valid_fraction: float = 0.1  # stratified, when no validation data is given
    text_column: str | None = None  # None: detect (by name, else by content)
    label_column: str | None = None
    layout: str | None = None  # None: detect; "columns", or "label-space" ("label text" lines)
    label_map: str | dict[str, str] | None = None  # "0=neg,1=pos": data labels renamed to the model's labels

    def __post_init__(self) -> None:
        object.__setattr__(self, "label_map", parse_label_map(self.label_map))  # a dict from here on
        check_fields(self, "min_freq", "max_vocab", "max_length", "valid_fraction")
        if self.truncate not in TRUNCATIONS:
            raise UnknownNameError("truncation", self.truncate, TRUNCATIONS)


def _source(data: Source | str) -> Source:
    return Source(data) if isinstance(data, str) else data


def _name(source: Source) -> str:
    return "<stdin>" if source.path == "-" else source.path


@locks_output
def train(corpus: Source | str, out_dir: str | Path, model: dict[str, Any] | None = None,
          data: ClassifyDataConfig = ClassifyDataConfig(), training: TrainConfig = TRAINING,
          valid: Source | str | None = None, embeddings: str | Path | None = None, class_weights: bool = False,
          encoder: str | Path | Sequence[str | Path] | None = None, callbacks: Iterable[Callback] = (), overwrite: bool = False,
          resume: bool = False, started: float | None = None) -> TrainResult:
    """Train a classifier on `corpus` and save it to `out_dir`: the best epoch by validation macro-F1.

    `encoder`: a language model directory whose tokenizer, vocabulary, embedding and recurrent layers the
    classifier starts from (`textrnn.transfer`); sizes and tokenizer settings then come from it. Two (a forward
    and a backward language model): a paired classifier, each encoder starting from one of them.
    `started`: when the run began (time.time()), for the whole run's seconds; default: now.
    """
    started = started or time.time()
    output, saved = start(out_dir, TASK, overwrite, resume, training, asdict(data), model)
    source = _source(corpus)
    if saved is not None:  # how texts become ids is part of the model: keep the saved run's choices
        data = replace(data, **{k: v for k, v in saved.training.get("data", {}).items() if k in _MODEL_DATA})
    encoders = [] if encoder is None else [encoder] if isinstance(encoder, (str, Path)) else list(encoder)
    lm = lms = None
    if saved is None and encoders:
        if embeddings is not None:
            raise ConfigError("--embeddings and --encoder both set the word vectors; give one of them")
        encoders, lms = map(list, zip(*transfer.read_encoders(encoders)))  # the forward one first
        lm, encoder = lms[0], encoders[0]
        transfer.check_tokenizer(lm, transfer.asked_tokenizer(data), encoder)
    tokenizer = saved.tokenizer("text") if saved else lm.tokenizer("text") if lm else \
        get_tokenizer(data.tokenizer or "spacy", data.lang or "en", bool(data.lowercase))
    examples = load_examples(source, tokenizer, data.text_column, data.label_column, data.layout, data.label_map)
    (train_rows, train_labels), (valid_rows, valid_labels) = _splits(examples, source, valid, tokenizer, data,
                                                                     training.seed)
    counts = check_classes(train_labels, _name(source))
    vectors = None
    if saved is None:
        saved, vectors = _new_model(train_rows, train_labels, tokenizer, model, data, embeddings, class_weights,
                                    lm, encoder, paired=len(encoders) == 2)
    labels, vocab = saved.labels, saved.vocabs["text"]
    unknown = sorted((set(train_labels) | set(valid_labels)) - set(labels))
    if unknown:
        raise InputError(f"labels not in the training data: {', '.join(unknown[:10])}; known: {', '.join(labels)}",
                         hint="the validation data must use the training data's labels")
    label_ids = {label: i for i, label in enumerate(labels)}
    net = _network(saved, training, vectors, [transfer.lm_weights(path) for path in encoders] if lm else None)
    subwords = net.config.subwords
    train_data = encode(_tokens(train_rows, data.fold_digits), vocab, data.max_length, train_labels, label_ids,
                        subwords, data.truncate)
    valid_data = encode(_tokens(valid_rows, data.fold_digits), vocab, data.max_length, valid_labels, label_ids,
                        subwords, data.truncate)

    meta = {"corpus": _name(source), "valid": _name(_source(valid)) if valid is not None else
            f"{data.valid_fraction:.0%} of corpus, stratified (seed {training.seed})",
            "text_column": examples.text_column, "label_column": examples.label_column, "layout": examples.layout,
            "train_examples": len(train_data), "valid_examples": len(valid_data),
            "label_counts": {lab: counts[lab] for lab in labels}, "train_tokens": int(train_data.ids.numel()),
            "truncated": {"train": train_data.truncated, "valid": valid_data.truncated},
            "data": asdict(data)}
    if vectors is not None:
        meta["embeddings"] = {"path": str(embeddings), "dim": vectors.dim, "coverage": round(vectors.coverage, 4)}
    if lm is not None:
        meta["encoder"] = {"path": str(encoder), "corpus": lm.training.get("corpus"),
                           "val_ppl": lm.metrics.get("val_ppl")}
        if len(lms) == 2:
            meta["encoder"]["backward"] = {"path": str(encoders[1]), "corpus": lms[1].training.get("corpus"),
                                           "val_ppl": lms[1].metrics.get("val_ppl")}
    if resume:
        meta = {**saved.training, **meta}
    reports: dict[str, dict] = {}

    world = distributed.current()

    def evaluate_valid(m) -> dict[str, float]:
        probs = class_probabilities(m, valid_data, training.batch_size * 2, distributed.part(len(valid_data), world))
        world.sum_tensor(probs)  # each rank scored its part: the sum is every row's
        reports["last"] = report(valid_data.labels.tolist(), probs.argmax(1).tolist(), labels)
        return {"loss": nll(probs, valid_data.labels), **epoch_metrics(reports["last"])}

    def best_metrics(record) -> dict[str, Any]:
        return {**{k: v for k, v in record.items() if k.startswith("val_")},
                "valid_per_class": reports["last"]["per_class"]}

    def summary(state) -> dict[str, Any]:
        best = state.history[state.best_epoch - 1] if state.best_epoch else {}
        return {"labels": ", ".join(labels), "best_val_accuracy": best.get("val_accuracy"),
                "max_length": data.max_length, "truncated_texts": train_data.truncated + valid_data.truncated}

    # each process its part of every global batch (textrnn.distributed); one process: all of it
    rows_of, steps = distributed.sharded(
        lambda epoch, size: bucket_batches(train_data.lengths, size, training.seed * 1009 + epoch), training.batch_size)

    def epoch_batches(epoch: int) -> Iterator[dict]:
        for rows in rows_of(epoch):
            yield collate(train_data, rows)

    fit = Fit(net, epoch_batches, steps, evaluate_valid,
              Monitor("macro_f1", "max", tie_break="loss"), meta, best_metrics, summary)
    return run_training(output, saved, fit, training, callbacks, resume, started)


_MODEL_DATA = ("max_length", "truncate", "fold_digits")  # data options that the saved model needs at inference


def _splits(examples, source: Source, valid, tokenizer, data: ClassifyDataConfig, seed: int):
    """((train tokens, labels), (validation tokens, labels)): `valid` read, or a stratified split of `examples`."""
    if valid is not None:
        held = load_examples(_source(valid), tokenizer, data.text_column, data.label_column, data.layout,
                             data.label_map)
        return (examples.tokens, examples.labels), (held.tokens, held.labels)
    check_classes(examples.labels, _name(source))
    train_idx, valid_idx = stratified_split(examples.labels, data.valid_fraction, seed)
    if not valid_idx or not train_idx:
        raise too_few_to_split(_name(source), len(examples), "rows")
    return ((examples.tokens.select(train_idx), [examples.labels[i] for i in train_idx]),
            (examples.tokens.select(valid_idx), [examples.labels[i] for i in valid_idx]))


def _new_model(rows, labels: list[str], tokenizer, model: dict[str, Any] | None, data: ClassifyDataConfig,
               embeddings: str | Path | None, class_weights: bool, lm: checkpoint.Saved | None = None,
               encoder: str | Path | None = None, paired: bool = False):
    """The Saved description of a new classifier (labels, vocabulary, architecture) and any word vectors.
    With a language model `lm`, its vocabulary and encoder shape are used; `paired`: a backward one too."""
    from collections import Counter

    from textrnn.models.classifier import ClassifierConfig

    order = label_order(labels)
    if lm is not None:
        vocab, arch = lm.vocabs["text"], transfer.encoder_arch(lm, model or {}, encoder)
        arch["paired"] = paired
    else:
        vocab = build_vocab(_tokens(rows, data.fold_digits), data.min_freq, data.max_vocab)
        arch = {k: v for k, v in (model or {}).items() if v is not None}
    vectors = None
    if embeddings is not None:
        from textrnn.embeddings import read_vectors

        vectors = read_vectors(embeddings, vocab)
        if arch.setdefault("embedding_size", vectors.dim) != vectors.dim:
            raise ConfigError(f"--embedding-size {arch['embedding_size']} does not match the {vectors.dim} "
                              f"dimensions of {embeddings}", hint="leave --embedding-size out")
    arch.setdefault("embedding_size", arch.get("hidden_size", ClassifierConfig.hidden_size))
    if class_weights:  # inverse frequency, 1.0 on average ("balanced")
        counts = Counter(labels)
        arch["class_weights"] = [len(labels) / (len(order) * counts[label]) for label in order]
    config = ClassifierConfig(vocab_size=len(vocab), num_labels=len(order), **arch)
    return checkpoint.Saved(task=TASK, model_kind="classifier", model_config=asdict(config),
                            tokenizers={"text": tokenizer.spec}, vocabs={"text": vocab}, labels=order), vectors


def _network(saved: checkpoint.Saved, training: TrainConfig, vectors, lm_states=None):
    """The classifier (pipeline.network), with word vectors or the language models' encoders copied in (the
    forward one's, then a pair's backward one's). A resumed run's weights are loaded by the pipeline."""
    net = network(saved, training)
    if vectors is not None:
        from textrnn.embeddings import init_embedding

        init_embedding(net.embedding.weight, vectors)
    for prefix, lm_state in zip(("", "backward_"), lm_states or ()):
        transfer.copy_encoder(net, lm_state, prefix)
    return net


def _tokens(ds, fold: bool) -> Iterator[list[str]]:
    return (fold_digits(tokens) for tokens in token_lists(ds)) if fold else token_lists(ds)


# Scoring -----------------------------------------------------------------------------------------

def class_probabilities(net, data: Encoded, batch_size: int = PREDICT_BATCH, only: range | None = None):
    """(N, C) softmax probabilities in the data's order; batches sorted by length to pad the least. `only`: of
    those rows alone, the others left 0 (a rank's part of the validation data)."""
    import torch

    device = next(net.parameters()).device
    probs = torch.zeros(len(data), net.config.num_labels)
    only = range(len(data)) if only is None else only
    lengths = data.lengths
    with torch.inference_mode():
        for positions in bucket_batches([lengths[i] for i in only], batch_size):
            rows = [only[i] for i in positions]
            batch = collate(replace(data, labels=None), rows)
            logits, _ = net({k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()})
            probs[rows] = torch.softmax(logits.float(), dim=-1).cpu()
    return probs


def nll(probs, gold) -> float:
    """Mean cross-entropy (nats) of the gold labels."""
    import torch

    return -torch.log(probs[torch.arange(len(gold)), gold].clamp_min(1e-12)).mean().item()


def report(gold: list[int], pred: list[int], labels: list[str]) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1/support, their macro averages and the confusion matrix
    (rows: true label, columns: predicted label). A class never predicted has precision 0."""
    n = len(labels)
    confusion = [[0] * n for _ in range(n)]
    for g, p in zip(gold, pred):
        confusion[g][p] += 1
    per_class = {}
    for i, label in enumerate(labels):
        tp = confusion[i][i]
        predicted, support = sum(row[i] for row in confusion), sum(confusion[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    present = [c for c in per_class.values() if c["support"]] or list(per_class.values())
    macro = {m: sum(c[m] for c in present) / len(present) for m in ("precision", "recall", "f1")}
    return {"examples": len(gold), "accuracy": sum(g == p for g, p in zip(gold, pred)) / max(len(gold), 1),
            "macro_precision": macro["precision"], "macro_recall": macro["recall"], "macro_f1": macro["f1"],
            "per_class": per_class, "labels": labels, "confusion": confusion}


def epoch_metrics(rep: dict[str, Any]) -> dict[str, float]:
    """The scalars shown after each epoch: accuracy, macro-F1 and every class's F1."""
    return {"accuracy": rep["accuracy"], "macro_f1": rep["macro_f1"],
            **{f"f1_{label}": c["f1"] for label, c in rep["per_class"].items()}}


# Inference (one classifier: textrnn.tasks.classifier_runner; several: textrnn.tasks.ensemble) ---------

def predict(model: str | Path, texts: Iterable[str], batch_size: int = PREDICT_BATCH,
            device: str = "cpu", also: Sequence[str | Path] | None = None) -> Iterator[dict[str, Any]]:
    """Each text's label, its probability and every class's probability, in input order. Texts are read
    and classified up to 4 x `batch_size` at a time, fewer when stdin has no more lines ready (a writer
    waiting for an answer gets it at once: textrnn.data.stdin.batches). `also`: more classifiers whose
    probabilities are averaged with the model's (textrnn.tasks.ensemble)."""
    from textrnn.data.stdin import batches
    from textrnn.tasks.classifier_runner import answers
    from textrnn.tasks.ensemble import reader_for

    reader = reader_for(model, also, device)
    for chunk in batches(texts, batch_size * 4):
        yield from answers(reader, chunk, batch_size)


def evaluate(model: str | Path, source: Source | str, batch_size: int = PREDICT_BATCH, device: str = "cpu",
             text_column: str | None = None, label_column: str | None = None, layout: str | None = None,
             label_map: str | dict[str, str] | None = None, also: Sequence[str | Path] | None = None
             ) -> dict[str, Any]:
    """Accuracy, per-class and macro precision/recall/F1, and the confusion matrix on labelled data; also the
    label map used and how many texts were longer than the model reads (`truncated`, cut to `max_length`).
    The data options are those of `train` (see `ClassifyDataConfig`). `also`: as for `predict`."""
    import torch

    from textrnn.tasks.ensemble import reader_for

    label_map = parse_label_map(label_map)
    reader = reader_for(model, also, device)
    source = _source(source)
    data = load_examples(source, reader.tokenizer, text_column, label_column, layout, label_map)
    check_known(data.labels, reader.labels, _name(source), label_map)
    tokenized = _tokens(data.tokens, reader.fold_digits)
    label_ids = {label: i for i, label in enumerate(reader.labels)}
    gold = torch.tensor([label_ids[label] for label in data.labels], dtype=torch.long)
    probs, truncated = reader.scored(tokenized, batch_size)
    result = report(gold.tolist(), probs.argmax(1).tolist(), reader.labels)
    extra = {"ensemble": reader.names} if len(reader.names) > 1 else {}
    return {"model": str(model), "corpus": _name(source), "loss": nll(probs, gold), **result,
            "max_length": reader.max_length, "truncated": truncated, "label_map": label_map, **extra}
