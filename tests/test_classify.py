"""Classification end to end: train through the CLI, predict, evaluate, resume, word vectors; every bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from conftest import one_line_error as _error, run_textrnn

HAM = ["see you at the station at {n}", "can you pick up some bread on the way home", "running late , sorry",
       "are we still on for dinner tonight", "thanks for the lift yesterday", "call me when you land",
       "mum says hi , lunch on sunday ?", "the meeting moved to {n} tomorrow", "ok no rush", "love you , night"]
SPAM = ["WINNER ! claim your free prize now , text WIN to {n}", "URGENT : your account has won a cash award call {n}",
        "free entry in our weekly draw , txt GO to {n}", "you have been selected for a free holiday call {n} now",
        "claim your free ringtone , reply YES to {n}", "congratulations ! you won a free phone , call {n}"]
COMMON = ["--tokenizer", "whitespace", "--hidden-size", "16", "--batch-size", "8", "--seed", "3", "-qq"]
TINY = [*COMMON, "--embedding-size", "16"]


def _messages(n: int = 120, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "spam" if i % 3 == 0 else "ham"
        text = rng.choice(SPAM if label == "spam" else HAM).format(n=rng.randint(10000, 99999))
        rows.append((label, text))
    return rows


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A headerless label<TAB>text file, as ../shared/data/sms-spam/train.tsv is."""
    path = tmp_path_factory.mktemp("clsdata") / "messages.tsv"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in _messages()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory, data) -> Path:
    """One small classifier, trained once for the module through the real CLI with no column options."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("cls")
    result = CliRunner().invoke(app, ["train", "classify", str(data), "-o", str(root / "model"), "--epochs", "4",
                                      "--lr", "0.01", *TINY], env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "model"


def test_training_writes_a_complete_model_directory(model):
    names = {p.name for p in model.iterdir()}
    assert {"config.json", "vocab.json", "model.safetensors", "metrics.jsonl", "loss.png"} <= names
    assert "resume" not in names
    config = json.loads((model / "config.json").read_text())
    assert config["task"] == "classify" and config["model"]["kind"] == "classifier"
    assert config["labels"] == ["ham", "spam"] and config["model"]["num_labels"] == 2
    assert (config["training"]["text_column"], config["training"]["label_column"]) == ("1", "0")
    assert config["training"]["label_counts"] == {"ham": 72, "spam": 36}  # 90% of 80 ham / 40 spam, stratified
    assert config["training"]["valid_examples"] == 12 and config["training"]["epochs_run"] >= 1
    assert set(config["metrics"]["valid_per_class"]) == {"ham", "spam"}
    epochs = [json.loads(line) for line in (model / "metrics.jsonl").read_text().splitlines()]
    assert {"val_macro_f1", "val_accuracy", "val_f1_ham", "val_f1_spam", "val_loss"} <= set(epochs[0])
    assert max(e["val_macro_f1"] for e in epochs) == 1.0  # an easy task, learned


def test_predict_gives_the_label_and_every_probability(cli, model):
    result = cli("predict", "-m", str(model), "WINNER ! claim your free prize now , text WIN to 80080",
                 "see you at the station at six")
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    label, p, ham, spam = first.split("\t")
    assert label == "spam" and float(p) > 0.5 and spam == f"spam={float(p):.4f}" and ham.startswith("ham=")
    assert second.startswith("ham\t")
    result = cli("predict", "-m", str(model), "free entry in our weekly draw", "--json")
    row = json.loads(result.stdout)
    assert row["label"] == "spam" and abs(sum(row["probabilities"].values()) - 1) < 1e-5
    assert row["probability"] == row["probabilities"]["spam"]


def test_many_stdin_lines_come_back_one_each_in_order(model):
    """A real pipe of 1,500 lines: batched inside, yet one result per line, in input order."""
    rows = _messages(1500, seed=9)
    proc = run_textrnn("predict", "-m", str(model), input="".join(text + "\n" for _, text in rows))
    assert proc.returncode == 0, proc.stderr
    got = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert got == [label for label, _ in rows]


def test_empty_line_among_texts_gets_a_result_and_a_note(cli, model):
    result = cli("predict", "-m", str(model), "--json", input="ok no rush\n\ncall me when you land\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["ok no rush", "", "call me when you land"]
    assert "the text is empty" in result.stderr


def test_evaluate_reports_per_class_figures_and_confusion(cli, model, tmp_path):
    test = tmp_path / "test.tsv"
    test.write_text("".join(f"{label}\t{text}\n" for label, text in _messages(30, seed=5)), encoding="utf-8")
    result = cli("evaluate", str(model), str(test), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == 30 and report["labels"] == ["ham", "spam"]
    assert report["accuracy"] == 1.0 and report["confusion"] == [[20, 0], [0, 10]]
    assert report["per_class"]["spam"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 10}
    plain = cli("evaluate", str(model), str(test))
    assert "accuracy\t1.0000" in plain.stdout and "ham\t20\t0" in plain.stdout and "spam\t0\t10" in plain.stdout


def test_evaluation_table_in_a_terminal(model, tmp_path):
    """The Rich rendering: summary, per-class table and the confusion matrix."""
    from rich.console import Console

    from textrnn.tasks import classify
    from textrnn_cli.output import Output
    from textrnn_cli.render import renderer

    test = tmp_path / "t.tsv"
    test.write_text("ham\tok no rush\nspam\tclaim your free ringtone , reply YES to 12345\nham\tfree entry\n")
    result = classify.evaluate(model, str(test))
    out = Output()
    out.rich, out.console = True, Console(record=True, width=100)
    renderer("classify").evaluation(result, out)
    text = out.console.export_text()
    assert "Confusion matrix" in text and "Per class" in text and "macro" in text
    assert result["confusion"][0][1] == 1  # "free entry" (ham here) reads as spam: one error, shown in the matrix


def test_sst2_style_label_space_lines_train_without_options(cli, tmp_path):
    lines = [f"1 {t}" for t in ("a wonderful , moving film", "great acting and a fine story", "i loved it")] + \
            [f"0 {t}" for t in ("a dull , tired mess", "boring and far too long", "i hated it")]
    train = tmp_path / "stsa.binary.train"
    train.write_text("\n".join(lines * 8) + "\n", encoding="utf-8")
    result = cli("train", "classify", str(train), "-o", str(tmp_path / "m"), "--epochs", "2", *TINY)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["labels"] == ["0", "1"] and config["training"]["layout"] == "label-space"


def test_class_weights_and_options_reach_the_model(cli, data, tmp_path):
    result = cli("train", "classify", str(data), "-o", str(tmp_path / "m"), "--epochs", "1", "--class-weights",
                 "--cell", "gru", "--pooling", "attention", "--no-bidirectional", "--layers", "2",
                 "--max-length", "5", "--word-dropout", "0.2", *TINY)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    m = config["model"]
    assert (m["cell"], m["pooling"], m["bidirectional"], m["num_layers"]) == ("gru", "attention", False, 2)
    assert m["word_dropout"] == 0.2
    assert m["class_weights"] == pytest.approx([108 / (2 * 72), 108 / (2 * 36)])
    assert config["training"]["data"]["max_length"] == 5


def test_pretrained_word_vectors_initialise_the_embedding(cli, data, tmp_path):
    from safetensors.torch import load_file

    from textrnn.text import Vocab

    vectors = tmp_path / "vectors.txt"
    vectors.write_text("free 0.5 -0.5 0.25 1\nwin 1 1 1 1\nstation -1 0 0 2\nunrelated 3 3 3 3\n")
    out = tmp_path / "m"
    # A learning rate so small that one epoch leaves the initial vectors in place.
    result = cli("train", "classify", str(data), "-o", str(out), "--embeddings", str(vectors), "--epochs", "1",
                 "--lr", "1e-9", *COMMON)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["embedding_size"] == 4 and config["training"]["embeddings"]["dim"] == 4
    vocab = Vocab.load(out / "vocab.json")
    weight = load_file(str(out / "model.safetensors"))["embedding.weight"]
    assert weight[vocab.stoi["free"]].tolist() == pytest.approx([0.5, -0.5, 0.25, 1], abs=1e-5)
    assert weight[vocab.stoi["WIN"]].tolist() == pytest.approx([1, 1, 1, 1], abs=1e-5)  # found lowercased
    bad = cli("train", "classify", str(data), "-o", str(tmp_path / "m2"), "--embeddings", str(vectors), *TINY)
    _error(bad, 2, "--embedding-size 16 does not match the 4 dimensions")


def test_interrupt_then_resume_reaches_the_uninterrupted_weights(data, tmp_path):
    """Ctrl-C after epoch 1 (a KeyboardInterrupt from a callback), then resume: the same weights as one run."""
    from safetensors.torch import load_file

    from textrnn.tasks import classify
    from textrnn.training import Callback, Interrupted, TrainConfig

    class CtrlC(Callback):
        def on_epoch_end(self, epoch, record):
            raise KeyboardInterrupt

    model = {"hidden_size": 8, "embedding_size": 8, "word_dropout": 0.1}
    config = classify.ClassifyDataConfig(tokenizer="whitespace")
    training = TrainConfig(epochs=3, batch_size=16, seed=2, patience=5)
    classify.train(str(data), tmp_path / "ref", model, config, training)
    with pytest.raises(Interrupted, match="epoch 1 is saved"):
        classify.train(str(data), tmp_path / "run", model, config, training, callbacks=[CtrlC()])
    assert (tmp_path / "run" / "resume" / "trainer.json").is_file()
    result = classify.train(str(data), tmp_path / "run", model, config, training, resume=True)
    assert [r["epoch"] for r in result.history] == [1, 2, 3]
    ref, got = (load_file(str(tmp_path / d / "model.safetensors")) for d in ("ref", "run"))
    assert ref.keys() == got.keys() and all((ref[k] - got[k]).abs().max().item() == 0.0 for k in ref)


# Bad input: one line on stderr, a non-zero exit -------------------------------------------------------

def _train(cli, path, tmp_path, *extra):
    return cli("train", "classify", str(path), "-o", str(tmp_path / "out"), "--epochs", "1", *TINY, *extra)


def test_error_missing_column_lists_the_columns(cli, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("text,label\nhello,a\nbye,b\n")
    _error(_train(cli, csv, tmp_path, "--label-column", "stars"), 4, "no column 'stars'", "columns found: text, label")
    plain = tmp_path / "plain.txt"
    plain.write_text("some text\nwith no labels at all\nat all\n")
    _error(_train(cli, plain, tmp_path), 4, "no label column found; columns found: text", "--label-column")


def test_error_single_class(cli, tmp_path):
    one = tmp_path / "one.tsv"
    one.write_text("ham\thello\nham\tbye\nham\tsee you\n")
    _error(_train(cli, one, tmp_path), 2, "every row has the label 'ham' (3 rows)", "two or more labels")


def test_error_empty_texts(cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": "", "label": "a"}\n{"text": "  ", "label": "b"}\n')
    _error(_train(cli, empty, tmp_path), 4, "every labelled row has an empty text (2 rows)")


def test_rows_without_a_label_are_counted_and_left_out(cli, data, tmp_path):
    gaps = tmp_path / "gaps.jsonl"
    rows = [{"text": t, "label": lab} for lab, t in _messages(60)] + [{"text": "no label", "label": None}] * 3
    gaps.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _train(cli, gaps, tmp_path)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "3 of 63 rows have no label" in result.stderr
    assert "they were left out" in result.stderr
    none = tmp_path / "none.jsonl"
    none.write_text('{"text": "a", "label": ""}\n{"text": "b"}\n')
    _error(_train(cli, none, tmp_path / "x"), 4, "none of the 2 rows has a label")


def test_error_line_that_does_not_split(cli, tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("ham\thello\nspam\twin\tnow\n")
    _error(_train(cli, tsv, tmp_path), 4, "line 2: expected 2 tab-separated columns, found 3")
    sst = tmp_path / "bad.txt"
    sst.write_text("1 good\n0 bad\n1\n")
    _error(_train(cli, sst, tmp_path, "--format", "label-space"), 4, "line 3: expected a label, a space and the text")


def test_error_model_of_another_task(cli, model, tmp_path, lm_corpus):
    from textrnn.tasks import classify, lm
    from textrnn.errors import WrongTaskError
    from textrnn.training import TrainConfig

    lm_dir = tmp_path / "lm"
    lm.train(str(lm_corpus), lm_dir, {"hidden_size": 8, "embedding_size": 8, "num_layers": 1},
             lm.LMDataConfig(tokenizer="whitespace", bptt=5), TrainConfig(epochs=1, batch_size=4))
    with pytest.raises(WrongTaskError, match="is a language model; this needs a classifier"):
        list(classify.predict(lm_dir, ["hello"]))
    _error(cli("train", "classify", str(lm_corpus), "-o", str(lm_dir), "--resume", *TINY), 5,
           "is a language model; this needs a classifier")


def test_error_unknown_labels_in_evaluation_data(cli, model, tmp_path):
    other = tmp_path / "other.tsv"
    other.write_text("pos\tlovely\nneg\tawful\n")
    _error(cli("evaluate", str(model), str(other)), 2, "labels the model does not know: neg, pos",
           "the model's labels: ham, spam")


def test_error_unknown_pooling_and_format(cli, data, tmp_path):
    _error(_train(cli, data, tmp_path, "--pooling", "sum"), 2, "unknown pooling 'sum'", "attention, concat, last, max, mean")
    _error(_train(cli, data, tmp_path, "--format", "xml"), 2, "unknown format 'xml'", "label-space")


def test_error_resume_without_state(cli, data, tmp_path):
    _error(_train(cli, data, tmp_path, "--resume"), 8, "nothing to resume")


def test_fold_digits_is_kept_with_the_model_and_used_at_prediction(cli, data, tmp_path):
    from textrnn.data.classify import fold_digits
    from textrnn.tasks.classifier_runner import ClassifierRunner

    assert fold_digits(["08712460324", "£1500", "2nite", "ok"]) == ["00000000000", "£0000", "0nite", "ok"]
    out = tmp_path / "m"
    result = cli("train", "classify", str(data), "-o", str(out), "--epochs", "2", "--lr", "0.01", "--fold-digits",
                 *TINY)
    assert result.exit_code == 0, result.output
    vocab = json.loads((out / "vocab.json").read_text())["tokens"]
    assert "00000" in vocab and not any(ch.isdigit() and ch != "0" for t in vocab for ch in t)
    runner = ClassifierRunner(out)
    assert runner.fold_digits
    (row,) = runner.classify(["98765"])  # unseen as such, yet known once folded
    assert row["notes"] == []


def test_help_shows_an_example_and_the_classification_options(cli):
    result = cli("train", "classify", "--help")
    assert result.exit_code == 0
    for option in ("Example:", "--text-column", "--label-column", "--format", "--pooling", "--embeddings",
                   "--class-weights", "--subwords", "--resume"):
        assert option in result.stdout, option


@pytest.mark.parametrize("streaming", [[], ["--streaming"]])
def test_hf_dataset_with_class_labels_trains(cli, tmp_path, streaming):
    """`hf:` data: a local dataset saved by `datasets`, its integer labels named by a ClassLabel feature; read
    whole or streamed into the corpus cache."""
    import datasets

    rows = _messages(60)
    features = datasets.Features({"sms": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["ham", "spam"])})
    ds = datasets.Dataset.from_dict({"sms": [t for _, t in rows], "label": [int(lab == "spam") for lab, _ in rows]},
                                    features=features)
    (tmp_path / "ds").mkdir()
    ds.to_parquet(str(tmp_path / "ds" / "train.parquet"))
    result = cli("train", "classify", f"hf:{tmp_path / 'ds'}", "-o", str(tmp_path / "m"), "--epochs", "1", *TINY,
                 *streaming, env={"TEXTRNN_CACHE": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["labels"] == ["ham", "spam"] and config["training"]["text_column"] == "sms"
    streamed_rows = list((tmp_path / "cache" / "corpora").glob("rows-*.arrow"))  # only streaming writes rows
    assert bool(streamed_rows) == bool(streaming)


def test_prediction_tables_in_a_narrow_terminal(model):
    """Rich tables: one text gets a bar per label; many texts a row each, the text cut so every figure fits."""
    from rich.console import Console

    from textrnn.tasks import classify
    from textrnn_cli.output import Output
    from textrnn_cli.render import renderer

    def draw(texts):
        out = Output()
        out.rich, out.console = True, Console(record=True, width=80)
        renderer("classify").predictions(classify.predict(model, texts), out)
        return out.console.export_text()

    one = draw(["claim your free ringtone , reply YES to 12345"])
    assert "spam" in one and "ham" in one and "█" in one
    many = draw(["see you at the station at six " * 5, "free entry in our weekly draw"])
    assert "p(ham)" in many and "p(spam)" in many and "…" in many
    assert all(len(line) <= 80 for line in many.splitlines())


def test_subwords_and_concat_pooling_are_kept_with_the_model_and_used_at_prediction(cli, data, tmp_path):
    from textrnn.tasks.classifier_runner import ClassifierRunner

    out = tmp_path / "m"
    result = cli("train", "classify", str(data), "-o", str(out), "--epochs", "2", "--lr", "0.01", "--subwords",
                 "2000", "--pooling", "concat", *TINY)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())["model"]
    assert config["subword_buckets"] == 2000 and config["pooling"] == "concat"
    runner = ClassifierRunner(out)
    a, b = runner.classify(["WINNERR claimm"]), runner.classify(["qqqq zzzz"])  # every word unseen
    assert a[0]["probabilities"] != b[0]["probabilities"]  # the n-grams still tell them apart
    result = cli("evaluate", str(out), str(data), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["examples"] == 120
    _error(_train(cli, data, tmp_path, "--subwords", "-5"), 2, "subword buckets")
