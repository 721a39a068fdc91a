"""Every option value a user can type gives a result, or one line and exit code 2: never a traceback, a silent
nonsense result or a hang. The ranges live in one table (textrnn/ranges.py) that the configs check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from conftest import QUICK_LM, REPO, one_line_error, run_textrnn
from textrnn.errors import ConfigError

SEED_RANGE = "from 0 to 18,446,744,073,709,551,615"


@pytest.mark.parametrize("args, fragments", [
    (["--temperature", "nan"], ["--temperature", "finite", "got nan"]),
    (["--temperature", "inf"], ["--temperature", "finite", "got inf"]),
    (["--temperature", "-0.5"], ["--temperature must be at least 0", "got -0.5"]),
    (["--top-k", "-1"], ["--top-k must be a whole number at least 0", "got -1"]),
    (["--top-p", "0"], ["--top-p must be above 0 and at most 1", "got 0.0"]),
    (["--top-p", "-0.1"], ["--top-p", "got -0.1"]),
    (["--top-p", "1.5"], ["--top-p", "got 1.5"]),
    (["--top-p", "nan"], ["--top-p", "got nan"]),
    (["--beam", "-1"], ["--beam must be a whole number from 0 to 100", "got -1"]),
    (["--beam", "100000"], ["--beam must be a whole number from 0 to 100", "got 100000"]),
    (["-n", "0"], ["-n/--tokens must be a whole number from 1 to 100000", "got 0"]),
    (["-n", "-5"], ["-n/--tokens", "got -5"]),
    (["-n", "1000000000000"], ["-n/--tokens", "got 1000000000000"]),
    (["--seed", "-1"], ["--seed", SEED_RANGE, "got -1"]),
    (["--seed", str(2**64)], ["--seed", SEED_RANGE, f"got {2**64}"]),
    (["--beam", "4", "-n", "5000"], ["-n/--tokens must be a whole number from 1 to 1000 (with --beam", "got 5000"]),
])
def test_generate_refuses_values_out_of_range(cli, args, fragments):
    one_line_error(cli("generate", "The weather today", *args), 2, *fragments)


@pytest.mark.parametrize("args", [["--temperature", "0"], ["--temperature", "1e-300"], ["--greedy"],
                                  ["--temperature", "1e-45", "--top-k", "3", "--top-p", "0.5"]])
def test_temperature_zero_or_tiny_is_greedy(cli, args):
    """0 is greedy by definition; a tiny positive temperature is greedy in the limit, and once overflowed to
    inf and NaN: the sampler shifts the logits so that no positive temperature can."""
    greedy = cli("generate", "The weather today", "-n", "8", "--greedy")
    result = cli("generate", "The weather today", "-n", "8", "--seed", "1", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == greedy.stdout and result.stdout.strip()


@pytest.mark.parametrize("args", [["--temperature", "1e300"], ["--top-k", "0", "--top-p", "1"], ["--beam", "0"],
                                  ["--beam", "100"], ["--top-k", "100000000000"], ["--seed", str(2**64 - 1)]])
def test_values_at_the_edges_of_their_ranges_give_text(cli, args):
    seed = [] if "--seed" in args else ["--seed", "2"]
    result = cli("generate", "The weather today", "-n", "5", *seed, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("The weather today") and len(result.stdout.split()) > 3


def test_an_absurd_beam_answers_at_once(tmp_path):
    """Refused before the search starts (it used to run for minutes); the timeout fails a hang."""
    one_line_error(run_textrnn("generate", "The weather today", "--beam", "100000", timeout=120), 2, "--beam")


@pytest.mark.parametrize("args, fragments", [
    (["-k", "0"], ["-k/--top must be a whole number at least 1", "got 0"]),
    (["-k", "-3"], ["-k/--top", "got -3"]),
    (["--beam", "-1"], ["--beam", "got -1"]),  # a translation option: out of range even for a language model
    (["-m", "sentiment", "-k", "0"], ["-k/--top"]),
    (["-m", "en-fr", "--beam", "-2"], ["--beam", "got -2"]),
    (["-m", "en-fr", "--beam", "5000"], ["--beam", "got 5000"]),
])
def test_predict_refuses_values_out_of_range(cli, args, fragments):
    one_line_error(cli("predict", "I love eating", *args), 2, *fragments)


def test_predict_top_k_shows_k_words(cli):
    """-k 0 printed the whole vocabulary; -k 1 shows one word."""
    result = cli("predict", "I love eating", "-k", "1")
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 1


def _no_device(name: str) -> bool:
    if name.startswith("cuda"):
        return not torch.cuda.is_available() or int(name.partition(":")[2] or 0) >= torch.cuda.device_count()
    if name == "mps":
        return not torch.backends.mps.is_available()
    return True


DEVICES = [d for d in ("cuda", "cuda:7", "mps", "tpu", "meta", "cpu:3", "") if _no_device(d)]


@pytest.mark.parametrize("device", DEVICES)
def test_a_device_this_machine_lacks_is_one_line(cli, device):
    one_line_error(cli("predict", "I love eating", "--device", device), 2, "--device", device)


@pytest.mark.parametrize("device", DEVICES)
def test_training_on_a_device_this_machine_lacks_is_refused_first(cli, lm_corpus, tmp_path, device):
    out = tmp_path / "m"
    result = cli("train", "lm", str(lm_corpus), "-o", str(out), *QUICK_LM, "--device", device)
    one_line_error(result, 2, "--device")
    assert not out.exists()


@pytest.mark.parametrize("args, fragments", [
    (["--patience", "-1"], ["--patience must be a whole number at least 0", "got -1"]),
    (["--epochs", "0"], ["--epochs must be a whole number at least 1", "got 0"]),
    (["--epochs", "-2"], ["--epochs", "got -2"]),
    (["--lr", "nan"], ["--lr must be positive and below 3.4e38", "got nan"]),
    (["--lr", "-0.1"], ["--lr", "got -0.1"]),
    (["--lr", "0"], ["--lr", "got 0.0"]),
    (["--dropout", "1"], ["--dropout must be at least 0 and below 1", "got 1.0"]),
    (["--dropout", "-0.1"], ["--dropout", "got -0.1"]),
    (["--dropout", "nan"], ["--dropout", "got nan"]),
    (["--embedding-dropout", "1.5"], ["--embedding-dropout", "got 1.5"]),
    (["--output-dropout", "inf"], ["--output-dropout", "finite", "got inf"]),
    (["--batch-size", "0"], ["--batch-size must be a whole number at least 1", "got 0"]),
    (["--bptt", "0"], ["--bptt must be a whole number at least 1", "got 0"]),
    (["--clip", "nan"], ["--clip", "got nan"]),
    (["--valid-fraction", "0"], ["--valid-fraction must be between 0 and 1", "got 0.0"]),
    (["--min-freq", "0"], ["--min-freq", "got 0"]),
    (["--max-vocab", "4"], ["--max-vocab must be a whole number at least 5", "<unk>", "got 4"]),
    (["--seed", "-1"], ["--seed", SEED_RANGE, "got -1"]),
    (["--seed", str(2**63)], []),  # in range (torch's manual_seed takes up to 2**64 - 1): trains
    (["--seed", str(2**64)], ["--seed", SEED_RANGE, f"got {2**64}"]),
    (["--layers", "0"], ["--layers must be a whole number at least 1", "got 0"]),
    (["--hidden-size", "-8"], ["--hidden-size", "got -8"]),
    (["--min-freq", "1000000"], ["no token of the training data is seen --min-freq 1,000,000 times", "empty"]),
])
def test_train_lm_refuses_values_out_of_range(cli, lm_corpus, tmp_path, args, fragments):
    out = tmp_path / "m"
    result = cli("train", "lm", str(lm_corpus), "-o", str(out), *QUICK_LM, "--epochs", "1", *args)
    if not fragments:  # in range: trains
        assert result.exit_code == 0, result.stderr
        return
    one_line_error(result, 2, *fragments)
    assert not (out / "model.safetensors").exists()


@pytest.mark.parametrize("args, fragment", [(["build", "{corpus}", "-o", "{out}", "--min-freq", "0"], "--min-freq"),
                                            (["build", "{corpus}", "-o", "{out}", "--max-size", "2"], "--max-size"),
                                            (["build", "{corpus}", "-o", "{out}", "--top", "0"], "--top"),
                                            (["show", "everyday-english", "--top", "-1"], "--top")])
def test_vocab_refuses_values_out_of_range(cli, lm_corpus, tmp_path, args, fragment):
    args = [a.format(corpus=lm_corpus, out=tmp_path / "vocab.json") for a in args]
    one_line_error(cli("vocab", *args, "--tokenizer", "whitespace") if args[0] == "build" else cli("vocab", *args),
                   2, fragment)
    assert not (tmp_path / "vocab.json").exists()


CLASSIFY_ROWS = "".join(f"{label}\t{text}\n" for label, text in [
    ("pos", "what a lovely warm day"), ("neg", "a dull and dreary film"), ("pos", "great fun for everyone"),
    ("neg", "boring and far too long"), ("pos", "i loved every minute"), ("neg", "i want my money back")] * 10)

HUGE = ["--hidden-size", "1000000", "--layers", "50"]


@pytest.fixture
def classify_data(tmp_path) -> Path:
    path = tmp_path / "labels.tsv"
    path.write_text(CLASSIFY_ROWS, encoding="utf-8")
    return path


def _train(cli, task: str, data: Path, out: Path, *args: str):
    if task == "lm":
        return cli("train", "lm", str(data), "-o", str(out), *QUICK_LM, *args)
    common = ["--tokenizer", "whitespace", "--batch-size", "8", "--epochs", "1", "-qq"]
    if task == "classify":
        return cli("train", "classify", str(data), "-o", str(out), *common, *args)
    return cli("train", "translate", str(REPO / "corpora" / "en-fr" / "pairs-a.tsv"), "-o", str(out), *common, *args)


@pytest.mark.parametrize("task", ["lm", "classify", "translate"])
@pytest.mark.parametrize("args", [HUGE, ["--hidden-size", "100000000000000000000"],
                                  ["--embedding-size", "4000000000", "--hidden-size", "8"]])
def test_a_model_too_large_for_the_memory_is_refused_before_it_is_allocated(cli, lm_corpus, classify_data,
                                                                             tmp_path, task, args):
    """Counted on the meta device, from the config alone: a refusal in seconds, not an out-of-memory kill."""
    out = tmp_path / "m"
    extra = ["--no-tie-weights"] if task == "lm" and "--embedding-size" in args else []
    result = _train(cli, task, lm_corpus if task == "lm" else classify_data, out, *args, *extra)
    line = one_line_error(result, 2, "--hidden-size")
    assert ("this machine has" in line and "parameters" in line) or "too large to count" in line, line
    assert not (out / "model.safetensors").exists()


@pytest.mark.parametrize("task", ["classify", "translate"])
@pytest.mark.parametrize("args, fragment", [(["--dropout", "1"], "--dropout"), (["--seed", "-1"], SEED_RANGE),
                                            (["--epochs", "0"], "--epochs"), (["--lr", "nan"], "--lr"),
                                            (["--max-length", "0"], "--max-length")])
def test_classify_and_translate_refuse_values_out_of_range(cli, classify_data, tmp_path, task, args, fragment):
    one_line_error(_train(cli, task, classify_data, tmp_path / "m", *args), 2, fragment)


@pytest.mark.parametrize("kind, config", [
    ("language_model", {"vocab_size": 50, "embedding_size": 12, "hidden_size": 12, "num_layers": 2}),
    ("language_model", {"vocab_size": 5000, "embedding_size": 16, "hidden_size": 24, "tie_weights": False,
                        "softmax": "adaptive"}),
    ("classifier", {"vocab_size": 40, "num_labels": 3, "pooling": "attention", "subword_buckets": 100}),
    ("seq2seq", {"src_vocab_size": 30, "tgt_vocab_size": 20, "hidden_size": 16, "attention": "bahdanau"}),
])
def test_the_parameter_count_is_the_built_models(kind, config):
    from textrnn.models import build_model, model_class
    from textrnn.models.memory import parameter_count

    cls = model_class(kind)
    built = build_model(kind, config)
    assert parameter_count(cls, cls.Config(**config)) == sum(p.numel() for p in built.parameters())


def test_the_python_api_refuses_the_same_values():
    """The ranges are checked by the configs, so a Python user gets the CLI's message as a ConfigError."""
    from textrnn.models import build_model
    from textrnn.tasks.lm import LanguageModelRunner, LMDataConfig
    from textrnn.training import TrainConfig

    with pytest.raises(ConfigError, match="--lr must be positive"):
        TrainConfig(lr=float("nan"))
    with pytest.raises(ConfigError, match="--bptt"):
        LMDataConfig(bptt=0)
    with pytest.raises(ConfigError, match="this machine has"):
        build_model("language_model", {"vocab_size": 10, "embedding_size": 10**6, "hidden_size": 10**6,
                                       "num_layers": 50}, optimizer="adam")
    runner = LanguageModelRunner()
    with pytest.raises(ConfigError, match="--top-p"):
        runner.generate("The weather", top_p=0.0)  # refused at the call, before the first token
    with pytest.raises(ConfigError, match="-k/--top"):
        runner.predict("I love", k=0)
