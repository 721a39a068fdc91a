"""The classifier model: a shape matrix over cell x pooling x direction, packing, word dropout, class weights."""

from __future__ import annotations

import itertools

import pytest
import torch

from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models import build_model
from textrnn.models.classifier import POOLINGS, Classifier, ClassifierConfig


def _batch(lengths, vocab=50, labels=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(4, vocab, (n,), generator=g)
    return {"input": ids, "lengths": torch.tensor(lengths), "label": torch.randint(0, labels, (len(lengths),),
                                                                                    generator=g)}


@pytest.mark.parametrize("cell,pooling,bidirectional",
                         list(itertools.product(("rnn", "lstm", "gru"), POOLINGS, (False, True))))
def test_shapes_and_gradients(cell, pooling, bidirectional):
    torch.manual_seed(0)
    net = Classifier(ClassifierConfig(vocab_size=50, num_labels=3, embedding_size=8, hidden_size=6, num_layers=2,
                                      cell=cell, bidirectional=bidirectional, pooling=pooling))
    batch = _batch([5, 2, 7, 1])
    logits, loss = net(batch)
    assert logits.shape == (4, 3) and loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert net.embedding.weight.grad is not None and net.rnn.weight_ih_l0.grad.abs().sum() > 0
    width = 6 * (2 if bidirectional else 1) * (3 if pooling == "concat" else 1)
    assert net.encode(batch["input"], batch["lengths"]).shape == (4, width)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_padding_never_changes_a_text_result(pooling):
    """A text alone and the same text padded in a batch beside a longer one get the same logits (packing + masks)."""
    torch.manual_seed(1)
    net = Classifier(ClassifierConfig(vocab_size=50, num_labels=2, embedding_size=8, hidden_size=6,
                                      pooling=pooling, bidirectional=True)).eval()
    batch = _batch([3, 9])
    alone = {"input": batch["input"][:1, :3], "lengths": torch.tensor([3])}
    with torch.no_grad():
        together, _ = net({"input": batch["input"], "lengths": batch["lengths"]})
        single, loss = net(alone)
    assert loss is None  # no labels: inference
    assert torch.allclose(together[0], single[0], atol=1e-6)


def test_word_dropout_acts_only_in_training():
    torch.manual_seed(2)
    net = Classifier(ClassifierConfig(vocab_size=50, num_labels=2, embedding_size=8, hidden_size=6, dropout=0.0,
                                      embedding_dropout=0.0, word_dropout=0.5))
    batch = _batch([6, 6, 6], labels=2)
    net.eval()
    with torch.no_grad():
        a, b = net(batch)[0], net(batch)[0]
    assert torch.equal(a, b)
    net.train()
    with torch.no_grad():
        c, d = net(batch)[0], net(batch)[0]
    assert not torch.equal(c, d)


def test_class_weights_weigh_the_loss():
    torch.manual_seed(3)
    plain = Classifier(ClassifierConfig(vocab_size=50, num_labels=2, embedding_size=8, hidden_size=6)).eval()
    weighted = Classifier(ClassifierConfig(vocab_size=50, num_labels=2, embedding_size=8, hidden_size=6,
                                           class_weights=[1.0, 5.0])).eval()
    weighted.load_state_dict(plain.state_dict())  # the weights are config, not parameters
    batch = _batch([4, 4, 4, 4], labels=2)
    batch["label"] = torch.tensor([0, 0, 0, 1])
    logits, loss = plain(batch)
    _, wloss = weighted(batch)
    expected = torch.nn.functional.cross_entropy(logits, batch["label"], weight=torch.tensor([1.0, 5.0]))
    assert torch.allclose(wloss, expected) and not torch.allclose(wloss, loss)
    assert "class_weights" not in weighted.state_dict()


def test_config_is_validated_and_round_trips_through_the_registry():
    with pytest.raises(UnknownNameError, match="valid names: attention, concat, last, max, mean"):
        ClassifierConfig(vocab_size=10, num_labels=2, pooling="sum")
    with pytest.raises(ConfigError, match="at least 2 labels"):
        ClassifierConfig(vocab_size=10, num_labels=1)
    with pytest.raises(ConfigError, match="class_weights needs 2 positive numbers"):
        ClassifierConfig(vocab_size=10, num_labels=2, class_weights=[1.0])
    with pytest.raises(UnknownNameError, match="valid names: gru, lstm, rnn"):
        ClassifierConfig(vocab_size=10, num_labels=2, cell="transformer")
    from dataclasses import asdict

    config = ClassifierConfig(vocab_size=10, num_labels=3, class_weights=[1, 2, 3])
    rebuilt = build_model("classifier", __import__("json").loads(__import__("json").dumps(asdict(config))))
    assert isinstance(rebuilt, Classifier) and rebuilt.config == config


def test_save_and_load_give_the_same_probabilities(tmp_path):
    from dataclasses import asdict

    from textrnn import checkpoint
    from textrnn.text import Vocab

    torch.manual_seed(4)
    config = ClassifierConfig(vocab_size=50, num_labels=2, embedding_size=8, hidden_size=6, pooling="attention")
    net = Classifier(config).eval()
    saved = checkpoint.Saved(task="classify", model_kind="classifier", model_config=asdict(config),
                             tokenizers={"text": {"name": "whitespace"}},
                             vocabs={"text": Vocab([f"w{i}" for i in range(46)])},  # 50 with the 4 specials
                             labels=["neg", "pos"])
    checkpoint.save(tmp_path / "m", net, saved)
    loaded, back = checkpoint.load(tmp_path / "m")
    batch = _batch([3, 5], labels=2)
    with torch.no_grad():
        assert torch.equal(net(batch)[0], loaded(batch)[0])
    assert back.labels == ["neg", "pos"]


def test_equal_macro_f1_is_decided_by_validation_loss():
    """Early stopping on macro-F1 keeps, among epochs of equal F1, the one with the lower validation loss."""
    from textrnn.training import Monitor

    monitor = Monitor("macro_f1", "max", tie_break="loss")
    assert monitor.better(0.98, None)
    assert monitor.better(0.98, 0.98, new_tie=0.02, old_tie=0.03)
    assert not monitor.better(0.98, 0.98, new_tie=0.04, old_tie=0.03)
    assert not monitor.better(0.97, 0.98, new_tie=0.001, old_tie=0.03)
    assert not Monitor("macro_f1", "max").better(0.98, 0.98)  # without a tie-break, the first epoch stays


def test_subword_vectors_reach_the_embedding_and_take_gradients():
    from textrnn.data.classify import collate, encode
    from textrnn.text import Vocab

    torch.manual_seed(4)
    config = ClassifierConfig(vocab_size=10, num_labels=2, embedding_size=8, hidden_size=6, subword_buckets=500)
    net = Classifier(config)
    data = encode([["free", "prize"], ["freeee", "prizes", "now"]], Vocab(["free", "prize"]), 10,
                  labels=["a", "b"], label_ids={"a": 0, "b": 1}, subwords=config.subwords)
    batch = collate(data, [0, 1])
    _, loss = net(batch)
    loss.backward()
    assert net.subword_embedding.weight.grad.abs().sum() > 0
    assert net.subword_embedding.weight.grad[0].abs().sum() == 0  # the padding bucket never learns
    emb = net.embed(batch["input"], batch["subwords"])
    unknown = batch["input"][1] == 1  # freeee, prizes, now: <unk> as words, yet each its own vector
    assert unknown.all() and not torch.allclose(emb[1, 0], emb[1, 1])
    with pytest.raises(ConfigError, match="subwords"):
        net.embed(batch["input"])
    with pytest.raises(ConfigError, match="buckets"):
        ClassifierConfig(vocab_size=10, num_labels=2, subword_buckets=-1)
