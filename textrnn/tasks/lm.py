"""Language modelling: train on a token stream, predict the next word, generate text, measure perplexity."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from textrnn import checkpoint, distributed, transfer
from textrnn.data.corpus import load_corpus, token_lists, tokenize_corpus
from textrnn.data.lm import batchify, num_windows, split_examples, stream_ids, windows
from textrnn.data.sources import Source
from textrnn.errors import ConfigError, InputError
from textrnn.ranges import check, check_fields
from textrnn.tasks import defaults
from textrnn.tasks.lm_generate import (PREDICT_BATCH, GenerateConfig, Generation, beam_tokens, generate_batch,
                                      generate_batch_size, in_batches, run_prompts, sample_steps, stop_ids, token_strings)
from textrnn.tasks.common import build_vocab, load_for, locks_output
from textrnn.tasks.pipeline import Fit, TrainResult, network, run_training, start, too_few_to_split
from textrnn.text import Vocab, coverage, get_tokenizer
from textrnn.text.normalize import clip, is_blank
from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from textrnn.training import Callback, Monitor, TrainConfig, pick_device

TASK = "lm"
TRAINING = defaults.LM  # the default training settings, as the CLI's
MAX_PROMPT_TOKENS = 1000  # longer prompts keep their last tokens
EVAL_BATCH = 10
# --precision auto trains a word language model with the full softmax in bfloat16 on a CPU that computes it
# natively when an epoch holds at least this many tokens: over a minute of float32 on one thread. Measured
# (benchmarks/lm_precision.py; README, "Precision"): on 976k tokens 1.3-1.6x float32's speed at the same
# validation and held-out perplexity (3 seeds); on the bundled 56k-token corpus, 1.7x but 1.6% more validation
# perplexity (4 seeds), where the minute saved is worth less. (On 250k tokens, measured after: the same validation
# perplexity, 0.8% more held-out.)
AUTO_BF16_MIN_TOKENS = 500_000
HIGH_OOV_RATE = 0.05  # above this share of unknown tokens, evaluate's perplexity flatters the model


@dataclass(frozen=True)
class LMDataConfig:
    """How the corpus becomes a token stream."""

    tokenizer: str | None = None  # None: spacy, or the --init model's
    lang: str | None = None  # None: en, or the --init model's
    lowercase: bool | None = None  # None: False, or the --init model's
    min_freq: int = 1
    max_vocab: int | None = 30_000
    bptt: int = 35
    valid_fraction: float = 0.1
    documents: bool = False  # txt: one example per file instead of per line

    def __post_init__(self) -> None:
        check_fields(self, "min_freq", "max_vocab", "bptt", "valid_fraction")


def stream_loss(model, data, bptt: int, known_only: bool = False) -> tuple[float, int]:
    """Mean cross-entropy over a batchified stream, carrying the state across windows; and token count.

    known_only: leave out the targets that are <unk> (as padding, which the loss ignores); the inputs and
    the carried state are unchanged.
    """
    total, count = 0.0, 0
    model.reset_state()
    for batch in windows(data, bptt):
        batch = {k: v.to(next(model.parameters()).device) if hasattr(v, "to") else v for k, v in batch.items()}
        if known_only:
            batch["target"] = batch["target"].masked_fill(batch["target"] == UNK_ID, PAD_ID)
            batch["ntokens"] = int((batch["target"] != PAD_ID).sum())
        _, loss = model(batch)
        if batch["ntokens"]:  # a window of <unk> targets only has a NaN mean loss and no weight
            total += loss.item() * batch["ntokens"]
        count += batch["ntokens"]
    model.reset_state()
    return total / max(count, 1), count


@locks_output
def train(corpus: Source | str, out_dir: str | Path, model: dict[str, Any] | None = None,
          data: LMDataConfig = LMDataConfig(), training: TrainConfig = TRAINING,
          valid: Source | str | None = None, callbacks: Iterable[Callback] = (),
          overwrite: bool = False, resume: bool = False, init: str | Path | None = None,
          started: float | None = None) -> TrainResult:
    """Train a language model on `corpus` and save it to `out_dir` (the best epoch by validation loss).

    `init`: continue training that language model on `corpus` (domain adaptation). Its tokenizer, vocabulary
    and architecture are kept; words of `corpus` seen at least `min_freq` times that it does not know are
    added (up to `max_vocab` in all), their vectors starting at the mean of the known words'.
    `started`: when the run began (time.time()), for the whole run's seconds; default: now.
    """
    started = started or time.time()
    from textrnn.models.language_model import LanguageModelConfig

    base = transfer.read_lm(init, "--init") if init is not None and not resume else None
    if base is not None:
        transfer.check_tokenizer(base, transfer.asked_tokenizer(data), init)
        transfer.check_arch(base.model_config, model or {}, init)
    output, resumed = start(out_dir, TASK, overwrite, resume, training, asdict(data), model)
    source = Source(corpus, documents=data.documents) if isinstance(corpus, str) else corpus
    begun = base or resumed  # the tokenizer of the model this run starts from, or continues
    tokenizer = begun.tokenizer("text") if begun else \
        get_tokenizer(data.tokenizer or "spacy", data.lang or "en", bool(data.lowercase))
    train_ds, valid_ds = _train_valid(source, valid, tokenizer, data.valid_fraction, training.seed)

    added: list[str] = []
    if resumed is not None:
        saved = resumed
        vocab = saved.vocabs["text"]
    elif base is not None:
        vocab, added = transfer.extend_vocab(base.vocabs["text"], _counts(train_ds), data.min_freq, data.max_vocab,
                                             init)
        dropouts = {k: v for k, v in (model or {}).items() if "dropout" in k and v is not None}
        saved = replace(base, vocabs={"text": vocab}, training={}, metrics={},
                        model_config={**base.model_config, **dropouts, "vocab_size": len(vocab)})
    else:
        vocab = build_vocab(token_lists(train_ds), data.min_freq, data.max_vocab)
        model_config = LanguageModelConfig(vocab_size=len(vocab), **_new_arch(model or {}))
        saved = checkpoint.Saved(task=TASK, model_kind="language_model", model_config=asdict(model_config),
                                 tokenizers={"text": tokenizer.spec}, vocabs={"text": vocab})
    net = network(saved, training)
    if base is not None:
        net.load_state_dict(transfer.grown_lm_state(transfer.lm_weights(init), base.model_config, len(added)))
    backward = saved.model_config.get("backward", False)
    world = distributed.current()  # each process its own rows of the stream, batchified for them all
    stream = batchify(stream_ids(token_lists(train_ds), vocab, backward), training.batch_size * world.size,
                      data.bptt, "training")
    train_data = distributed.shard_rows(stream, world)
    valid_stream = stream_ids(token_lists(valid_ds), vocab, backward)
    valid_batch = max(1, min(EVAL_BATCH, valid_stream.numel() // (data.bptt + 1)))
    valid_data = batchify(valid_stream, valid_batch, min(data.bptt, valid_stream.numel() - 1), "validation")
    char_level = tokenizer.level == "char"

    def evaluate(m) -> dict[str, float]:
        rows = distributed.part(valid_data.size(0), world)  # each rank its rows of the stream, summed over ranks
        loss, count = stream_loss(m, valid_data[rows.start: rows.stop], data.bptt) if rows else (0.0, 0)
        total, count = world.total(loss * count, count)
        loss = total / max(count, 1)
        metrics = {"loss": loss, "ppl": math.exp(min(loss, 50))}
        if char_level:
            metrics["bpc"] = loss / math.log(2)
        return metrics

    meta = {"corpus": str(source.path),
            "valid": str(getattr(valid, "path", valid)) if valid else f"{data.valid_fraction:.0%} of corpus",
            "train_tokens": int(stream.numel()), "valid_tokens": int(valid_stream.numel()),
            "data": asdict(data)}
    if base is not None:
        meta["init"] = {"path": str(init), "corpus": base.training.get("corpus"), "words_added": len(added),
                        "val_ppl_before": base.metrics.get("val_ppl")}
    full_softmax = saved.model_config.get("softmax", "full") == "full"
    fit = Fit(net, lambda epoch: windows(train_data, data.bptt, loss_only=True), num_windows(train_data, data.bptt),
              evaluate, Monitor("loss", "min"), meta,
              cpu_auto_bf16=not char_level and full_softmax and stream.numel() >= AUTO_BF16_MIN_TOKENS)
    return run_training(output, saved, fit, training, callbacks, resume, started)


def _new_arch(model: dict[str, Any]) -> dict[str, Any]:
    """A new model's architecture from the options given (None: not given). Weights are tied by default where
    they can be: a full softmax whose embedding and hidden sizes match (Press & Wolf 2017)."""
    from textrnn.models.language_model import LanguageModelConfig as C

    arch = {k: v for k, v in model.items() if v is not None}
    hidden = arch.get("hidden_size", C.hidden_size)
    arch.setdefault("embedding_size", hidden)
    arch.setdefault("tie_weights", arch.get("softmax", C.softmax) == "full" and arch["embedding_size"] == hidden)
    return arch


def _counts(ds) -> dict[str, int]:
    from collections import Counter

    counts: Counter[str] = Counter()
    for tokens in token_lists(ds):
        counts.update(tokens)
    return counts


def _train_valid(source: Source, valid, tokenizer, fraction: float, seed: int):
    """Tokenized training and validation examples: a given validation corpus, or a seeded split."""
    tokens = tokenize_corpus(load_corpus(source), "text", tokenizer)
    if valid is not None:
        return tokens, tokenize_corpus(load_corpus(valid), "text", tokenizer)
    if len(tokens) < 2:
        raise too_few_to_split(str(source.path), len(tokens), "examples")
    train_idx, valid_idx = split_examples(len(tokens), fraction, seed)
    return tokens.select(train_idx), tokens.select(valid_idx)


# Inference ---------------------------------------------------------------------------------------

@dataclass
class Prompt:
    """A tokenized prompt with what the user should be told about it."""

    text: str
    ids: list[int]
    unknown: list[str]
    notes: list[str]
    tokens: list[str] = field(default_factory=list)  # the tokens read, after the start-of-line token


def encode_prompt(text: str, tokenizer, vocab: Vocab, where: str = "") -> Prompt:
    """The prompt's ids, starting after an end of line. Only its last MAX_PROMPT_TOKENS tokens are read (a
    longer prompt is cut, with a note); one that normalizes to nothing is refused. `where` names the input."""
    clipped = clip(text, MAX_PROMPT_TOKENS, end=True)
    tokens = tokenizer(clipped)
    if not tokens:
        raise InputError(f"the prompt{where} is empty", hint='give some text, as in: textrnn predict "I love eating"')
    unknown = [t for t in tokens if t not in vocab]
    if len(unknown) == len(tokens):
        raise InputError(f"none of the prompt's words are in the model's vocabulary: {' '.join(unknown[:10])}",
                         hint="try words from the model's training text")
    notes = []
    if len(tokens) > MAX_PROMPT_TOKENS or clipped is not text:
        size = f"{len(tokens)} tokens" if clipped is text else f"{len(text):,} characters"
        unit = "" if clipped is text else " tokens"
        notes.append(f"the prompt has {size}; only the last {MAX_PROMPT_TOKENS}{unit} are used")
        tokens = tokens[-MAX_PROMPT_TOKENS:]
    # Start as a line starts in training: right after an end-of-line token.
    return Prompt(text, [EOS_ID] + vocab.encode(tokens), unknown, notes, tokens)


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


class LanguageModelRunner:
    """A loaded language model with its tokenizer and vocabulary, for predict and generate. Many texts go
    through the model together (predict_many, generate_many); see textrnn.tasks.lm_generate."""

    def __init__(self, model: str | Path = "everyday-english", device: str = "cpu") -> None:
        self.device = pick_device(device)
        self.model, self.saved = load_for(model, TASK, self.device)
        if self.saved.model_config.get("backward"):
            raise ConfigError(f"{model} is a backward language model: it reads text right to left and predicts "
                              "the word before, not the next one",
                              hint=f"use it as a classifier's second encoder: textrnn train classify DATA "
                                   f"--encoder FORWARD_LM --encoder {model}")
        self.tokenizer = self.saved.tokenizer("text")
        self.vocab = self.saved.vocabs["text"]
        self.char_level = self.tokenizer.level == "char"

    def predict(self, text: str, k: int = 5, all_tokens: bool = False, where: str = "") -> dict[str, Any]:
        """The k likeliest next tokens (words only, unless all_tokens) with their probabilities. `where` names
        the text in errors (" (input 2)")."""
        check("k", k)
        return self._predictions([encode_prompt(text, self.tokenizer, self.vocab, where)], k, all_tokens)[0]

    def predict_many(self, texts: Iterable[str], k: int = 5, all_tokens: bool = False,
                     batch_size: int = PREDICT_BATCH) -> Iterator[dict[str, Any]]:
        """`predict` for each text, in order, up to batch_size texts through the model at once. From the second
        on, errors number the text (" (input 2)"); the answers for the texts before a bad one come first."""
        check("k", k)

        def encode(text: str, i: int) -> Prompt:
            return encode_prompt(text, self.tokenizer, self.vocab, f" (input {i + 1})" if i else "")

        return in_batches(texts, batch_size, encode, lambda prompts, _: self._predictions(prompts, k, all_tokens))

    def _predictions(self, prompts: list[Prompt], k: int, all_tokens: bool) -> list[dict[str, Any]]:
        import torch

        logits, _ = run_prompts(self.model, [p.ids for p in prompts], self.device)
        probs = torch.softmax(logits.float(), dim=-1).cpu()
        return [{"prompt": p.text, "predictions": self.top_tokens(row, k, all_tokens), "unknown": p.unknown,
                 "notes": p.notes} for p, row in zip(prompts, probs)]

    def top_tokens(self, probs, k: int = 5, all_tokens: bool = False) -> list[dict[str, Any]]:
        """probs (V,) -> the k likeliest tokens as {"token", "probability"}: words only unless all_tokens (or
        a character model), never a special token. Looks among the likeliest few first, then the rest."""
        import torch

        size = min(len(probs), 4 * k + 16)
        while True:
            results = []
            for i in torch.topk(probs, size).indices.tolist():
                token = self.vocab.itos[i]
                if i in (PAD_ID, UNK_ID, BOS_ID, EOS_ID) or not (all_tokens or self.char_level or _is_word(token)):
                    continue
                results.append({"token": token, "probability": probs[i].item()})
                if len(results) == k:
                    return results
            if size == len(probs):
                return results
            size = len(probs)

    def generate(self, prompt_text: str, n: int = 30, temperature: float = 0.8, top_k: int = 0,
                 top_p: float = 1.0, seed: int | None = None, beam: int = 0,
                 until: str | None = None) -> Iterator[str]:
        """Yield generated tokens one by one. Each costs one recurrent step: the state is carried.

        until: "line" stops at the end-of-line token, "sentence" also at . ! ?, "none" only after n tokens
        (end-of-line is then written as a line break). Default: "line" for word models, "none" for characters.
        Option values out of range (textrnn.ranges) are refused here, before the first token.
        """
        config = self._config(GenerateConfig(n, temperature, top_k, top_p, seed, beam, until))
        prompt = self._generation_prompt(prompt_text)
        if beam >= 1:  # 1: greedy, the likeliest token at each step
            return beam_tokens(self.model, self.vocab, self.device, prompt.ids, config)
        return self._stream(prompt, config)

    def generate_many(self, prompts: Iterable[str], batch_size: int | None = None,
                      **options: Any) -> Iterator[Generation]:
        """A Generation for each prompt, in order; `options` are generate's. Up to batch_size prompts are
        sampled together (fewer when stdin has no more ready), with the same text as one at a time: with
        seed S, prompt i samples from its own generator seeded with lm_generate.prompt_seed(S, i). Beam
        search runs one prompt at a time. Options out of range are refused here, before the first prompt.
        batch_size None: lm_generate.generate_batch_size (512, fewer for a large vocabulary)."""
        config = self._config(GenerateConfig(**options))
        size = batch_size or generate_batch_size(len(self.vocab))
        return in_batches(prompts, size, lambda text, _: self._generation_prompt(text),
                          lambda batch, first: generate_batch(self.model, self.vocab, self.device, batch, first, config))

    def _config(self, config: GenerateConfig) -> GenerateConfig:
        return replace(config, until=config.until or ("none" if self.char_level else "line"))

    def _generation_prompt(self, text: str) -> Prompt:
        # A blank prompt ("", or nothing once normalized) starts from the beginning of a line.
        return Prompt(text, [EOS_ID], [], []) if is_blank(text) else encode_prompt(text, self.tokenizer, self.vocab)

    def _stream(self, prompt: Prompt, config: GenerateConfig) -> Iterator[str]:
        logits, state = run_prompts(self.model, [prompt.ids], self.device)
        seeds = None if config.seed is None else [config.seed]
        for _, ids, _ in sample_steps(self.model, logits, state, config, seeds, stop_ids(self.vocab, config.until),
                                      self.device):
            yield from token_strings(self.vocab, ids, config.until)

    def detokenize(self, tokens: list[str]) -> str:
        return self.tokenizer.detokenize(tokens)


def predict(model: str | Path, texts: Iterable[str], k: int = 5, all_tokens: bool = False,
            device: str = "cpu") -> Iterator[dict[str, Any]]:
    yield from LanguageModelRunner(model, device).predict_many(texts, k, all_tokens)


def evaluate(model: str | Path, source: Source | str, bptt: int = 35, device: str = "cpu") -> dict[str, Any]:
    """Perplexity (and bits per character for character models), token count and OOV rate.

    Every <unk> target is one easy guess, so a text far from the vocabulary scores a flattering perplexity;
    `known_perplexity` leaves those targets out (over `known_tokens`). See HIGH_OOV_RATE.
    """
    from collections import Counter

    import torch

    net, saved = load_for(model, TASK, device)
    tokenizer, vocab = saved.tokenizer("text"), saved.vocabs["text"]
    ds = tokenize_corpus(load_corpus(source), "text", tokenizer)
    counter: Counter[str] = Counter()
    for tokens in token_lists(ds):
        counter.update(tokens)
    stream = stream_ids(token_lists(ds), vocab, saved.model_config.get("backward", False))
    batch = max(1, min(EVAL_BATCH, stream.numel() // (bptt + 1)))
    data = batchify(stream, batch, min(bptt, stream.numel() - 1), "evaluation")
    with torch.inference_mode():
        loss, count = stream_loss(net, data, bptt)
        known_loss, known = stream_loss(net, data, bptt, known_only=True) if bool((data == UNK_ID).any()) else (loss, count)
    cov = coverage(vocab, counter)
    result = {"model": str(model), "corpus": str(getattr(source, "path", source)), "tokens": count,
              "loss": loss, "perplexity": math.exp(min(loss, 50)), "oov_rate": cov.oov_rate,
              "known_tokens": known, "known_perplexity": math.exp(min(known_loss, 50))}
    if tokenizer.level == "char":
        result["bits_per_char"] = loss / math.log(2)
    return result
