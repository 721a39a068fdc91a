"""Each task's model read one token at a time: the readings a trace is made of.

    language model  the text; after each token, the likeliest next words (what `predict` says of that prefix)
    classifier      the text; after each token, the class probabilities of that prefix (what `predict` says)
    translator      the source, read by the encoder; then the output, written greedily by the decoder, with
                    the attention over the source and the likeliest words at each step
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textrnn.errors import InputError
from textrnn.inspect.layers import Track, stepped_tracks, tracks_of
from textrnn.text.vocab import BOS_ID, EOS_ID

if TYPE_CHECKING:
    from textrnn.tasks.classifier_runner import ClassifierRunner
    from textrnn.tasks.lm import LanguageModelRunner
    from textrnn.tasks.translate import Translator

MAX_STEPS = 100  # a trace is read step by step: longer texts are followed for their first MAX_STEPS tokens


@dataclass
class Reading:
    """One sequence read token by token. role: "text" (language model, classifier), "source" (a translator's
    encoder) or "output" (its decoder, one step per word written). predictions: one dict per token, what the
    model says at that point ({} where it says nothing); unknown: per token, read as <unk>; source: the
    source tokens that an output reading's attention weights are over."""

    role: str
    tokens: list[str]
    tracks: list[Track]
    predictions: list[dict[str, Any]]
    unknown: list[bool] = field(default_factory=list)
    source: list[str] = field(default_factory=list)

    def top_tracks(self) -> list[Track]:
        """The top layer's tracks: the last one, with its backward twin if it has one."""
        top = self.tracks[-1].name.removesuffix(" backward")
        return [t for t in self.tracks if t.name.removesuffix(" backward") == top]


def _cap(tokens: list[str], notes: list[str], limit: int = MAX_STEPS, why: str = "") -> list[str]:
    if len(tokens) > limit:
        notes.append(f"the text has {len(tokens)} tokens; the trace follows the first {limit}{why}")
    return tokens[:limit]


def read_lm(runner: "LanguageModelRunner", text: str, gates: bool, k: int,
            all_tokens: bool = False) -> tuple[list[Reading], list[str]]:
    """The text after a start-of-line token, as `predict` reads a prompt; the likeliest next words per step."""
    import torch

    from textrnn.tasks.lm import encode_prompt

    prompt = encode_prompt(text, runner.tokenizer, runner.vocab)
    notes = list(prompt.notes)
    tokens = _cap(prompt.tokens, notes)
    net = runner.model
    ids = torch.tensor(prompt.ids[:1 + len(tokens)], device=runner.device)
    tracks, top = tracks_of(net.rnn, net.embedding(ids), gates, context=1)
    probs = torch.softmax(net.scores(top.unsqueeze(0))[0].float(), dim=-1)
    predictions = [{"next": runner.top_tokens(p, k, all_tokens)} for p in probs]
    return [Reading("text", tokens, tracks, predictions, [t not in runner.vocab for t in tokens])], notes


def read_classifier(runner: "ClassifierRunner", text: str, gates: bool, k: int = 0,
                    all_tokens: bool = False) -> tuple[list[Reading], list[str]]:
    """The text as the classifier reads it; the class probabilities of every prefix, computed as `predict`
    computes them (one batch of all the prefixes)."""
    from textrnn.data.classify import collate
    from textrnn.tasks.classify import class_probabilities

    if not text.strip():
        raise InputError("the text is empty", hint='give some text, as in: textrnn trace "win a free prize" -m spam')
    notes: list[str] = []
    tokens = runner.tokens([text])[0]
    if runner.max_length < MAX_STEPS:
        tokens = _cap(tokens, notes, runner.max_length, f", as the model reads at most {runner.max_length}")
    tokens = _cap(tokens, notes)
    probs = class_probabilities(runner.net, runner.encode([tokens[:i + 1] for i in range(len(tokens))]))
    net = runner.net
    batch = collate(runner.encode([tokens]), [0])
    device = next(net.parameters()).device
    subwords = batch["subwords"].to(device) if "subwords" in batch else None
    tracks, _ = tracks_of(net.rnn, net.embed(batch["input"].to(device), subwords)[0], gates)
    if net.config.paired:
        notes.append("the states shown are the forward encoder's; the backward one reads the text right to left "
                     "(the predictions are the whole model's)")
    labels = runner.labels
    predictions = [{"label": labels[max(range(len(p)), key=p.__getitem__)], "probability": max(p),
                    "probabilities": dict(zip(labels, p))} for p in probs.tolist()]
    return [Reading("text", tokens, tracks, predictions, [t not in runner.vocab for t in tokens])], notes


def read_translation(tr: "Translator", text: str, gates: bool, k: int,
                     all_tokens: bool = False) -> tuple[list[Reading], list[str]]:
    """The source through the encoder, then the greedy output through the decoder, one word a step, with
    the attention over the source and the k likeliest words at each step (`predict --beam 1` writes the
    same words)."""
    import torch

    from textrnn.translate_decode import DecodeConfig, _limits, _log_probs, replace_unknown

    source, notes = tr.prepare(text)
    source = _cap(source, notes)
    model, vocab = tr.model, tr.tgt_vocab
    src = torch.tensor([tr.src_vocab.encode(source)], device=tr.device)
    lengths = torch.tensor([len(source)])
    encoder, _ = tracks_of(model.encoder.rnn, model.encoder.embedding(src)[0], gates, prefix="encoder ")
    state = model.encode(src, lengths.to(tr.device))
    start, inputs, states, written, predictions = state.rnn, [], [], [], []
    hook = model.decoder.rnn.register_forward_pre_hook(lambda module, args: inputs.append(args[0][0, 0]))
    try:
        limit, token = int(_limits(lengths, DecodeConfig(beam=1))[0]), BOS_ID
        for t in range(limit + 1):
            logits, attention, state = model.step(torch.tensor([token], device=tr.device), state)
            probs = _log_probs(logits, t)[0].exp()
            token = int(probs.argmax()) if t < limit else EOS_ID  # greedy, as translate_decode cuts it
            top = torch.topk(probs, min(k, probs.numel()))
            predictions.append({"next": [{"token": vocab.itos[i], "probability": p}
                                         for p, i in zip(top.values.tolist(), top.indices.tolist())],
                                "attention": attention[0].float().tolist()})
            states.append(state.rnn)
            written.append(token)
            if token == EOS_ID:
                break
    finally:
        hook.remove()
    attention = torch.tensor([p["attention"] for p in predictions])
    words = replace_unknown([vocab.itos[i] for i in written], attention, source)
    decoder = stepped_tracks(model.decoder.rnn, torch.stack(inputs), states, start, gates, prefix="decoder ")
    return [Reading("source", source, encoder, [{} for _ in source], [t not in tr.src_vocab for t in source]),
            Reading("output", words, decoder, predictions, [False] * len(words), source)], notes


# task -> (the runner that loads its models, how a trace reads its texts)
READERS = {"lm": ("textrnn.tasks.lm:LanguageModelRunner", read_lm),
           "classify": ("textrnn.tasks.classifier_runner:ClassifierRunner", read_classifier),
           "translate": ("textrnn.tasks.translate:Translator", read_translation)}
