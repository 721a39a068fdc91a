"""Each task's default training settings, in one place: the CLI's option defaults and the library's.

They were chosen from validation figures on real corpora of a few sizes, measured with
benchmarks/defaults.py (README: "How the defaults were chosen").
"""

from __future__ import annotations

from dataclasses import replace

from textrnn.training import TrainConfig

# Language models: plain SGD at lr 20 with the gradient norm clipped to 0.25, the rate halved when validation
# stops improving (the textbook recipe: Zaremba et al. 2014, pytorch/examples word_language_model). Adam led
# after one epoch, SGD from the second: validation perplexity 131 against Adam's 149 at 2e-3 (the old
# default) and 179 at 1e-3 after 3 epochs on Pride and Prejudice, 155 against 160 after 2 on tiny-shakespeare.
LM = TrainConfig(epochs=10, batch_size=20, lr=20.0, optimizer="sgd", clip=0.25, patience=3)
# Classification: Adam at 2e-3 beat 1e-3 on UCI sentences and SMS spam; dropout 0.5 came out level with 0.3.
# Patience 2 kept the same best epoch as 3 in every run (UCI, SMS, 10k SST-2 phrases), one epoch sooner;
# patience 1 lost some.
CLASSIFY = TrainConfig(epochs=10, batch_size=32, lr=2e-3, optimizer="adam", clip=1.0, patience=2)
# Translation: on 5,000 Tatoeba pairs, Adam at 2e-3 for 6 epochs came to validation loss 3.70 and BLEU 5.82;
# at 1e-3 (the old default) 10 epochs came to 3.62 and 5.86, for two thirds more training time (over an hour
# on 29k pairs). Patience 1: one more epoch at half the rate after a stall, then stop. BLEU is decoded once,
# after training (tasks/translate.py).
TRANSLATE = TrainConfig(epochs=6, batch_size=64, lr=2e-3, optimizer="adam", clip=1.0, patience=1)
TASKS = {"lm": LM, "classify": CLASSIFY, "translate": TRANSLATE}

# The learning rate an optimizer starts at when none is given, where it was measured (the language model):
# plain SGD needs a rate some 10,000 times Adam's, so naming the optimizer alone must change the rate too.
# The other adaptive optimizers start at Adam's rate. Elsewhere the task's rate holds for every optimizer.
LR = {"lm": {"sgd": 20.0, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 2e-3}}


def lr(task: str, optimizer: str) -> float:
    """The default learning rate of `optimizer` for `task`."""
    return LR.get(task, {}).get(optimizer, TASKS[task].lr)


def training(task: str, **given) -> TrainConfig:
    """The task's defaults with the settings given (None: not given). Without an lr, the optimizer's."""
    given = {k: v for k, v in given.items() if v is not None}
    if "lr" not in given:
        given["lr"] = lr(task, given.get("optimizer", TASKS[task].optimizer))
    return replace(TASKS[task], **given)
