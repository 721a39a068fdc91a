"""`--precision`: bfloat16 mixed precision on a CPU that has it natively. Every task trains with it, the model
it saves is float32 and loads as any other; the fused softmax loss in bfloat16 stays close to the float32 one;
`auto` picks it on such a CPU for a word language model alone; where bfloat16 is not native, or the name is
unknown, one line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from conftest import QUICK_LM, one_line_error
from textrnn.models.softmax_loss import Workspace, linear_cross_entropy

REPO = Path(__file__).resolve().parents[1]
NATIVE_BF16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
needs_bf16 = pytest.mark.skipif(not NATIVE_BF16, reason="this CPU has no native bfloat16 (AVX512-BF16 or AMX)")
ROWS = "".join(f"{label}\t{text}\n" for label, text in [("pos", "a lovely warm film"), ("neg", "a dull cold mess"),
                                                         ("pos", "lovely and warm"), ("neg", "dull and cold")] * 6)


def test_fused_loss_in_bfloat16_is_close_to_float32():
    """The three products in bfloat16, softmax and loss in float32: the loss within 1e-3, the gradients within
    2% (bfloat16 keeps 8 bits of mantissa; the products accumulate in float32)."""
    torch.manual_seed(0)
    x, w, b = torch.randn(80, 32), torch.randn(500, 32) * 0.3, torch.randn(500) * 0.1
    y = torch.randint(0, 500, (80,))
    results = []
    for low in (None, torch.bfloat16):
        leaves = [t.clone().requires_grad_() for t in (x, w, b)]
        loss = linear_cross_entropy(*leaves, y, Workspace(), -100, low)
        loss.backward()
        results.append((loss.item(), [t.grad for t in leaves]))
    (full, grads), (half, low_grads) = results
    assert full == pytest.approx(F.cross_entropy(F.linear(x, w, b), y).item(), rel=1e-5)
    assert half == pytest.approx(full, abs=1e-3)
    for got, want in zip(low_grads, grads):
        assert got.dtype == torch.float32
        assert ((got - want).norm() / want.norm()).item() < 0.02


@needs_bf16
@pytest.mark.parametrize("task", ["lm", "lm-adaptive", "classify", "translate"])
def test_every_task_trains_in_bf16_and_saves_float32(cli, lm_corpus, tmp_path, task):
    out = tmp_path / "m"
    common = ["--precision", "bf16", "--epochs", "2", "--seed", "1", "-qq"]
    if task.startswith("lm"):
        adaptive = ["--softmax", "adaptive"] if task == "lm-adaptive" else []
        result = cli("train", "lm", str(lm_corpus), "-o", str(out), *QUICK_LM, *adaptive, *common)
    elif task == "classify":
        data = tmp_path / "labels.tsv"
        data.write_text(ROWS, encoding="utf-8")
        result = cli("train", "classify", str(data), "-o", str(out), "--tokenizer", "whitespace", "--hidden-size",
                     "16", "--batch-size", "4", *common)
    else:
        result = cli("train", "translate", str(REPO / "corpora" / "en-fr" / "pairs-a.tsv"), "-o", str(out),
                     "--tokenizer", "whitespace", "--hidden-size", "16", "--embedding-size", "16", "--batch-size", "8",
                     *common)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["train"]["precision"] == "bf16"
    import math

    assert all(math.isfinite(v) for k, v in config["metrics"].items() if isinstance(v, float))
    from safetensors.torch import load_file

    assert {t.dtype for t in load_file(out / "model.safetensors").values()} == {torch.float32}
    predict = cli("predict", "-m", str(out), "the film", "--json")
    assert predict.exit_code == 0, predict.output


def test_the_adaptive_softmax_runs_in_float32_under_autocast():
    """Under bfloat16 autocast (--precision bf16; CUDA's default) the adaptive softmax's cluster products would
    come out in bfloat16, which AdaptiveLogSoftmaxWithLoss refuses to copy into its float32 buffers: it runs
    with autocast off, and gives what it gives outside autocast. (Autocast on a CPU runs without native
    bfloat16 too, only slowly: this test needs none.)"""
    from textrnn.models.language_model import LanguageModel, LanguageModelConfig

    torch.manual_seed(0)
    net = LanguageModel(LanguageModelConfig(vocab_size=300, embedding_size=16, hidden_size=16, num_layers=1,
                                            softmax="adaptive", tie_weights=False, cutoffs=(50, 150))).eval()
    batch = {"input": torch.randint(4, 300, (2, 7)), "target": torch.randint(4, 300, (2, 7))}
    _, plain = net(batch)
    plain_scores = net.step(batch["input"])[0]
    net.reset_state()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, mixed = net(batch)
        scores = net.step(batch["input"])[0]
    assert mixed.dtype == torch.float32 and scores.dtype == torch.float32
    assert mixed.item() == pytest.approx(plain.item(), rel=0.02)
    assert torch.allclose(scores.exp().sum(-1), torch.ones(2, 7), atol=1e-4)
    assert (scores - plain_scores).abs().max().item() < 0.1


@needs_bf16
def test_bf16_language_model_learns_as_float32_does(cli, lm_corpus, tmp_path):
    """The same run in both precisions ends at nearly the same validation loss."""
    losses = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        result = cli("train", "lm", str(lm_corpus), "-o", str(out), *QUICK_LM, "--epochs", "3", "--optimizer", "adam",
                     "--lr", "0.01", "--precision", precision, "-qq")
        assert result.exit_code == 0, result.output
        losses[precision] = json.loads((out / "config.json").read_text())["metrics"]["val_loss"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.03)


def test_an_unknown_precision_is_one_line(cli, lm_corpus, tmp_path):
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), *QUICK_LM, "--precision", "fp8")
    one_line_error(result, 2, "precision", "fp8", "bf16")
    assert not (tmp_path / "m").exists()


def test_bf16_where_the_cpu_lacks_it_is_refused_before_training(cli, lm_corpus, tmp_path, monkeypatch):
    """Whether a CPU has bfloat16 is the hardware's answer; here the answer is replaced with "no"."""
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), *QUICK_LM, "--precision", "bf16",
                 "--device", "cpu")
    one_line_error(result, 2, "--precision bf16", "no native bfloat16")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("options", [[], ["--precision", "fp32"], ["--precision", "auto", "-q"]])
def test_auto_trains_a_word_language_model_in_bf16_where_the_cpu_computes_it(cli, lm_corpus, tmp_path, monkeypatch,
                                                                              native, options):
    """`--precision auto` (the default) on a CPU with native bfloat16 trains a word language model of at least
    lm.AUTO_BF16_MIN_TOKENS tokens in bfloat16,
    says so in the first line (`training on cpu (N threads, bfloat16)`) and, unless -q, in a second line that
    names --precision fp32; config.json records what it computed in. On a CPU without native bfloat16 (the
    hardware's answer replaced with "no" where it is yes), and with --precision fp32, float32 and no note."""
    from textrnn.tasks import lm
    from textrnn_cli.commands.train_lm import LM_AUTO_BF16_NOTE

    assert lm.AUTO_BF16_MIN_TOKENS == 500_000  # as the note says
    monkeypatch.setattr(lm, "AUTO_BF16_MIN_TOKENS", 1)  # this small corpus counts as large enough
    if native and not NATIVE_BF16:
        pytest.skip("this CPU has no native bfloat16 (AVX512-BF16 or AMX)")
    if not native:
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    loud = [option for option in QUICK_LM if option != "--quiet"]
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), *loud, "--epochs", "1", "--threads", "1",
                 *options)
    assert result.exit_code == 0, result.stderr
    low = native and "fp32" not in options
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"training on cpu (1 thread, {'bfloat16' if low else 'float32'}): ")
    assert (LM_AUTO_BF16_NOTE in lines) == (low and "-q" not in options)
    assert "--precision fp32" in LM_AUTO_BF16_NOTE and "500,000 tokens" in LM_AUTO_BF16_NOTE
    training = json.loads((tmp_path / "m" / "config.json").read_text())["training"]
    assert training["computed_in"] == ("bfloat16" if low else "float32")
    assert training["train"]["precision"] == ("fp32" if "fp32" in options else "auto")
    info = cli("info", str(tmp_path / "m"), "--json")
    assert json.loads(info.stdout)["training"]["computed_in"] == training["computed_in"]


@needs_bf16
@pytest.mark.parametrize("task", ["small", "char", "adaptive", "classify"])
def test_auto_keeps_float32_where_bf16_was_not_measured_to_pay(cli, lm_corpus, tmp_path, monkeypatch, task):
    """`auto` picks bfloat16 on a CPU only for a word language model with the full softmax on a stream of at least
    lm.AUTO_BF16_MIN_TOKENS tokens: a smaller one (this corpus as it is), a character model, the adaptive softmax
    and the other tasks train in float32 by default."""
    from textrnn.tasks import lm

    if task != "small":
        monkeypatch.setattr(lm, "AUTO_BF16_MIN_TOKENS", 1)
    out = tmp_path / "m"
    if task == "classify":
        data = tmp_path / "labels.tsv"
        data.write_text(ROWS, encoding="utf-8")
        result = cli("train", "classify", str(data), "-o", str(out), "--tokenizer", "whitespace", "--hidden-size",
                     "16", "--batch-size", "4", "--epochs", "1", "--threads", "1")
    else:
        options = {"small": [], "char": ["--tokenizer", "char"], "adaptive": ["--softmax", "adaptive"]}[task]
        result = cli("train", "lm", str(lm_corpus), "-o", str(out), *[o for o in QUICK_LM if o != "--quiet"],
                     *options, "--epochs", "1", "--threads", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0].startswith("training on cpu (1 thread, float32): ")
    assert json.loads((out / "config.json").read_text())["training"]["computed_in"] == "float32"


@needs_bf16
def test_the_first_line_says_bfloat16_when_asked(cli, lm_corpus, tmp_path):
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), *QUICK_LM, "--epochs", "1", "--threads",
                 "1", "--precision", "bf16")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0].startswith("training on cpu (1 thread, bfloat16): ")
