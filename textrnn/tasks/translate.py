"""Translation: train an attention encoder-decoder on sentence pairs, translate, measure BLEU and chrF."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from textrnn import checkpoint, distributed
from textrnn.data.lm import split_examples
from textrnn.data.sources import Source
from textrnn.data.translate import (ParallelSource, as_parallel, bucket_batches, collate, load_pairs, no_pairs,
                                    read_pairs, tokenize_pairs, within_length)
from textrnn.errors import ConfigError, InputError, TrainingError, UnknownNameError
from textrnn.ranges import check, check_fields
from textrnn.tasks import defaults
from textrnn.tasks.common import build_vocab, load_for, locks_output
from textrnn.tasks.pipeline import Fit, TrainResult, network, run_training, start, too_few_to_split
from textrnn.text import Vocab, get_tokenizer
from textrnn.text.normalize import clip
from textrnn.training import Callback, Monitor, TrainConfig, pick_device
from textrnn.translate_decode import DecodeConfig, replace_unknown, translate_ids

TASK = "translate"
TRAINING = defaults.TRANSLATE  # the default training settings, as the CLI's
MONITORS = {"loss": "min", "bleu": "max"}
DEFAULT_MAX_LENGTH = 50


@dataclass(frozen=True)
class TranslateDataConfig:
    """How pairs become training batches. src_lang/tgt_lang name the data's two columns in file order;
    a reversed source swaps them along with the sentences."""

    tokenizer: str = "spacy"
    src_lang: str = "en"
    tgt_lang: str = "fr"
    lowercase: bool = False
    min_freq: int = 1
    max_vocab: int | None = 30_000  # per side, specials included
    max_length: int = DEFAULT_MAX_LENGTH  # pairs with a longer side (in tokens) are left out of training
    max_pairs: int | None = None  # a seeded sample of this many training pairs (None: all)
    valid_fraction: float = 0.05
    teacher_forcing: float = 1.0  # share of decoder steps fed the gold token in epoch 1 ...
    teacher_forcing_decay: float = 0.0  # ... minus this per later epoch ...
    teacher_forcing_min: float = 0.5  # ... never below this
    monitor: str = "loss"  # "loss" or "bleu" (greedy BLEU on the validation sample) picks the best epoch
    # Validation pairs translated greedily for val_bleu (0: none): once, with the best epoch's model, after
    # training; every epoch only when monitor is "bleu" (decoding them costs about as much as the loss).
    valid_bleu_sentences: int = 500

    def __post_init__(self) -> None:
        if self.monitor not in MONITORS:
            raise UnknownNameError("monitor", self.monitor, list(MONITORS))
        check_fields(self, "min_freq", "max_vocab", "max_length", "max_pairs", "valid_fraction", "teacher_forcing",
                     "teacher_forcing_decay", "teacher_forcing_min", "valid_bleu_sentences")
        if self.monitor == "bleu" and self.valid_bleu_sentences < 1:
            raise ConfigError("--monitor bleu needs --valid-bleu of at least 1")

    def teacher_forcing_at(self, epoch: int) -> float:
        """The ratio for a 1-based epoch: linear decay (Bengio et al. 2015, "Scheduled Sampling")."""
        start = self.teacher_forcing
        return max(min(start, self.teacher_forcing_min), start - self.teacher_forcing_decay * (epoch - 1))


@dataclass
class _Split:
    """Tokenized, numericalized pairs of one split, with the raw target text for BLEU."""

    src: list[list[int]]
    tgt: list[list[int]]
    references: list[str]


def _tokenized(data: ParallelSource, config: TranslateDataConfig, src_tok, tgt_tok):
    ds = tokenize_pairs(load_pairs(data, (config.src_lang, config.tgt_lang)), src_tok, tgt_tok)
    cols = ds.select_columns(["src_tokens", "tgt_tokens", "target"]).to_dict()
    return cols["src_tokens"], cols["tgt_tokens"], cols["target"]


@locks_output
def train(data: ParallelSource | Source | str, out_dir: str | Path, model: dict[str, Any] | None = None,
          config: TranslateDataConfig = TranslateDataConfig(), training: TrainConfig = TRAINING,
          valid: ParallelSource | Source | str | None = None, callbacks: Iterable[Callback] = (),
          overwrite: bool = False, resume: bool = False, started: float | None = None) -> TrainResult:
    """Train a translator on sentence pairs and save the best epoch (by validation loss or BLEU) to out_dir.

    `started`: when the run began (time.time()), for the whole run's seconds; default: now.
    """
    started = started or time.time()
    import random

    from textrnn.models.seq2seq import Seq2SeqConfig

    output, resumed = start(out_dir, TASK, overwrite, resume, training, asdict(config), model)
    pairs = as_parallel(data)
    langs = (config.tgt_lang, config.src_lang) if pairs.reverse else (config.src_lang, config.tgt_lang)
    src_tok, tgt_tok = (get_tokenizer(config.tokenizer, lang, config.lowercase) for lang in langs)
    src, tgt, refs = _tokenized(pairs, config, src_tok, tgt_tok)
    if valid is not None:
        v_src, v_tgt, v_refs = _tokenized(as_parallel(valid, pairs.reverse), config, src_tok, tgt_tok)
        train_idx, valid_idx = list(range(len(src))), None
    else:
        if len(src) < 2:
            raise too_few_to_split(pairs.describe(), len(src), "pairs")
        train_idx, valid_idx = split_examples(len(src), config.valid_fraction, training.seed)
        v_src, v_tgt, v_refs = src, tgt, refs
    keep = set(within_length(src, tgt, config.max_length))
    train_idx = [i for i in train_idx if i in keep]
    if not train_idx:
        raise TrainingError(f"no training pair has at most {config.max_length} tokens on both sides",
                            hint="raise --max-length")
    if config.max_pairs and len(train_idx) > config.max_pairs:
        train_idx = sorted(random.Random(training.seed).sample(train_idx, config.max_pairs))
    valid_idx = [i for i in (valid_idx if valid_idx is not None else range(len(v_src)))
                 if len(v_src[i]) <= config.max_length and len(v_tgt[i]) <= config.max_length]
    if not valid_idx:
        raise TrainingError(f"no validation pair has at most {config.max_length} tokens on both sides")

    if resumed is not None:
        saved = resumed
    else:
        vocabs = {"source": build_vocab((src[i] for i in train_idx), config.min_freq, config.max_vocab, "source "),
                  "target": build_vocab((tgt[i] for i in train_idx), config.min_freq, config.max_vocab, "target ")}
        net_config = Seq2SeqConfig(src_vocab_size=len(vocabs["source"]), tgt_vocab_size=len(vocabs["target"]),
                                   **(model or {}))
        saved = checkpoint.Saved(task=TASK, model_kind="seq2seq", model_config=asdict(net_config),
                                 tokenizers={"source": src_tok.spec, "target": tgt_tok.spec}, vocabs=vocabs)
    sv, tv = saved.vocabs["source"], saved.vocabs["target"]
    train_split = _Split([sv.encode(src[i]) for i in train_idx], [tv.encode(tgt[i]) for i in train_idx], [])
    valid_split = _Split([sv.encode(v_src[i]) for i in valid_idx], [tv.encode(v_tgt[i]) for i in valid_idx],
                         [v_refs[i] for i in valid_idx])
    net = network(saved, training)
    lengths = [len(s) for s in train_split.src]

    # each process its part of every global batch (textrnn.distributed); one process: all of it
    rows_of, steps = distributed.sharded(lambda epoch, size: bucket_batches(lengths, size, seed=training.seed + epoch),
                                         training.batch_size)

    def batches(epoch: int) -> Iterator[dict]:
        ratio = config.teacher_forcing_at(epoch)
        for idx in rows_of(epoch):
            yield collate([train_split.src[i] for i in idx], [train_split.tgt[i] for i in idx], ratio)

    def evaluate(m) -> dict[str, float]:
        return _validate(m, valid_split, tgt_tok, tv, config, training.batch_size, bleu=config.monitor == "bleu")

    meta = {"corpus": pairs.describe(), "valid": as_parallel(valid).describe() if valid
            else f"{config.valid_fraction:.0%} of corpus", "train_pairs": len(train_idx),
            "valid_pairs": len(valid_idx), "train_tokens": sum(len(t) + 1 for t in train_split.tgt),
            "left_out_long": len(src) - len(keep), "reverse": pairs.reverse, "data": asdict(config)}

    def bleu_of_best(state, device: str) -> None:
        if config.monitor != "bleu" and config.valid_bleu_sentences:
            _bleu_of_best(output.path, state, valid_split, tgt_tok, config, training.batch_size, device)

    fit = Fit(net, batches, steps, evaluate,
              Monitor(config.monitor, MONITORS[config.monitor]), meta, after=bleu_of_best)
    return run_training(output, saved, fit, training, callbacks, resume, started)


def _validate(model, split: _Split, tgt_tok, tv: Vocab, config: TranslateDataConfig, batch_size: int,
              bleu: bool = True) -> dict[str, float]:
    """Teacher-forced loss over the validation pairs; with `bleu`, greedy BLEU on the first valid_bleu_sentences."""
    total, count, world = 0.0, 0, distributed.current()
    device = next(model.parameters()).device
    for n, idx in enumerate(bucket_batches([len(s) for s in split.src], batch_size)):
        if n % world.size != world.rank:  # each rank its share of the batches; the sums are added over ranks
            continue
        batch = collate([split.src[i] for i in idx], [split.tgt[i] for i in idx])
        batch = {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}
        _, loss = model(batch)
        total += loss.item() * batch["ntokens"]
        count += batch["ntokens"]
    total, count = world.total(total, count)
    metrics = {"loss": total / max(count, 1), "ppl": math.exp(min(total / max(count, 1), 50))}
    if bleu and config.valid_bleu_sentences and world.main:  # greedy BLEU: decoded by rank 0 alone
        metrics["bleu"] = _greedy_bleu(model, split, tgt_tok, tv, config.valid_bleu_sentences, batch_size)
    return metrics


def _greedy_bleu(model, split: _Split, tgt_tok, tv: Vocab, n: int, batch_size: int) -> float:
    """BLEU of greedy translations of the first n validation pairs."""
    n = min(n, len(split.src))
    device = next(model.parameters()).device
    found = translate_ids(model, split.src[:n], DecodeConfig(beam=1, batch_size=batch_size), str(device))
    hyps = [tgt_tok.detokenize(tv.decode(t.tokens)) for t in found]
    return bleu_chrf(hyps, split.references[:n])["bleu"]


def _bleu_of_best(out: Path, state, split: _Split, tgt_tok, config: TranslateDataConfig, batch_size: int,
                  device: str) -> None:
    """val_bleu of the saved (best) model, computed once after training: into its config.json metrics and
    into the best epoch's record of `state.history` (the run's summary)."""
    import torch

    model, saved = checkpoint.load(out, device)
    model.eval()
    with torch.inference_mode():
        bleu = _greedy_bleu(model, split, tgt_tok, saved.vocabs["target"], config.valid_bleu_sentences, batch_size)
    checkpoint.record_run(out, metrics={"val_bleu": bleu})
    state.history[state.best_epoch - 1]["val_bleu"] = bleu


def bleu_chrf(hypotheses: list[str], references: list[str]) -> dict[str, Any]:
    """Corpus BLEU and chrF with sacreBLEU: detokenized text, its default 13a tokenization, case-sensitive."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu, chrf = BLEU(), CHRF()
    return {"bleu": bleu.corpus_score(hypotheses, [references]).score,
            "chrf": chrf.corpus_score(hypotheses, [references]).score,
            "bleu_signature": str(bleu.get_signature()), "chrf_signature": str(chrf.get_signature())}


# Inference ---------------------------------------------------------------------------------------

class Translator:
    """A loaded translation model with its two tokenizers and vocabularies."""

    def __init__(self, model: str | Path = "en-fr", device: str = "cpu") -> None:
        self.device = pick_device(device)
        self.model, self.saved = load_for(model, TASK, self.device)
        self.src_tok, self.tgt_tok = self.saved.tokenizer("source"), self.saved.tokenizer("target")
        self.src_vocab, self.tgt_vocab = self.saved.vocabs["source"], self.saved.vocabs["target"]
        self.max_length = int(self.saved.training.get("data", {}).get("max_length", DEFAULT_MAX_LENGTH))

    def prepare(self, text: str, where: str = "") -> tuple[list[str], list[str]]:
        """Source tokens (cut to the training length limit) and notes for the user (unknown words aside)."""
        clipped = clip(text, self.max_length)  # a 50 MB line is not tokenized whole for its first tokens
        tokens, notes = self.src_tok(clipped), []
        if not tokens:  # "", spaces, a lone BOM or zero-width space
            raise InputError(f"the source sentence{where} is empty", hint='give a sentence: textrnn predict "I am cold."')
        if len(tokens) > self.max_length or clipped is not text:
            size, unit = (f"{len(tokens)} tokens", "") if clipped is text else (f"{len(text):,} characters", " tokens")
            notes.append(f"the sentence has {size}; only the first {self.max_length}{unit} are translated "
                         f"(the model was trained on sentences of at most {self.max_length})")
            tokens = tokens[:self.max_length]
        return tokens, notes

    def translate(self, texts: list[str], decode: DecodeConfig = DecodeConfig(), attention: bool = False,
                  first: int = 1) -> list[dict[str, Any]]:
        """One result per text, in order; `first` numbers the texts in error messages."""
        prepared = [self.prepare(t, f" (input {first + i})" if len(texts) > 1 or first > 1 else "")
                    for i, t in enumerate(texts)]
        found = translate_ids(self.model, [self.src_vocab.encode(toks) for toks, _ in prepared], decode, self.device)
        results = []
        for text, (src_tokens, notes), t in zip(texts, prepared, found):
            words = replace_unknown([self.tgt_vocab.itos[i] for i in t.tokens], t.attention, src_tokens)
            result = {"source": text, "translation": self.tgt_tok.detokenize(words), "source_tokens": src_tokens,
                      "tokens": words, "score": t.score, "notes": notes,
                      "unknown": [w for w in dict.fromkeys(src_tokens) if w not in self.src_vocab]}
            if attention:
                result["attention"] = [[round(w, 4) for w in row] for row in t.attention.tolist()]
            results.append(result)
        return results


def predict(model: str | Path, texts: Iterable[str], beam: int = 5, attention: bool = False,
            device: str = "cpu", batch_size: int = 32) -> Iterator[dict[str, Any]]:
    """Translate each text, in order, decoding up to batch_size of them together (greedy when beam is 1);
    fewer when stdin has no more lines ready (textrnn.data.stdin.batches)."""
    from textrnn.data.stdin import batches

    check("beam", beam)
    translator = Translator(model, device)
    decode = DecodeConfig(beam=max(beam, 1), batch_size=batch_size)
    done = 0
    for chunk in batches(texts, batch_size):
        yield from translator.translate(chunk, decode, attention, first=done + 1)
        done += len(chunk)


def evaluate(model: str | Path, source: ParallelSource | Source | str, beam: int = 5, device: str = "cpu",
             reverse: bool | None = None, examples: int = 5, batch_size: int = 64) -> dict[str, Any]:
    """BLEU and chrF (sacreBLEU) of the model's translations against the data's references.

    The data is read in the direction the model was trained on (a model trained with reverse reads the
    file reversed too) unless `reverse` says otherwise.
    """
    check("beam", beam)
    translator = Translator(model, device)
    data_config = translator.saved.training.get("data", {})
    pairs = as_parallel(source, translator.saved.training.get("reverse", False) if reverse is None else reverse)
    langs = (data_config.get("src_lang", translator.src_tok.lang), data_config.get("tgt_lang", translator.tgt_tok.lang))
    rows = list(read_pairs(pairs, langs))
    if not rows:
        raise no_pairs(pairs)
    start = time.perf_counter()
    found = translator.translate([s for s, _ in rows], DecodeConfig(beam=max(beam, 1), batch_size=batch_size))
    seconds = time.perf_counter() - start
    hyps, refs = [r["translation"] for r in found], [t for _, t in rows]
    shown = sorted({round(i * (len(rows) - 1) / max(examples - 1, 1)) for i in range(min(examples, len(rows)))})
    return {"model": str(model), "corpus": pairs.describe(), "sentences": len(rows), "beam": max(beam, 1),
            **bleu_chrf(hyps, refs), "tokenize": "13a", "lowercase": False,
            "truncated": sum(1 for r in found if r["notes"] and "; only the first" in r["notes"][0]),
            "seconds": seconds, "sentences_per_s": len(rows) / max(seconds, 1e-9),
            "examples": [{"source": rows[i][0], "reference": rows[i][1], "translation": hyps[i]} for i in shown]}
