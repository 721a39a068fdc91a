"""Damaged model directories: every command that loads a model says what is wrong in one line naming the file,
exit code 5, never a traceback; no file outside the directory is opened, nothing a header claims is allocated."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from conftest import LM_TEXT, QUICK_LM, one_line_error, run_textrnn
from textrnn import checkpoint
from textrnn.model_dir import SCHEMAS

W = "model.safetensors"
TEXT = {"lm": "I love eating", "classify": "win a free prize now", "translate": "I love my family ."}
TASKS = ("lm", "classify", "translate")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """One model per task: a tiny language model trained here; the bundled classifier and translator."""
    root = tmp_path_factory.mktemp("models")
    corpus = root / "lm.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    result = run_textrnn("train", "lm", str(corpus), "-o", str(root / "lm"), *QUICK_LM, "--epochs", "1",
                         env={"OMP_NUM_THREADS": "1", "TEXTRNN_CACHE": str(root / "cache")})
    assert result.returncode == 0, result.stderr
    return {"lm": root / "lm", "classify": checkpoint.bundled_root() / "spam",
            "translate": checkpoint.bundled_root() / "en-fr"}


def copy_of(models, task: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(models[task], tmp_path / "model"))


# Damage, each a function of the model directory's copy ------------------------------------------------

def config(edit):
    def damage(d: Path) -> None:
        cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
        edit(cfg)
        (d / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return damage


def vocab(edit):
    """Edit the first vocabulary (vocab.json, or vocab-source.json)."""
    def damage(d: Path) -> None:
        file = d / next(iter(json.loads((d / "config.json").read_text())["vocabs"].values()))
        doc = json.loads(file.read_text(encoding="utf-8"))
        edit(doc)
        file.write_text(json.dumps(doc), encoding="utf-8")
    return damage


def header(edit):
    """Edit the first tensor's entry of the safetensors header; the data is left as it was."""
    def damage(d: Path) -> None:
        data = (d / W).read_bytes()
        n = struct.unpack("<Q", data[:8])[0]
        head = json.loads(data[8: 8 + n])
        edit(head[min(k for k in head if k != "__metadata__")])
        raw = json.dumps(head).encode()
        raw += b" " * (-len(raw) % 8)
        (d / W).write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])
    return damage


def poison(value: float):
    """Write `value` (NaN, inf) into the last tensor of the weights, a valid safetensors file otherwise."""
    def damage(d: Path) -> None:
        from safetensors import safe_open
        from safetensors.torch import save_file

        with safe_open(str(d / W), framework="pt") as f:
            metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
        tensors[max(tensors)].view(-1)[0] = value
        save_file(tensors, str(d / W), metadata=metadata)
    return damage


def size_key(cfg) -> str:
    return next(iter(SCHEMAS[cfg["task"]].sides.values()))


def _other_task(cfg) -> None:
    cfg["task"] = "classify" if cfg["task"] != "classify" else "lm"


# id -> (damage, fragment of the one line, whether `textrnn info` sees it: info reads no weights and no torch)
DAMAGE = {
    "weights truncated": (lambda d: (d / W).write_bytes((d / W).read_bytes()[:-100]), "truncated", True),
    "weights 3 bytes": (lambda d: (d / W).write_bytes(b"abc"), "too short", True),
    "header length petabytes": (lambda d: (d / W).write_bytes(struct.pack("<Q", 2**60) + (d / W).read_bytes()[8:]),
                                "header claims 1,152,921,504,606,846,976 bytes", True),
    "header not json": (lambda d: (d / W).write_bytes(struct.pack("<Q", 8) + b"{not js}" + bytes(64)),
                        "header is not JSON", True),
    "tensor shape petabytes": (header(lambda t: t.update(shape=[2**40, 2**20])), "needs", True),
    "tensor offsets petabytes": (header(lambda t: t.update(data_offsets=[0, 2**60])), "offsets span", True),
    "tensor dtype unknown": (header(lambda t: t.update(dtype="Q7")), "no known dtype", True),
    "bytes after the tensors": (lambda d: (d / W).write_bytes((d / W).read_bytes() + b"xx"), "follow the last", True),
    "config not json": (lambda d: (d / "config.json").write_text("{oops"), "config.json is not valid JSON", True),
    "config a list": (lambda d: (d / "config.json").write_text("[1, 2]"), "holds a JSON list", True),
    "no task": (config(lambda c: c.pop("task")), "has no task", True),
    "unknown task": (config(lambda c: c.update(task="summarize")), "task is 'summarize'", True),
    "task of another kind": (config(_other_task), "needs model.kind", True),
    "model a list": (config(lambda c: c.update(model=[1])), "model must be a JSON object", True),
    "hidden_size a string": (config(lambda c: c["model"].update(hidden_size="big")),
                             "model.hidden_size must be a positive integer, got 'big'", True),
    "num_layers negative": (config(lambda c: c["model"].update(num_layers=-1)),
                            "model.num_layers must be a positive integer, got -1", True),
    "vocabulary size missing": (config(lambda c: c["model"].pop(size_key(c))), "is missing", True),
    "sizes of petabytes": (config(lambda c: c["model"].update(embedding_size=10**12, hidden_size=10**12)),
                           "model.embedding_size is 1,000,000,000,000, but model.safetensors has", True),
    "layers beyond the tensors": (config(lambda c: c["model"].update(num_layers=10**6)), "tensors in all", True),
    "tokenizers a list": (config(lambda c: c.update(tokenizers=["spacy"])), "tokenizers must be a JSON object", True),
    "unknown tokenizer": (config(lambda c: next(iter(c["tokenizers"].values())).update(name="nope")),
                          "names the tokenizer 'nope'", True),
    "vocabulary at /etc/passwd": (config(lambda c: c["vocabs"].update({next(iter(c["vocabs"])): "/etc/passwd"})),
                                  "'/etc/passwd', outside the model directory", True),
    "vocabulary not json": (lambda d: [(f.write_text("{"), None) for f in d.glob("vocab*.json")],
                            "is not valid JSON", True),
    "vocabulary a list": (lambda d: [f.write_text("[1, 2]") for f in d.glob("vocab*.json")],
                          "holds a JSON list", True),
    "vocabulary tokens not strings": (vocab(lambda v: v.update(tokens=[1, 2, *v["tokens"][2:]])),
                                      "tokens must be a list of strings", True),
    "vocabulary duplicates": (vocab(lambda v: v["tokens"].__setitem__(-1, v["tokens"][0])), "repeated", True),
    "vocabulary a special": (vocab(lambda v: v["tokens"].__setitem__(-1, "<unk>")), "repeated: '<unk>'", True),
    "vocabulary shorter than the weights": (vocab(lambda v: v.update(tokens=v["tokens"][:-3], counts=v["counts"][:-3])),
                                            "entries (the 4 specials included)", True),
    # Seen once torch builds the model the config describes and loads the weights:
    "cell a number": (config(lambda c: c["model"].update(cell=5)), "model.cell must be a string, got 5", False),
    "dropout a string": (config(lambda c: c["model"].update(dropout="x")), "model.dropout must be a number", False),
    "unknown model field": (config(lambda c: c["model"].update(wings=2)), "unknown fields: wings", False),
    "sizes unlike the weights": (config(lambda c: c["model"].update(hidden_size=2 * c["model"]["hidden_size"],
                                                                    embedding_size=2 * c["model"]["embedding_size"])),
                                 "has shape", False),
    "NaN weights": (poison(float("nan")), "holds NaN or infinite values", False),
    "infinite weights": (poison(float("inf")), "holds NaN or infinite values", False),
}


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_predict_and_info_refuse_a_damaged_model_in_one_line(cli, models, tmp_path, task, kind):
    damage, fragment, info_sees = DAMAGE[kind]
    model = copy_of(models, task, tmp_path)
    damage(model)
    one_line_error(cli("predict", "-m", str(model), TEXT[task]), 5, "model error", str(model), fragment)
    if info_sees:
        one_line_error(cli("info", str(model)), 5, "model error", str(model), fragment)


def test_nan_is_refused_naming_the_tensor(cli, models, tmp_path):
    model = copy_of(models, "lm", tmp_path)
    poison(float("nan"))(model)
    one_line_error(cli("predict", "-m", str(model), "I love"), 5, f"{model / W}: tensor 'rnn.weight_ih_l0'")


def test_the_finiteness_check_is_exact_where_the_sum_overflows():
    """Weights are cleared by one sum; a sum that overflows (large finite values) is checked value by value."""
    import torch

    from textrnn.model_weights import _finite

    big = torch.full((4,), 3e38)
    assert float(big.sum()) == float("inf") and _finite(big)
    for bad in (float("nan"), float("inf"), -float("inf")):
        assert not _finite(torch.tensor([1.0, bad, 2.0]))
    assert not _finite(torch.tensor([float("inf"), -float("inf")]))  # their sum is NaN, not a finite 0


@pytest.mark.parametrize("kind", ["weights truncated", "vocabulary shorter than the weights", "NaN weights",
                                  "config a list"])
def test_evaluate_and_generate_refuse_a_damaged_model(cli, models, tmp_path, lm_corpus, kind):
    damage, fragment, _ = DAMAGE[kind]
    model = copy_of(models, "lm", tmp_path)
    damage(model)
    one_line_error(cli("evaluate", str(model), str(lm_corpus)), 5, str(model), fragment)
    one_line_error(cli("generate", "I love", "-m", str(model), "-n", "3"), 5, str(model), fragment)


def test_a_real_process_gives_one_line_for_a_header_claiming_petabytes(models, tmp_path):
    model = copy_of(models, "classify", tmp_path)
    DAMAGE["tensor shape petabytes"][0](model)
    for args in (["predict", "-m", str(model), "hello"], ["info", str(model)]):
        one_line_error(run_textrnn(*args), 5, f"{model / W}: tensor", "needs 2,305,843,009,213,693,952 bytes")


# Files named in config.json stay inside the model directory -----------------------------------------

def _valid_copy_outside(model: Path, tmp_path: Path) -> Path:
    """A good copy of the model's vocabulary outside its directory: were it opened, the model would load."""
    outside = tmp_path / "outside.json"
    shutil.copy(model / "vocab.json", outside)
    return outside


@pytest.mark.parametrize("how", ["relative", "absolute", "link"])
def test_a_vocabulary_outside_the_directory_is_refused_unopened(cli, models, tmp_path, how):
    model = copy_of(models, "lm", tmp_path)
    outside = _valid_copy_outside(model, tmp_path)
    if how == "link":
        (model / "vocab.json").unlink()
        (model / "vocab.json").symlink_to(outside)
        fragment = f"is a link to {outside}"
    else:
        name = "../outside.json" if how == "relative" else str(outside)
        config(lambda c: c["vocabs"].update(text=name))(model)
        fragment = f"{name!r}, outside the model directory"
    for args in (["predict", "-m", str(model), "I love"], ["info", str(model)]):
        one_line_error(cli(*args), 5, f"{model / 'config.json'}: vocabs.text", fragment)


# Weights of another task ---------------------------------------------------------------------------

def test_a_classifier_config_over_language_model_weights_is_refused(cli, models, tmp_path):
    model = copy_of(models, "lm", tmp_path)
    lm = json.loads((model / "config.json").read_text())["model"]

    def as_classifier(c):
        c.update(task="classify", labels=["neg", "pos"], model={
            "kind": "classifier", "vocab_size": lm["vocab_size"], "num_labels": 2, "embedding_size": lm["embedding_size"],
            "hidden_size": lm["hidden_size"], "num_layers": lm["num_layers"], "bidirectional": False})
    config(as_classifier)(model)
    one_line_error(cli("predict", "-m", str(model), "I love"), 5, "does not hold the weights of the classifier",
                   "missing embedding.weight, output.weight", "unexpected decoder.bias")


# Every other command that loads a model -----------------------------------------------------------

def test_shrink_refuses_a_damaged_model_and_leaves_it_as_it_was(cli, models, tmp_path):
    model = copy_of(models, "lm", tmp_path)
    poison(float("nan"))(model)
    before = (model / W).read_bytes()
    one_line_error(cli("shrink", str(model)), 5, "holds NaN or infinite values")
    assert (model / W).read_bytes() == before


@pytest.mark.parametrize("kind", ["weights truncated", "vocabulary duplicates"])
def test_train_from_a_damaged_language_model_is_refused(cli, models, tmp_path, lm_corpus, kind):
    damage, fragment, _ = DAMAGE[kind]
    model = copy_of(models, "lm", tmp_path)
    damage(model)
    one_line_error(cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "out"), "--init", str(model), *QUICK_LM),
                   5, str(model), fragment)
    data = tmp_path / "data.tsv"
    data.write_text("pos\tI love eating\nneg\tThe weather is cold\n" * 20, encoding="utf-8")
    one_line_error(cli("train", "classify", str(data), "-o", str(tmp_path / "cls"), "--encoder", str(model), "-qq"),
                   5, str(model), fragment)
    assert not (tmp_path / "out").exists() and not (tmp_path / "cls").exists()


@pytest.fixture
def interrupted_run(tmp_path, lm_corpus) -> Path:
    """A language model run stopped after its first epoch: out/ holds a model and its resume/ state."""
    from textrnn.tasks import lm
    from textrnn.training import Callback, Interrupted, TrainConfig

    class Stop(Callback):
        def on_epoch_end(self, epoch, record):
            raise KeyboardInterrupt

    out = tmp_path / "run"
    with pytest.raises(Interrupted):
        lm.train(str(lm_corpus), out, model={"hidden_size": 8, "embedding_size": 8, "num_layers": 1},
                 data=lm.LMDataConfig(tokenizer="whitespace", bptt=8),
                 training=TrainConfig(epochs=3, batch_size=4, seed=3), callbacks=[Stop()])
    assert (out / "resume" / "trainer.pt").is_file()
    return out


@pytest.mark.parametrize("file, damage, fragment", [
    ("config.json", lambda f: f.write_text("[]"), "resume/config.json: holds a JSON list"),
    (W, lambda f: f.write_bytes(f.read_bytes()[:-8]), "resume/model.safetensors: truncated"),
    ("trainer.pt", lambda f: f.write_bytes(f.read_bytes()[:200]), "resume/trainer.pt is damaged"),
    ("trainer.json", lambda f: f.write_text("{"), "resume/trainer.json is damaged"),
])
def test_resume_from_a_damaged_state_is_refused(cli, interrupted_run, lm_corpus, file, damage, fragment):
    damage(interrupted_run / "resume" / file)
    # The library's TrainConfig defaults, which the run started with: --resume refuses options that differ.
    result = cli("train", "lm", str(lm_corpus), "-o", str(interrupted_run), "--resume", *QUICK_LM, "--epochs", "3",
                 "--clip", "1.0", "--optimizer", "adam", "--lr", "0.001")
    one_line_error(result, 5, fragment)


# An undamaged copy is untouched by all this ----------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_an_undamaged_copy_loads_and_predicts_identically(cli, models, tmp_path, task):
    from safetensors.torch import load_file

    model = copy_of(models, task, tmp_path)
    original = cli("predict", "-m", str(models[task]), TEXT[task], "--json")
    copied = cli("predict", "-m", str(model), TEXT[task], "--json")
    assert original.exit_code == 0 and copied.exit_code == 0, original.stderr + copied.stderr
    assert json.loads(copied.stdout) == json.loads(original.stdout)
    net, _ = checkpoint.load(model)
    state = net.state_dict()
    for name, tensor in load_file(str(model / W)).items():  # every weight exactly as stored
        assert state[name].equal(tensor.float()), name
    assert cli("info", str(model), "--json").exit_code == 0
