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


def read_encoders(paths: list[str | Path]) -> list[tuple[str | Path, checkpoint.Saved]]:
    """The language models a classifier starts from, as (path, model): one forward model, or a forward and a
    backward one (given in either order; returned forward first) with the same tokenizer, vocabulary and shape."""
    if len(paths) > 2:
        raise ConfigError(f"--encoder was given {len(paths)} times; a classifier takes one language model, or a "
                          "forward and a backward one")
    lms = [read_lm(path) for path in paths]
    backward = [bool(lm.model_config.get("backward")) for lm in lms]
    if len(lms) == 1 and backward[0]:
        raise ConfigError(f"--encoder {paths[0]} is a backward language model; it reads beside a forward one",
                          hint=f"give both: --encoder FORWARD_LM --encoder {paths[0]}")
    if len(lms) == 2:
        if backward[0] == backward[1]:
            way = "backward" if backward[0] else "forward"
            raise ConfigError(f"--encoder {paths[0]} and --encoder {paths[1]} are both {way} language models; a "
                              "pair is one forward and one backward", hint="train the other with: textrnn train lm "
                                                                           f"CORPUS -o DIR {'--forward' if backward[0] else '--backward'}")
        if backward[0]:
            lms, paths = lms[::-1], paths[::-1]
        forward, back = lms
        if forward.tokenizers["text"] != back.tokenizers["text"] or forward.vocabs["text"].itos != back.vocabs["text"].itos:
            raise ConfigError(f"the encoders {paths[0]} and {paths[1]} have different tokenizers or vocabularies; "
                              "a pair reads the same ids", hint="train both on the same corpus with the same "
                                                                "--tokenizer, --lowercase, --min-freq and --max-vocab")
        differ = [_FLAG[k] for k, lm_key in ENCODER_SHAPE.items()
                  if forward.model_config.get(lm_key) != back.model_config.get(lm_key)]
        if differ:
            raise ConfigError(f"the encoders {paths[0]} and {paths[1]} differ in {', '.join(differ)}; a pair has one "
                              "shape", hint="train both with the same sizes and cell")
    return list(zip(paths, lms))


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


def copy_encoder(net: "torch.nn.Module", lm_state: dict[str, "torch.Tensor"], prefix: str = "") -> None:
    """Copy the language model's embedding and recurrent weights into a classifier of the same shape (prefix
    "backward_": into a paired classifier's backward encoder). Its subword vectors (if any) start at zero, so
    each word begins exactly where the language model left it."""
    import torch

    with torch.no_grad():
        getattr(net, f"{prefix}embedding").weight.copy_(lm_state["embedding.weight"])
        for name, param in getattr(net, f"{prefix}rnn").named_parameters():
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


LM_SHAPE = ("embedding_size", "hidden_size", "num_layers", "cell", "nonlinearity", "softmax", "tie_weights", "backward")


def check_arch(have: dict[str, Any], given: dict[str, Any], path: str | Path) -> None:
    """Architecture options `given` (None: not given) must be those of the model at `path`."""
    for key in LM_SHAPE:
        value = given.get(key)
        model = have.get(key, False if key == "backward" else value)  # saved before backward models existed
        if value is None or model == value:
            continue
        if key == "backward":
            flag = "--backward" if value else "--forward"
            raise ConfigError(f"{flag} does not match the model {path} (a {'backward' if model else 'forward'} "
                              "language model)", hint=f"leave {flag} out: it is taken from the model")
        flag = _FLAG.get(key, "--" + key.replace("_", "-"))
        raise ConfigError(f"{flag} {value} does not match the model {path} ({model})",
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
