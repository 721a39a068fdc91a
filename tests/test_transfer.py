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
