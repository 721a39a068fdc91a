"""Translation through the CLI: train, predict, evaluate, resume, and every bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textrnn import checkpoint

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "corpora" / "en-fr" / "pairs-a.tsv"
TINY = ["--hidden-size", "16", "--embedding-size", "8", "--batch-size", "16", "--seed", "1", "-qq"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny translator trained once for this module on 120 real pairs (2 epochs, about a second)."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("translate")
    data = root / "pairs.tsv"
    data.write_text("".join(PAIRS.read_text(encoding="utf-8").splitlines(keepends=True)[:120]), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTRNN_CACHE", str(root / "cache"))
        result = CliRunner().invoke(app, ["train", "translate", str(data), "-o", str(root / "model"), "--epochs", "2",
                                          "--max-length", "12", *TINY])
    assert result.exit_code == 0, result.output
    return root / "model", data


def test_train_writes_a_translation_model(tiny_model):
    model, _ = tiny_model
    config = checkpoint.read_config(model)
    assert config["task"] == "translate" and config["model"]["kind"] == "seq2seq"
    assert set(config["vocabs"]) == {"source", "target"}
    assert config["tokenizers"]["source"]["lang"] == "en" and config["tokenizers"]["target"]["lang"] == "fr"
    assert config["training"]["data"]["max_length"] == 12 and "val_bleu" in config["metrics"]


def test_predict_stdin_lines_in_order(tiny_model, textrnn_proc, cli):
    model, _ = tiny_model
    lines = ["I am cold.", "She is tired.", "We are hungry."]
    proc = textrnn_proc("predict", "-m", str(model), "--json", "--beam", "3", input="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"] for r in results] == lines
    assert all(r["translation"] and "attention" not in r for r in results)
    plain = cli("predict", "-m", str(model), "--beam", "3", input="\n".join(lines) + "\n")
    assert plain.stdout.splitlines() == [r["translation"] for r in results]


def test_predict_json_with_attention_heat_table_and_plot(tiny_model, cli, tmp_path):
    model, _ = tiny_model
    result = cli("predict", "-m", str(model), "I am cold.", "--json", "--attention", "--beam", "1")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert len(out["attention"]) == len(out["tokens"])
    assert all(len(row) == len(out["source_tokens"]) == 4 and abs(sum(row) - 1) < 1e-2 for row in out["attention"])
    png = tmp_path / "align.png"
    shown = cli("predict", "-m", str(model), "I am cold.", "Go.", "--show-attention", "--plot", str(png))
    assert shown.exit_code == 0, shown.output
    assert "cold" in shown.stdout  # the source tokens head the heat table's columns
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "align-2.png").is_file()


def test_evaluate_reports_sacrebleu(tiny_model, cli):
    model, data = tiny_model
    result = cli("evaluate", str(model), str(data), "--beam", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sentences"] == 120 and 0 <= report["bleu"] <= 100 and 0 <= report["chrf"] <= 100
    assert "tok:13a" in report["bleu_signature"] and "case:mixed" in report["bleu_signature"]
    assert len(report["examples"]) == 5 and report["examples"][0]["reference"] == "J'ai froid."
    table = cli("evaluate", str(model), str(data), "--beam", "1")
    assert "BLEU\t" in table.stdout and "13a tokenization, case-sensitive" in table.stdout


def test_interrupt_then_resume_reaches_the_uninterrupted_weights(tiny_model, tmp_path):
    """Ctrl-C after epoch 1 (a KeyboardInterrupt from a callback), then resume: the same weights as one run."""
    from safetensors.torch import load_file

    from textrnn.tasks import translate
    from textrnn.training import Callback, Interrupted, TrainConfig

    class CtrlC(Callback):
        def on_epoch_end(self, epoch, record):
            raise KeyboardInterrupt

    _, data = tiny_model
    model = {"hidden_size": 16, "embedding_size": 8, "dropout": 0.3}
    config = translate.TranslateDataConfig(teacher_forcing=0.9, teacher_forcing_decay=0.2, valid_bleu_sentences=5)
    training = TrainConfig(epochs=3, batch_size=16, seed=2, patience=5)
    translate.train(str(data), tmp_path / "ref", model, config, training)
    with pytest.raises(Interrupted, match="--resume|epoch 1 is saved"):
        translate.train(str(data), tmp_path / "run", model, config, training, callbacks=[CtrlC()])
    assert (tmp_path / "run" / "resume" / "trainer.json").is_file()
    result = translate.train(str(data), tmp_path / "run", model, config, training, resume=True)
    assert [r["epoch"] for r in result.history] == [1, 2, 3]
    ref, got = (load_file(str(tmp_path / d / "model.safetensors")) for d in ("ref", "run"))
    assert ref.keys() == got.keys() and all((ref[k] - got[k]).abs().max().item() == 0.0 for k in ref)


def test_reverse_and_aligned_files(cli, tmp_path):
    lines = PAIRS.read_text(encoding="utf-8").splitlines()[:60]
    (tmp_path / "a.en").write_text("\n".join(l.split("\t")[0] for l in lines) + "\n", encoding="utf-8")
    (tmp_path / "a.fr").write_text("\n".join(l.split("\t")[1] for l in lines) + "\n", encoding="utf-8")
    result = cli("train", "translate", "--src-file", str(tmp_path / "a.en"), "--tgt-file", str(tmp_path / "a.fr"),
                 "-o", str(tmp_path / "m"), "--epochs", "1", "--reverse", *TINY)
    assert result.exit_code == 0, result.output
    config = checkpoint.read_config(tmp_path / "m")
    assert config["tokenizers"]["source"]["lang"] == "fr" and "froid" in (tmp_path / "m" / "vocab-source.json").read_text()


# Bad input: one line on stderr, a non-zero exit -------------------------------------------------

def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("textrnn: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_error_aligned_files_differ(cli, tmp_path):
    (tmp_path / "a.en").write_text("Go.\nHi.\nRun!\n", encoding="utf-8")
    (tmp_path / "a.fr").write_text("Va !\nSalut.\n", encoding="utf-8")
    result = cli("train", "translate", "--src-file", str(tmp_path / "a.en"), "--tgt-file", str(tmp_path / "a.fr"),
                 "-o", str(tmp_path / "m"))
    one_line_error(result, "has 3 lines", "has 2")
    assert result.exit_code == 4


def test_error_tsv_line_without_tab(cli, tmp_path):
    (tmp_path / "p.tsv").write_text("Go.\tVa !\nHi.\tSalut.\nRun! Cours !\n", encoding="utf-8")
    one_line_error(cli("train", "translate", str(tmp_path / "p.tsv"), "-o", str(tmp_path / "m")),
                   "p.tsv, line 3: no tab")


def test_error_empty_source_sentence(tiny_model, cli, tmp_path):
    model, _ = tiny_model
    one_line_error(cli("predict", "-m", str(model), "  "), "the source sentence is empty")
    result = cli("predict", "-m", str(model), input="I am cold.\n\nGo.\n")
    one_line_error(result, "input 2", "empty")
    (tmp_path / "p.tsv").write_text("Go.\tVa !\n\tSalut.\n", encoding="utf-8")
    one_line_error(cli("train", "translate", str(tmp_path / "p.tsv"), "-o", str(tmp_path / "m")),
                   "line 2: the source sentence is empty")


def test_long_sentence_is_truncated_with_a_note(tiny_model, cli):
    model, _ = tiny_model
    result = cli("predict", "-m", str(model), " ".join(["cold"] * 30) + ".", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["source_tokens"]) == 12
    assert "31 tokens; only the first 12 are translated" in result.stderr


def test_error_model_of_another_task(cli, lm_corpus, tmp_path, tiny_model):
    lm = tmp_path / "lm"
    trained = cli("train", "lm", str(lm_corpus), "-o", str(lm), "--hidden-size", "8", "--layers", "1", "--epochs", "1",
                  "--bptt", "5", "--batch-size", "4", "-q")
    assert trained.exit_code == 0, trained.output
    from textrnn.errors import WrongTaskError
    from textrnn.tasks import translate

    with pytest.raises(WrongTaskError, match="is a language model; this needs a translation model"):
        list(translate.predict(lm, ["I am cold."]))
    model, data = tiny_model
    one_line_error(cli("generate", "hello", "-m", str(model)), "is a translation model")


# Aligned validation and test files -------------------------------------------------------------

def split_pairs(tsv: Path, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write the pairs of `tsv` as two aligned files, stem.en and stem.fr."""
    lines = tsv.read_text(encoding="utf-8").splitlines()
    src, tgt = folder / f"{stem}.en", folder / f"{stem}.fr"
    src.write_text("".join(l.split("\t")[0] + "\n" for l in lines), encoding="utf-8")
    tgt.write_text("".join(l.split("\t")[1] + "\n" for l in lines), encoding="utf-8")
    return src, tgt


def test_train_with_aligned_validation_files(cli, tiny_model, tmp_path):
    _, data = tiny_model
    src, tgt = split_pairs(data, tmp_path, "valid")
    result = cli("train", "translate", str(data), "--valid-src", str(src), "--valid-tgt", str(tgt),
                 "-o", str(tmp_path / "m"), "--epochs", "1", "--max-length", "12", *TINY)
    assert result.exit_code == 0, result.output
    training = checkpoint.read_config(tmp_path / "m")["training"]
    assert training["valid_pairs"] == 120 and "valid.en" in training["valid"], training


def test_evaluate_aligned_files_as_a_pair_file(cli, tiny_model, tmp_path):
    model, data = tiny_model
    src, tgt = split_pairs(data, tmp_path, "test")
    paired = cli("evaluate", str(model), "--src-file", str(src), "--tgt-file", str(tgt), "--beam", "1", "--json")
    one_file = cli("evaluate", str(model), str(data), "--beam", "1", "--json")
    assert paired.exit_code == 0, paired.output
    got, want = json.loads(paired.stdout), json.loads(one_file.stdout)
    assert got["sentences"] == want["sentences"] == 120 and got["bleu"] == want["bleu"]


@pytest.mark.parametrize("args, fragment", [
    (["--valid-src", "S"], "--valid-src and --valid-tgt go together: --valid-tgt is missing"),
    (["--valid-tgt", "T"], "--valid-src and --valid-tgt go together: --valid-src is missing"),
    (["--valid", "V", "--valid-src", "S", "--valid-tgt", "T"], "give --valid or --valid-src with --valid-tgt, not both"),
])
def test_error_valid_pair_half_given(cli, tmp_path, args, fragment):
    result = cli("train", "translate", str(PAIRS), "-o", str(tmp_path / "m"), *args)
    one_line_error(result, fragment)
    assert result.exit_code == 2


def test_error_evaluate_pair_half_given_or_none(cli, tiny_model):
    model, _ = tiny_model
    one_line_error(cli("evaluate", str(model), "--tgt-file", "T"), "--src-file and --tgt-file go together")
    one_line_error(cli("evaluate", str(model)), "no evaluation data given")


def test_error_aligned_validation_and_test_files_differ(cli, tiny_model, tmp_path):
    model, data = tiny_model
    (tmp_path / "v.en").write_text("Go.\nHi.\nRun!\n", encoding="utf-8")
    (tmp_path / "v.fr").write_text("Va !\nSalut.\n", encoding="utf-8")
    pair = [str(tmp_path / "v.en"), str(tmp_path / "v.fr")]
    result = cli("train", "translate", str(data), "-o", str(tmp_path / "m"), "--valid-src", pair[0],
                 "--valid-tgt", pair[1], *TINY)
    one_line_error(result, "has 3 lines", "has 2")
    result = cli("evaluate", str(model), "--src-file", pair[0], "--tgt-file", pair[1])
    one_line_error(result, "has 3 lines", "has 2")
    assert result.exit_code == 4


def test_error_aligned_files_given_to_a_language_model(cli, tmp_path):
    (tmp_path / "a").write_text("Go.\n", encoding="utf-8")
    one_line_error(cli("evaluate", "everyday-english", "--src-file", str(tmp_path / "a"), "--tgt-file",
                       str(tmp_path / "a")), "is a language model; this needs a translation model")
