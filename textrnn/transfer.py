"""Transfer from a language model: a classifier's encoder started from a trained LM (ULMFiT, Howard & Ruder
2018), and an LM's vocabulary extended for continued training on new text (domain adaptation).

What a language model hands a classifier (same tokenizer, same vocabulary, same ids):

    language model    embedding (V, E) -> rnn (cell, E -> H, L layers, one direction) -> softmax
    classifier        embedding (V, E) -> rnn (cell, E -> H, L layers, one direction) -> pooling -> labels
                      '---------------- copied ----------------'                       '--- new ---'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textrnn import checkpoint
from textrnn.errors import ConfigError, WrongTaskError

if TYPE_CHECKING:
    import torch

    from textrnn.text import Vocab

# Classifier options that must equal the language model's, and the LM config key each is read from.
ENCODER_SHAPE = {"embedding_size": "embedding_size", "hidden_size": "hidden_size", "num_layers": "num_layers",
                 "cell": "cell", "nonlinearity": "nonlinearity"}
_FLAG = {"embedding_size": "--embedding-size", "hidden_size": "--hidden-size", "num_layers": "--layers",
         "cell": "--cell", "nonlinearity": "--nonlinearity", "bidirectional": "--bidirectional"}


def read_lm(path: str | Path, flag: str = "--encoder") -> checkpoint.Saved:
    """The Saved description of a language model to start from (`flag` names the option, for the message);
    a model of another task is refused."""
    saved = checkpoint.read_saved(path)
    if saved.task != "lm":
        raise WrongTaskError(f"{flag} {path} is a {saved.task} model; it must be a language model",
                             hint="train one with: textrnn train lm CORPUS -o DIR")
    return saved


def encoder_arch(lm: checkpoint.Saved, given: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """The classifier architecture `given` (None: not given) completed from the language model's. A size,
    cell or direction given that the language model does not have is refused: its weights could not be copied."""
    arch = {k: v for k, v in given.items() if v is not None}
    for key, lm_key in ENCODER_SHAPE.items():
        have = lm.model_config.get(lm_key, "tanh" if key == "nonlinearity" else None)
        if key in arch and arch[key] != have:
            raise ConfigError(f"{_FLAG[key]} {arch[key]} does not match the encoder {path} ({have})",
                              hint=f"leave {_FLAG[key]} out: it is taken from the language model")
        arch[key] = have
    if arch.get("bidirectional"):
        raise ConfigError(f"--bidirectional: the encoder {path} is a forward language model and reads one "
                          "direction", hint="leave --bidirectional out (or pass --no-bidirectional)")
    arch["bidirectional"] = False
    return arch


def asked_tokenizer(data: Any) -> dict[str, Any]:
    """The tokenizer settings a data config was given (its None fields: not given)."""
    asked = {"name": data.tokenizer, "lang": data.lang, "lowercase": data.lowercase}
    return {k: v for k, v in asked.items() if v is not None}


def check_tokenizer(lm: checkpoint.Saved, asked: dict[str, Any], path: str | Path) -> None:
    """The tokenizer settings `asked` for (only those given) must be the language model's: its vocabulary's
    ids stand for its tokens."""
    have = lm.tokenizers["text"]
    differ = sorted(k for k, v in asked.items() if v != have.get(k, {"lang": "en", "lowercase": False}.get(k)))
    if differ:
        shown = ", ".join(f"{k} {asked[k]!r} (the encoder's: {have.get(k)!r})" for k in differ)
        raise ConfigError(f"the tokenizer asked for does not match the encoder {path}: {shown}",
                          hint="leave --tokenizer, --lang and --lowercase out: they are taken from the language model")


def copy_encoder(net: "torch.nn.Module", lm_state: dict[str, "torch.Tensor"]) -> None:
    """Copy the language model's embedding and recurrent weights into a classifier of the same shape. Its
    subword vectors (if any) start at zero, so each word begins exactly where the language model left it."""
    import torch

    with torch.no_grad():
        net.embedding.weight.copy_(lm_state["embedding.weight"])
        for name, param in net.rnn.named_parameters():
            param.copy_(lm_state[f"rnn.{name}"])
        if getattr(net, "subword_embedding", None) is not None:
            net.subword_embedding.weight.zero_()


def lm_weights(path: str | Path) -> dict[str, "torch.Tensor"]:
    """The language model's weights by name (tied ones under both names), loaded without unpickling."""
    return checkpoint.load(path)[0].state_dict()


def extend_vocab(vocab: "Vocab", counts: dict[str, int], min_freq: int, max_size: int | None,
                 path: str | Path) -> tuple["Vocab", list[str]]:
    """`vocab` with the new corpus's words seen at least `min_freq` times appended, commonest first, up to
    `max_size` in all. The old ids keep their meaning; the new words are returned."""
    from textrnn.text import Vocab

    if max_size is not None and max_size < len(vocab):
        raise ConfigError(f"--max-vocab {max_size} is smaller than the vocabulary of {path} ({len(vocab)}); "
                          "a vocabulary can only grow", hint=f"use --max-vocab {len(vocab)} or more")
    from textrnn.text.vocab import SPECIALS

    new = sorted((w for w, c in counts.items() if c >= min_freq and w not in vocab), key=lambda w: (-counts[w], w))
    if max_size is not None:
        new = new[: max_size - len(vocab)]
    grown = Vocab(vocab.itos[len(SPECIALS):] + new, {**vocab.counts, **{w: counts[w] for w in new}})
    return grown, new


def grow_rows(weight: "torch.Tensor", rows: int) -> "torch.Tensor":
    """`weight` (N, ...) with `rows` more rows, each the mean of the old ones: a new word starts as an
    average word (ULMFiT's choice for words the pretrained model never saw)."""
    import torch

    if rows == 0:
        return weight
    return torch.cat([weight, weight.mean(0, keepdim=True).expand(rows, *weight.shape[1:])])


LM_SHAPE = ("embedding_size", "hidden_size", "num_layers", "cell", "nonlinearity", "softmax", "tie_weights")


def check_arch(have: dict[str, Any], given: dict[str, Any], path: str | Path) -> None:
    """Architecture options `given` (None: not given) must be those of the model at `path`."""
    for key in LM_SHAPE:
        value = given.get(key)
        if value is not None and have.get(key, value) != value:
            flag = _FLAG.get(key, "--" + key.replace("_", "-"))
            raise ConfigError(f"{flag} {value} does not match the model {path} ({have[key]})",
                              hint=f"leave {flag} out: it is taken from the model")


def grown_lm_state(state: dict[str, "torch.Tensor"], config: dict[str, Any], added: int) -> dict[str, "torch.Tensor"]:
    """A language model's weights with `added` new words at the end of the vocabulary: their input and output
    vectors (and output bias) start as the mean of the known words' (tied weights grow once). New words go to the
    adaptive softmax's last, rarest cluster."""
    state = dict(state)
    keys = ["embedding.weight"]
    if config.get("softmax", "full") == "adaptive":
        keys.append(f"adaptive.tail.{len(config['cutoffs']) - 1}.1.weight")
    else:
        keys += ["decoder.weight", "decoder.bias"]
    for key in keys:
        state[key] = grow_rows(state[key], added)
    return state
