"""Transfer from a language model: a classifier started from an LM's encoder, discriminative learning rates,
and their bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from conftest import LM_TEXT, one_line_error

LM = ["--tokenizer", "spacy", "--lowercase", "--hidden-size", "24", "--layers", "2", "--batch-size", "4",
      "--bptt", "10", "--seed", "3", "-qq"]
CLS = ["--batch-size", "8", "--seed", "3", "-qq", "--epochs", "2"]


@pytest.fixture(scope="module")
def lm(tmp_path_factory) -> Path:
    """A small lowercased spaCy-tokenized 2-layer LSTM language model, trained once through the CLI."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("lm")
    (root / "corpus.txt").write_text(LM_TEXT * 30, encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "lm", str(root / "corpus.txt"), "-o", str(root / "lm"), "--epochs",
                                      "2", *LM], env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "lm"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    rows = [("pos", line) if "love" in line or "sunny" in line else ("neg", line)
            for line in LM_TEXT.strip().splitlines()] * 10
    path = tmp_path_factory.mktemp("labelled") / "data.tsv"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


def test_classifier_starts_from_the_language_models_encoder(lm):
    from textrnn import checkpoint, transfer
    from textrnn.models.classifier import Classifier, ClassifierConfig

    saved = transfer.read_lm(lm)
    arch = transfer.encoder_arch(saved, {"pooling": "concat"}, lm)
    net = Classifier(ClassifierConfig(vocab_size=len(saved.vocabs["text"]), num_labels=2, **arch))
    transfer.copy_encoder(net, transfer.lm_weights(lm))
    lm_net, _ = checkpoint.load(lm)
    assert torch.equal(net.embedding.weight, lm_net.embedding.weight)
    for name, param in net.rnn.named_parameters():
        assert torch.equal(param, getattr(lm_net.rnn, name)), name
    # The same text gives the same recurrent outputs in both.
    ids = torch.tensor([[5, 6, 7, 8]])
    net.eval()
    out_lm, _ = lm_net.rnn(lm_net.embedding(ids))
    out_cls, _ = net.rnn(net.embedding(ids))
    assert torch.allclose(out_lm, out_cls)


def test_train_classify_with_encoder_keeps_its_tokenizer_vocabulary_and_sizes(cli, lm, labelled, tmp_path):
    out = tmp_path / "cls"
    result = cli("train", "classify", str(labelled), "-o", str(out), "--encoder", str(lm), "--layer-lr-decay",
                 "2.6", "--pooling", "concat", *CLS)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    lm_config = json.loads((lm / "config.json").read_text())
    assert config["tokenizers"] == lm_config["tokenizers"]
    assert (out / "vocab.json").read_text() == (lm / "vocab.json").read_text()
    assert config["model"]["hidden_size"] == 24 and config["model"]["num_layers"] == 2
    assert config["model"]["bidirectional"] is False
    assert config["training"]["encoder"]["path"] == str(lm)
    assert config["training"]["train"]["layer_lr_decay"] == 2.6
    predicted = json.loads(cli("predict", "-m", str(out), "I love eating rice", "--json").stdout)
    assert predicted["label"] in ("pos", "neg")


def test_discriminative_learning_rates_fall_layer_by_layer():
    from textrnn.models.classifier import Classifier, ClassifierConfig

    net = Classifier(ClassifierConfig(vocab_size=30, num_labels=2, hidden_size=8, embedding_size=8, num_layers=2,
                                      subword_buckets=10, pooling="attention"))
    groups = net.parameter_groups(1.0, 2.0)
    assert [g["lr"] for g in groups] == [1.0, 0.5, 0.25, 0.125]
    names = {id(p): n for n, p in net.named_parameters()}
    top, upper, lower, bottom = ([names[id(p)] for p in g["params"]] for g in groups)
    assert set(top) == {"attention.proj.weight", "attention.proj.bias", "attention.context.weight",
                        "output.weight", "output.bias"}
    assert all(n.endswith(("_l1", "_l1_reverse")) for n in upper) and len(upper) == 8
    assert all(n.endswith(("_l0", "_l0_reverse")) for n in lower) and len(lower) == 8
    assert set(bottom) == {"embedding.weight", "subword_embedding.weight"}
    assert sum(len(g["params"]) for g in groups) == len(list(net.parameters()))


def test_gradual_unfreezing_trains_one_layer_group_more_each_epoch(tmp_path):
    from textrnn.models.classifier import Classifier, ClassifierConfig
    from textrnn.training import Monitor, TrainConfig, Trainer

    torch.manual_seed(0)
    net = Classifier(ClassifierConfig(vocab_size=20, num_labels=2, hidden_size=8, embedding_size=8, num_layers=2,
                                      bidirectional=False, dropout=0.0))
    batch = {"input": torch.randint(4, 20, (4, 6)), "lengths": torch.tensor([6, 5, 4, 3]),
             "label": torch.tensor([0, 1, 0, 1])}
    after = [{k: v.clone() for k, v in net.state_dict().items()}]  # the weights at the start, then after each epoch

    def evaluate(model):
        after.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"loss": 1.0}

    config = TrainConfig(epochs=4, gradual_unfreeze=True, patience=10, seed=1, lr=1e-2)
    Trainer(config, Monitor(), tmp_path).fit(net, lambda epoch: [batch] * 3, 3, evaluate, lambda m, r: None,
                                             lambda m, path, write: None)

    def moved(epoch: int) -> set[str]:
        return {name.split(".")[0] + ("_l1" if name.endswith("_l1") else "_l0" if name.endswith("_l0") else "")
                for name in after[epoch] if not torch.equal(after[epoch][name], after[epoch - 1][name])}

    assert moved(1) == {"output"}
    assert moved(2) == {"output", "rnn_l1"}
    assert moved(3) == {"output", "rnn_l1", "rnn_l0"}
    assert moved(4) == {"output", "rnn_l1", "rnn_l0", "embedding"}
    assert all(param.requires_grad for param in net.parameters())  # nothing is left frozen after training


def test_gradual_unfreezing_of_a_model_without_layer_groups_is_refused(tmp_path):
    from textrnn.errors import ConfigError
    from textrnn.models.language_model import LanguageModel, LanguageModelConfig
    from textrnn.training import Monitor, TrainConfig, Trainer

    net = LanguageModel(LanguageModelConfig(vocab_size=20, embedding_size=8, hidden_size=8))
    with pytest.raises(ConfigError, match="gradual unfreezing needs a model in layer groups"):
        Trainer(TrainConfig(gradual_unfreeze=True), Monitor(), tmp_path).fit(
            net, lambda epoch: [], 0, lambda m: {"loss": 1.0}, lambda m, r: None, lambda m, path, write: None)


def test_train_classify_gradual_unfreeze_keeps_the_encoder_in_epoch_one(cli, lm, labelled, tmp_path):
    out = tmp_path / "cls"
    result = cli("train", "classify", str(labelled), "-o", str(out), "--encoder", str(lm), "--gradual-unfreeze",
                 "--pooling", "concat", *CLS[:-1], "1")
    assert result.exit_code == 0, result.output
    from textrnn import checkpoint

    net, _ = checkpoint.load(out)
    lm_net, _ = checkpoint.load(lm)
    assert torch.equal(net.embedding.weight, lm_net.embedding.weight)
    for name, param in net.rnn.named_parameters():
        assert torch.equal(param, getattr(lm_net.rnn, name)), name
    assert json.loads((out / "config.json").read_text())["training"]["train"]["gradual_unfreeze"] is True


# A backward language model and a paired classifier ----------------------------------------------

@pytest.fixture(scope="module")
def backward_lm(lm) -> Path:
    """The `lm` fixture's twin read right to left: same corpus, tokenizer, vocabulary and sizes."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = lm.parent
    result = CliRunner().invoke(app, ["train", "lm", str(root / "corpus.txt"), "-o", str(root / "backward"),
                                      "--backward", "--epochs", "4", *LM], env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "backward"


def test_backward_stream_is_the_forward_stream_reversed():
    from textrnn.data.lm import stream_ids
    from textrnn.text import Vocab

    vocab = Vocab(["a", "b", "c"], {"a": 1, "b": 1, "c": 1})
    forward = stream_ids([["a", "b"], ["c"]], vocab)
    assert stream_ids([["a", "b"], ["c"]], vocab, backward=True).tolist() == forward.flip(0).tolist()


def test_backward_language_model_learns_the_text_read_right_to_left(backward_lm, lm):
    from textrnn import checkpoint
    from textrnn.data.lm import batchify, stream_ids
    from textrnn.tasks.lm import stream_loss

    net, saved = checkpoint.load(backward_lm)
    assert saved.model_config["backward"] is True
    assert (backward_lm / "vocab.json").read_text() == (lm / "vocab.json").read_text()
    tokens = [saved.tokenizer("text")(line) for line in LM_TEXT.strip().splitlines()]
    net.eval()
    with torch.inference_mode():
        losses = {way: stream_loss(net, batchify(stream_ids(tokens, saved.vocabs["text"], way), 2, 10), 10)[0]
                  for way in (True, False)}
    assert losses[True] < losses[False] - 0.5, losses  # it reads right to left far better than left to right


def test_paired_classifier_reads_each_text_both_ways_from_both_language_models(lm, backward_lm):
    from textrnn import checkpoint, transfer
    from textrnn.models.classifier import Classifier, ClassifierConfig

    (fwd_path, fwd), (bwd_path, _) = transfer.read_encoders([backward_lm, lm])  # either order: forward first
    assert (fwd_path, bwd_path) == (lm, backward_lm)
    arch = transfer.encoder_arch(fwd, {"pooling": "last"}, lm)
    net = Classifier(ClassifierConfig(vocab_size=len(fwd.vocabs["text"]), num_labels=2, paired=True, **arch))
    transfer.copy_encoder(net, transfer.lm_weights(lm))
    transfer.copy_encoder(net, transfer.lm_weights(backward_lm), "backward_")
    lm_fwd, _ = checkpoint.load(lm)
    lm_bwd, _ = checkpoint.load(backward_lm)
    net.eval()
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    lengths = torch.tensor([4, 2])
    features = net.encode(ids, lengths)
    assert features.shape == (2, 2 * 24)
    for row, n in enumerate(lengths.tolist()):
        text = ids[row:row + 1, :n]
        forward, _ = lm_fwd.rnn(lm_fwd.embedding(text))
        backward, _ = lm_bwd.rnn(lm_bwd.embedding(text.flip(1)))
        assert torch.allclose(features[row, :24], forward[0, -1], atol=1e-6)
        assert torch.allclose(features[row, 24:], backward[0, -1], atol=1e-6)
    # Every parameter, the backward encoder's too, is in one of the layer groups (gradual unfreezing).
    grouped = sum(len(group["params"]) for group in net.parameter_groups(1e-3, 2.6))
    assert grouped == len(list(net.parameters()))


def test_train_classify_with_a_forward_and_a_backward_encoder(cli, lm, backward_lm, labelled, tmp_path):
    out = tmp_path / "paired"
    result = cli("train", "classify", str(labelled), "-o", str(out), "--encoder", str(backward_lm), "--encoder",
                 str(lm), "--gradual-unfreeze", "--pooling", "concat", *CLS)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["paired"] is True and config["model"]["bidirectional"] is False
    assert config["training"]["encoder"]["path"] == str(lm)
    assert config["training"]["encoder"]["backward"]["path"] == str(backward_lm)
    predicted = json.loads(cli("predict", "-m", str(out), "I love eating rice", "--json").stdout)
    assert predicted["label"] in ("pos", "neg")
    traced = cli("trace", "-m", str(out), "I love eating rice")
    assert traced.exit_code == 0 and "the states shown are the forward encoder's" in traced.stderr


def test_a_backward_language_model_does_not_predict_or_generate(cli, backward_lm):
    for command in (["predict", "-m", str(backward_lm), "I love"], ["generate", "-m", str(backward_lm), "I"]):
        one_line_error(cli(*command), 2, "backward language model", "--encoder")


@pytest.mark.parametrize("which,fragments", [
    ("backward", ["is a backward language model", "--encoder FORWARD_LM"]),
    ("two-forward", ["both forward language models", "--backward"]),
    ("three", ["--encoder was given 3 times"]),
])
def test_encoder_pair_that_cannot_pair_is_one_line(cli, lm, backward_lm, labelled, tmp_path, which, fragments):
    encoders = {"backward": [backward_lm], "two-forward": [lm, lm], "three": [lm, backward_lm, lm]}[which]
    flags = [arg for path in encoders for arg in ("--encoder", str(path))]
    result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "m"), *flags, *CLS)
    one_line_error(result, 2, *fragments)
    assert not (tmp_path / "m").exists()


def test_encoder_pair_of_other_vocabularies_or_sizes_is_one_line(cli, lm, labelled, tmp_path):
    other_text = tmp_path / "other.txt"
    other_text.write_text(NEW_TEXT * 40, encoding="utf-8")
    smaller = [o if o != "24" else "16" for o in LM]
    for name, text, options, fragments in [
            ("vocab", other_text, LM, ["different tokenizers or vocabularies"]),
            ("sizes", lm.parent / "corpus.txt", smaller, ["differ in", "--hidden-size"])]:
        bwd = tmp_path / name
        trained = cli("train", "lm", str(text), "-o", str(bwd), "--backward", "--epochs", "1", *options)
        assert trained.exit_code == 0, trained.output
        result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "m"), "--encoder", str(lm),
                     "--encoder", str(bwd), *CLS)
        one_line_error(result, 2, *fragments)


def test_init_in_the_other_direction_is_refused(cli, backward_lm, new_corpus, tmp_path):
    result = cli("train", "lm", str(new_corpus), "-o", str(tmp_path / "m"), "--init", str(backward_lm), "--forward",
                 "--epochs", "1", "-qq")
    one_line_error(result, 2, "--forward does not match", "a backward language model")


# Bad input ---------------------------------------------------------------------------------------

def test_encoder_of_another_task_is_refused(cli, lm, labelled, tmp_path):
    first = tmp_path / "cls"
    assert cli("train", "classify", str(labelled), "-o", str(first), "--encoder", str(lm), *CLS).exit_code == 0
    result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "b"), "--encoder", str(first), *CLS)
    one_line_error(result, 5, "is a classify model", "must be a language model")


@pytest.mark.parametrize("flags,fragments", [
    (["--tokenizer", "whitespace"], ["tokenizer", "'whitespace'", "'spacy'"]),
    (["--hidden-size", "32"], ["--hidden-size 32 does not match", "(24)"]),
    (["--layers", "1"], ["--layers 1 does not match"]),
    (["--cell", "gru"], ["--cell gru does not match", "lstm"]),
    (["--bidirectional"], ["--bidirectional", "forward language model"]),
    (["--embeddings", "vectors.txt"], ["--embeddings and --encoder"]),
])
def test_encoder_that_does_not_match_the_flags_is_one_line(cli, lm, labelled, tmp_path, flags, fragments):
    result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "m"), "--encoder", str(lm), *flags, *CLS)
    one_line_error(result, 2, *fragments)
    assert not (tmp_path / "m").exists()


def test_missing_encoder_is_not_found(cli, labelled, tmp_path):
    result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "m"), "--encoder", str(tmp_path / "nope"),
                 *CLS)
    one_line_error(result, 3, "nope")


def test_layer_lr_decay_below_one_is_refused(cli, labelled, tmp_path):
    result = cli("train", "classify", str(labelled), "-o", str(tmp_path / "m"), "--layer-lr-decay", "0.5", *CLS)
    one_line_error(result, 2, "layer-lr-decay must be 1 (off) or more")


# Continued training of a language model on new text (--init) -------------------------------------

NEW_TEXT = """The robot repairs the engine in the garage.
A robot cleans the engine every morning.
The mechanic and the robot test the engine together.
"""


@pytest.fixture
def new_corpus(tmp_path) -> Path:
    path = tmp_path / "new.txt"
    path.write_text(NEW_TEXT * 40, encoding="utf-8")
    return path


def test_init_continues_training_on_new_text_and_adds_its_words(cli, lm, new_corpus, tmp_path):
    from textrnn.text import Vocab

    out = tmp_path / "adapted"
    result = cli("train", "lm", str(new_corpus), "-o", str(out), "--init", str(lm), "--epochs", "3",
                 "--optimizer", "adam", "--lr", "0.01", "--batch-size", "4", "--bptt", "10", "--seed", "3", "-qq")
    assert result.exit_code == 0, result.output
    old, new = Vocab.load(lm / "vocab.json"), Vocab.load(out / "vocab.json")
    assert new.itos[:len(old)] == old.itos  # every known word keeps its id
    assert {"robot", "engine", "garage"} <= set(new.itos[len(old):])
    config = json.loads((out / "config.json").read_text())
    assert config["tokenizers"] == json.loads((lm / "config.json").read_text())["tokenizers"]
    assert config["training"]["init"]["words_added"] == len(new) - len(old)
    before = json.loads(cli("evaluate", str(lm), str(new_corpus), "--json").stdout)
    after = json.loads(cli("evaluate", str(out), str(new_corpus), "--json").stdout)
    assert after["perplexity"] < before["perplexity"] / 2  # it learnt the new domain
    top = [p["token"] for p in json.loads(cli("predict", "A", "-m", str(out), "--json").stdout)["predictions"]]
    assert "robot" in top  # a word the base model never saw


@pytest.mark.parametrize("softmax", ["full", "adaptive"])
def test_new_words_start_at_the_mean_of_the_known_ones(softmax):
    from textrnn import transfer
    from textrnn.models.language_model import LanguageModel, LanguageModelConfig

    config = LanguageModelConfig(vocab_size=50, embedding_size=16, hidden_size=16, softmax=softmax,
                                 tie_weights=softmax == "full", cutoffs=(10, 30) if softmax == "adaptive" else None)
    state = LanguageModel(config).state_dict()
    grown = transfer.grown_lm_state(state, {"softmax": softmax, "cutoffs": config.cutoffs}, 3)
    bigger = LanguageModel(LanguageModelConfig(**{**config.__dict__, "vocab_size": 53}))
    bigger.load_state_dict(grown)  # every shape fits
    emb = bigger.embedding.weight
    assert torch.equal(emb[:50], state["embedding.weight"])
    assert torch.allclose(emb[50:], state["embedding.weight"].mean(0).expand(3, -1))


def test_init_from_a_model_of_another_task_is_refused(cli, lm, labelled, new_corpus, tmp_path):
    cls = tmp_path / "cls"
    assert cli("train", "classify", str(labelled), "-o", str(cls), "--encoder", str(lm), *CLS).exit_code == 0
    result = cli("train", "lm", str(new_corpus), "-o", str(tmp_path / "m"), "--init", str(cls), "-qq")
    one_line_error(result, 5, "--init", "must be a language model")


@pytest.mark.parametrize("flags,fragments", [
    (["--tokenizer", "char"], ["tokenizer", "'char'"]),
    (["--hidden-size", "64"], ["--hidden-size 64 does not match", "(24)"]),
    (["--softmax", "adaptive"], ["--softmax adaptive does not match", "(full)"]),
    (["--max-vocab", "10"], ["--max-vocab 10 is smaller than the vocabulary", "can only grow"]),
])
def test_init_that_does_not_fit_the_flags_is_one_line(cli, lm, new_corpus, tmp_path, flags, fragments):
    result = cli("train", "lm", str(new_corpus), "-o", str(tmp_path / "m"), "--init", str(lm), *flags, "-qq")
    one_line_error(result, 2, *fragments)
    assert not (tmp_path / "m").exists()
