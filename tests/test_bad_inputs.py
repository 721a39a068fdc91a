"""Bad input text gives one line and an exit code, never a traceback: bytes that are not UTF-8 on stdin or in an
argument, and texts or corpora that normalize to nothing (spaces, a lone BOM, a zero-width space)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import QUICK_LM, one_line_error
from textrnn.data.decode import decode_arguments
from textrnn.errors import InputError
from textrnn.text import Normalizer, get_tokenizer
from textrnn.text.normalize import is_blank

LATIN1 = b"caf\xe9\n"  # "cafe" with an acute e, in Latin-1: not UTF-8
BLANKS = {"bom": "\ufeff", "zero-width space": "\u200b", "spaces": " \t "}
MODELS = ["everyday-english", "sentiment", "en-fr"]


# Undecodable bytes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
def test_predict_stdin_not_utf8_names_the_line_like_a_file(cli, model):
    result = cli("predict", "-m", model, input=b"I love\n" + LATIN1)
    one_line_error(result, 4, "<stdin>, line 2", "not valid UTF-8", "byte 0xe9", "--encoding-errors replace")


@pytest.mark.parametrize("model", ["sentiment", "en-fr"])
def test_predict_stdin_replace_puts_u_fffd_and_warns(cli, model):
    result = cli("predict", "-m", model, "--encoding-errors", "replace", "--json", "-q", input=b"I love it\n" + LATIN1)
    assert result.exit_code == 0, result.output
    assert "caf\ufffd" in result.stdout and len(result.stdout.splitlines()) == 2
    assert "1 line(s) had invalid UTF-8, replaced with U+FFFD" in result.stderr


@pytest.mark.parametrize("args", [("generate", "-n", "3"), ("tokenize",), ("tokenize", "-"),
                                  ("evaluate", "everyday-english", "-")])
def test_other_stdin_readers_refuse_bytes_that_are_not_utf8(cli, args):
    one_line_error(cli(*args, input=LATIN1), 4, "<stdin>, line 1", "not valid UTF-8")


def test_tokenize_stdin_replace(cli):
    result = cli("tokenize", "-t", "whitespace", "--encoding-errors", "replace", input=LATIN1)
    assert result.exit_code == 0 and result.stdout == "caf\ufffd\n", result.output


def test_undecodable_stdin_in_a_real_process_is_one_line():
    """As a user's shell gives it: real bytes through a pipe into `textrnn predict`."""
    proc = subprocess.run([sys.executable, "-m", "textrnn", "predict"], input=LATIN1, capture_output=True,
                          timeout=120)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    one_line_error(result, 4, "<stdin>, line 1", "not valid UTF-8")


def test_argument_not_utf8_is_refused_naming_it():
    """argv bytes reach Python as lone surrogates (PEP 383); spaCy used to crash on them."""
    arg = LATIN1.strip().decode("utf-8", "surrogateescape")
    proc = subprocess.run([sys.executable, "-m", "textrnn", "predict", "I love", arg], capture_output=True,
                          text=True, timeout=120)
    one_line_error(proc, 2, "argument 2", "not valid UTF-8", "byte 0xe9 at column 4")


def test_argument_not_utf8_replaced_on_request(cli):
    arg = LATIN1.strip().decode("utf-8", "surrogateescape")
    result = cli("tokenize", "-t", "whitespace", "--encoding-errors", "replace", "ok", arg)
    assert result.exit_code == 0 and result.stdout == "ok\ncaf\ufffd\n", result.output
    assert "argument 2 had invalid UTF-8" in result.stderr


def test_unknown_encoding_errors_value_lists_the_valid_ones(cli):
    one_line_error(cli("tokenize", "hi", "--encoding-errors", "ignore"), 2, "'ignore'", "replace, strict")


def test_decode_arguments_keeps_valid_escapes_and_refuses_lone_surrogates():
    escaped = "caf\u00e9".encode().decode("ascii", "surrogateescape")  # valid UTF-8 bytes, escaped one by one
    assert list(decode_arguments([escaped])) == ["caf\u00e9"]
    with pytest.raises(InputError, match="argument 1: not valid Unicode"):
        list(decode_arguments(["a\ud800"]))
    with pytest.warns(UserWarning, match="argument 1 had invalid UTF-8"):
        assert list(decode_arguments(["a\ud800"], "replace")) == ["a\ufffd"]


@pytest.mark.parametrize("name", ["spacy", "nltk", "char", "whitespace"])
def test_every_tokenizer_survives_a_lone_surrogate(name):
    """The library is called with any str: lone surrogates become U+FFFD before a C tokenizer sees them."""
    assert "\ufffd" in "".join(get_tokenizer(name)("caf\udce9 ok"))


# Texts that normalize to nothing ----------------------------------------------------------------

@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
def test_is_blank_agrees_with_the_normalizer(blank):
    assert is_blank(blank) and Normalizer()(blank) == ""
    assert not is_blank(blank + "a") and Normalizer()("a" + blank + "b") in ("ab", "a b")


@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
@pytest.mark.parametrize("command,fragment", [("predict", "the prompt is empty"),
                                              ("generate", "the prompt is empty")])
def test_blank_prompt_is_an_empty_prompt(cli, blank, command, fragment):
    one_line_error(cli(command, blank), 2, fragment)


@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
def test_blank_source_sentence_is_refused(cli, blank):
    one_line_error(cli("predict", "-m", "en-fr", blank), 2, "the source sentence is empty")


@pytest.mark.parametrize("blank", BLANKS.values(), ids=BLANKS.keys())
def test_blank_line_in_predict_input_names_it(cli, blank):
    result = cli("predict", "-k", "1", input=f"I love\n{blank}\nThe weather\n".encode())
    one_line_error(result, 2, "the prompt (input 2) is empty")
    assert len(result.stdout.splitlines()) == 1  # the first line was answered before


def test_blank_line_for_a_classifier_gets_the_empty_text_note(cli):
    """A classifier answers an empty text with its guess and a note (see test_classify); a BOM is empty too."""
    result = cli("predict", "-m", "sentiment", "--json", input="I loved it\n\ufeff\n".encode())
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2, result.output
    assert "the text is empty" in result.stderr


def test_blank_line_in_a_generate_filter_starts_a_line_as_an_empty_one_does(cli):
    result = cli("generate", "-n", "4", "--seed", "1", input="I love\n\u200b\n\nThe weather\n".encode())
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 4, result.output


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", "\u200b\n".encode(), b"  \n\t\n", "\ufeff\n\u200b \n".encode()],
                         ids=["bom", "zero-width", "spaces", "mixed"])
@pytest.mark.parametrize("task", ["lm", "classify", "translate"])
def test_blank_corpus_is_an_empty_corpus(cli, tmp_path, content, task):
    corpus = tmp_path / "blank.txt"
    corpus.write_bytes(content)
    extra = QUICK_LM if task == "lm" else ["--epochs", "1"]
    result = cli("train", task, str(corpus), "-o", str(tmp_path / "model"), *extra)
    one_line_error(result, 4, "blank.txt", "no sentence pairs" if task == "translate" else "the corpus is empty")
    assert not (tmp_path / "model").exists()


def test_blank_corpus_on_stdin(cli, tmp_path):
    result = cli("train", "lm", "-", "-o", str(tmp_path / "model"), *QUICK_LM, input="\ufeff\n \n".encode())
    one_line_error(result, 4, "the corpus is empty", "only blanks")


@pytest.mark.parametrize("model", ["everyday-english", "sentiment"])
def test_evaluate_on_a_blank_corpus(cli, tmp_path, model):
    corpus = tmp_path / "blank.txt"
    corpus.write_text(" \n\u200b\n", encoding="utf-8")
    one_line_error(cli("evaluate", model, str(corpus)), 4, "the corpus is empty")


# Empty translation data --------------------------------------------------------------------------

@pytest.mark.parametrize("content", ["", "source\ttarget\n", "\n\n", "\ufeff\t\u200b\n"],
                         ids=["empty", "header only", "blank lines", "blank sides"])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_translation_file_without_pairs(cli, tmp_path, content, command):
    data = tmp_path / "pairs.tsv"
    data.write_text(content, encoding="utf-8")
    args = ["train", "translate", str(data), "-o", str(tmp_path / "m"), "--epochs", "1"] if command == "train" \
        else ["evaluate", "en-fr", str(data)]
    one_line_error(cli(*args), 4, "pairs.tsv: no sentence pairs", "source<TAB>target")


@pytest.mark.parametrize("src,tgt,fragments", [
    ("", "", ("no sentence pairs", "one sentence per line")),
    ("\n \n", "\ufeff\n\n", ("no sentence pairs",)),
    ("a\nb\n", "a\n", ("differ in length", "has 2 lines", "has 1")),
    ("", "a\n", ("differ in length", "has 0 lines")),
])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_aligned_files_empty_or_of_different_lengths(cli, tmp_path, src, tgt, fragments, command):
    (tmp_path / "src.txt").write_text(src, encoding="utf-8")
    (tmp_path / "tgt.txt").write_text(tgt, encoding="utf-8")
    files = ["--src-file", str(tmp_path / "src.txt"), "--tgt-file", str(tmp_path / "tgt.txt")]
    args = ["train", "translate", *files, "-o", str(tmp_path / "m"), "--epochs", "1"] if command == "train" \
        else ["evaluate", "en-fr", *files]
    one_line_error(cli(*args), 4, *fragments)
