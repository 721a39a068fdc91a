"""Checkpoints inside an epoch (--save-every N steps, --save-every-minutes M): a run stopped mid-epoch, by Ctrl-C
or by a crash after a periodic save, resumes at the same batch and reaches the uninterrupted run's weights."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import LM_TEXT, one_line_error

PAIRS = Path(__file__).resolve().parent.parent / "corpora" / "en-fr" / "pairs-a.tsv"


class Crash(Exception):
    """A failure that is not Ctrl-C: nothing is saved when it happens, as when the process is killed."""


class StopAt:
    """Progress callbacks that stop the run at the end of step `step` of epoch `epoch`: Ctrl-C, or a crash."""

    def __init__(self, epoch: int, step: int, error: type[BaseException] = KeyboardInterrupt) -> None:
        self.at, self.error = (epoch, step), error

    def __getattr__(self, name):
        return lambda *args: None

    def on_step(self, epoch, step, loss, tokens_per_s):
        if (epoch, step) == self.at:
            raise self.error


def _lm(tmp_path):
    from textrnn.tasks import lm

    corpus = tmp_path / "lm.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    model = {"hidden_size": 8, "embedding_size": 8, "num_layers": 1, "embedding_dropout": 0.1, "output_dropout": 0.3}
    data = lm.LMDataConfig(tokenizer="whitespace", bptt=8)
    return lambda out, training, **kw: lm.train(str(corpus), out, model, data, training, **kw)


def _classify(tmp_path):
    from textrnn.tasks import classify

    rng = random.Random(0)
    words = {"pos": "good great fine lovely nice".split(), "neg": "bad awful poor sad dull".split()}
    rows = [(label, " ".join(rng.choice(words[label] + ["the", "film", "was"]) for _ in range(rng.randint(3, 9))))
            for label in ("pos", "neg") * 60]
    corpus = tmp_path / "rows.tsv"
    corpus.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    model = {"hidden_size": 8, "embedding_size": 8, "word_dropout": 0.1, "dropout": 0.2}
    data = classify.ClassifyDataConfig(tokenizer="whitespace")
    return lambda out, training, **kw: classify.train(str(corpus), out, model, data, training, **kw)


def _translate(tmp_path):
    from textrnn.tasks import translate

    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("".join(PAIRS.read_text(encoding="utf-8").splitlines(keepends=True)[:100]), encoding="utf-8")
    model = {"hidden_size": 8, "embedding_size": 8, "dropout": 0.3}
    data = translate.TranslateDataConfig(tokenizer="whitespace", teacher_forcing=0.8, valid_bleu_sentences=0)
    return lambda out, training, **kw: translate.train(str(corpus), out, model, data, training, **kw)


TASKS = {"lm": _lm, "classify": _classify, "translate": _translate}
# (task, where the run stops (epoch, step), how, save_every, the step it resumes from)
CASES = [
    ("lm", (2, 13), KeyboardInterrupt, 0, 13),  # Ctrl-C saves the steps of the epoch under way
    ("lm", (1, 11), Crash, 4, 8),  # a crash loses the steps since the last periodic save
    ("classify", (2, 5), KeyboardInterrupt, 3, 5),
    ("classify", (1, 7), Crash, 3, 6),
    ("translate", (2, 3), Crash, 2, 2),
]


@pytest.mark.parametrize("task, at, how, every, resumed_at", CASES,
                         ids=[f"{c[0]}-{c[2].__name__}-{c[1][0]}.{c[1][1]}" for c in CASES])
def test_stopped_inside_an_epoch_resume_reaches_the_uninterrupted_weights(tmp_path, task, at, how, every,
                                                                         resumed_at):
    import json

    import torch
    from safetensors.torch import load_file

    from textrnn.training import Interrupted, TrainConfig

    train = TASKS[task](tmp_path)
    base = TrainConfig(epochs=3, batch_size=8, lr=0.01, seed=5, patience=5)
    ref = train(tmp_path / "ref", base)
    out, training = tmp_path / "run", TrainConfig(**{**base.__dict__, "save_every": every})
    expected = Interrupted if how is KeyboardInterrupt else Crash
    with pytest.raises(expected) as stopped:
        train(out, training, callbacks=[StopAt(*at, how)])
    state = json.loads((out / "resume" / "trainer.json").read_text())["state"]
    assert (state["epoch"], state["step"]) == (at[0] - 1, resumed_at)
    if how is KeyboardInterrupt:
        kept = f"{resumed_at} of the " if at[0] == 1 else f"epoch 1 and {resumed_at} of the "
        assert kept in str(stopped.value) and f"steps of epoch {at[0]} are saved" in str(stopped.value)
    steps = []

    class Steps:
        def __getattr__(self, name):
            return lambda *args: None

        def on_step(self, epoch, step, loss, tokens_per_s):
            steps.append((epoch, step))

    got = train(out, training, resume=True, callbacks=[Steps()])
    assert steps[0] == (at[0], resumed_at + 1)  # the same batch, not the epoch's first
    assert [(r["train_loss"], r["val_loss"]) for r in got.history] == \
        [(r["train_loss"], r["val_loss"]) for r in ref.history]
    a, b = load_file(str(tmp_path / "ref" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_save_every_writes_the_resume_state_inside_the_epoch(tmp_path):
    """Without a checkpoint inside the epoch a crash mid-epoch leaves the epoch's start; with one due every
    moment (--save-every-minutes tiny), the last step."""
    import json

    from textrnn.training import TrainConfig

    train = _lm(tmp_path)
    with pytest.raises(Crash):
        train(tmp_path / "plain", TrainConfig(epochs=2, batch_size=8, seed=5), callbacks=[StopAt(1, 9, Crash)])

    assert json.loads((tmp_path / "plain" / "resume" / "trainer.json").read_text())["state"]["step"] == 0
    with pytest.raises(Crash):
        train(tmp_path / "every", TrainConfig(epochs=2, batch_size=8, seed=5, save_every_minutes=1e-9),
              callbacks=[StopAt(1, 9, Crash)])
    # Every step saves once its progress is reported; the crash came while step 9 was reported.
    assert json.loads((tmp_path / "every" / "resume" / "trainer.json").read_text())["state"]["step"] == 8


@pytest.mark.parametrize("args, fragment", [
    (["--save-every", "-1"], "--save-every must be a whole number at least 0 (0: at epoch ends only), got -1"),
    (["--save-every-minutes", "-2"], "--save-every-minutes must be from 0 (off) to 525,600 (a year), got -2.0"),
    (["--save-every-minutes", "nan"], "--save-every-minutes must be"),
])
@pytest.mark.parametrize("task", ["lm", "classify", "translate"])
def test_save_every_out_of_range_is_refused(cli, tmp_path, task, args, fragment):
    data = tmp_path / "data.txt"
    data.write_text("a b\tc d\n" * 20, encoding="utf-8")
    one_line_error(cli("train", task, str(data), "-o", str(tmp_path / "m"), *args), 2, fragment)
    assert not (tmp_path / "m").exists()


def test_resume_may_change_how_often_it_saves(cli, lm_corpus, tmp_path):
    from conftest import QUICK_LM

    run = ["train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), "--epochs", "2", *QUICK_LM]
    with pytest.MonkeyPatch.context() as patch:
        from textrnn_cli.progress import RichProgress

        patch.setattr(RichProgress, "for_quiet", staticmethod(lambda quiet, auto_bf16_note=None: [StopAt(1, 3)]))
        one_line_error(cli(*run, "--save-every", "2"), 130, "3 of the", "steps of epoch 1 are saved", "--resume")
    result = cli(*run, "--resume", "--save-every-minutes", "5")
    assert result.exit_code == 0, result.stderr


def test_ctrl_c_inside_a_step_is_held_to_its_end(tmp_path):
    """A real SIGINT arriving in the middle of a step (here: in the forward pass of step 3) lets the step finish,
    then saves its end: the saved weights are those after 3 whole optimizer steps, not half of one."""
    import os
    import signal

    import torch

    from textrnn.training import Interrupted, Monitor, TrainConfig, Trainer

    class Toy(torch.nn.Module):
        def __init__(self, ctrl_c_at: int = 0, presses: int = 1):
            super().__init__()
            torch.manual_seed(0)
            self.layer, self.calls, self.ctrl_c_at, self.presses = torch.nn.Linear(2, 1), 0, ctrl_c_at, presses

        def forward(self, batch):
            self.calls += 1
            if self.calls == self.ctrl_c_at:
                for _ in range(self.presses):
                    os.kill(os.getpid(), signal.SIGINT)
            return None, ((self.layer(batch["x"]) - 1) ** 2).mean()

    saved = {}

    def save_resume(model, target, write_extra):
        saved["weights"] = {k: v.clone() for k, v in model.state_dict().items()}
        saved["calls"] = model.calls

    def batches(epoch):
        return ({"x": torch.full((4, 2), float(i))} for i in range(10))

    trainer = Trainer(TrainConfig(epochs=1, seed=1), Monitor(), tmp_path, [])
    model = Toy(ctrl_c_at=3)
    with pytest.raises(Interrupted, match="3 of the 10 steps of epoch 1 are saved"):
        trainer.fit(model, batches, 10, lambda m: {"loss": 0.0}, lambda m, r: None, save_resume)
    assert saved["calls"] == 3
    reference = Toy()
    trainer = Trainer(TrainConfig(epochs=1, seed=1), Monitor(), tmp_path / "ref", [])
    three = lambda epoch: (b for i, b in enumerate(batches(epoch)) if i < 3)  # noqa: E731
    trainer.fit(reference, three, 3, lambda m: {"loss": 0.0}, lambda m, r: None, lambda *a: None)
    assert all(torch.equal(saved["weights"][k], v) for k, v in reference.state_dict().items())

    # Pressed twice, Ctrl-C does not wait for the step's end, and nothing of the half step is saved.
    saved.clear()
    trainer = Trainer(TrainConfig(epochs=1, seed=1), Monitor(), tmp_path / "twice", [])
    with pytest.raises(Interrupted, match="no epoch had finished, the starting point is saved"):
        trainer.fit(Toy(ctrl_c_at=3, presses=2), batches, 10, lambda m: {"loss": 0.0}, lambda m, r: None, save_resume)
    assert saved["calls"] == 0  # the starting point, saved before step 1
