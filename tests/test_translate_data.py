"""Parallel data: reading pairs from every layout, the errors that name the line, batching by length."""

from __future__ import annotations

import json

import pytest

from textrnn.data.translate import (ParallelSource, bucket_batches, collate, load_pairs, read_pairs,
                                    tokenize_pairs, within_length)
from textrnn.errors import ColumnError, CorpusError, CorpusNotFound
from textrnn.text import get_tokenizer
from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_takes_two_columns_skips_header_and_blank_lines(tmp_path):
    # The manythings layout of newer releases has a third, attribution column: it is ignored.
    f = write(tmp_path / "p.tsv", "English\tFrench\nGo.\tVa !\tCC-BY 2.0 (France) Attribution\n\nHi.\tSalut.\n")
    assert list(read_pairs(ParallelSource(str(f)))) == [("Go.", "Va !"), ("Hi.", "Salut.")]
    assert list(read_pairs(ParallelSource(str(f), reverse=True))) == [("Va !", "Go."), ("Salut.", "Hi.")]


def test_line_without_tab_names_the_line(tmp_path):
    f = write(tmp_path / "p.tsv", "Go.\tVa !\nHi. Salut.\n")
    with pytest.raises(CorpusError, match=r"p.tsv, line 2: no tab"):
        list(read_pairs(ParallelSource(str(f))))


def test_empty_source_sentence_names_the_line(tmp_path):
    f = write(tmp_path / "p.tsv", "Go.\tVa !\n \tSalut.\n")
    with pytest.raises(CorpusError, match=r"line 2: the source sentence is empty"):
        list(read_pairs(ParallelSource(str(f))))


def test_aligned_files_and_their_length_mismatch(tmp_path):
    src, tgt = write(tmp_path / "a.en", "Go.\nHi.\n"), write(tmp_path / "a.fr", "Va !\nSalut.\n")
    assert list(read_pairs(ParallelSource(src_file=str(src), tgt_file=str(tgt)))) == [("Go.", "Va !"),
                                                                                      ("Hi.", "Salut.")]
    write(tgt, "Va !\nSalut.\nCours !\n")
    with pytest.raises(CorpusError, match=r"a.en has 2 lines, .*a.fr has 3"):
        list(read_pairs(ParallelSource(src_file=str(src), tgt_file=str(tgt))))
    with pytest.raises(CorpusNotFound):
        list(read_pairs(ParallelSource(src_file=str(src), tgt_file=str(tmp_path / "nope"))))
    with pytest.raises(CorpusError, match="both"):
        ParallelSource(src_file=str(src))


def test_jsonl_by_language_code_and_hf_translation_layout(tmp_path):
    f = write(tmp_path / "p.jsonl", json.dumps({"en": "Go.", "fr": "Va !"}) + "\n")
    assert list(read_pairs(ParallelSource(str(f)), ("en", "fr"))) == [("Go.", "Va !")]
    g = write(tmp_path / "t.jsonl", json.dumps({"translation": {"en": "Hi.", "fr": "Salut."}}) + "\n")
    assert list(read_pairs(ParallelSource(str(g)), ("en", "fr"))) == [("Hi.", "Salut.")]
    with pytest.raises(ColumnError, match="columns found: en, fr"):
        list(read_pairs(ParallelSource(str(f), src_column="english")))


def test_hf_source_reads_a_local_dataset_folder(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    write(folder / "train.jsonl", json.dumps({"translation": {"en": "Go.", "fr": "Va !"}}) + "\n")
    assert list(read_pairs(ParallelSource(f"hf:{folder}"), ("en", "fr"))) == [("Go.", "Va !")]


def test_folder_of_tsv_files_and_bundled_corpus_name(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    write(folder / "b.tsv", "Hi.\tSalut.\n")
    write(folder / "a.tsv", "Go.\tVa !\n")
    assert list(read_pairs(ParallelSource(str(folder)))) == [("Go.", "Va !"), ("Hi.", "Salut.")]
    bundled = list(read_pairs(ParallelSource("en-fr")))
    assert len(bundled) > 4000 and ("I am cold.", "J'ai froid.") in bundled


def test_pairs_are_cached_and_a_changed_file_is_read_again(tmp_path):
    f = write(tmp_path / "p.tsv", "Go.\tVa !\n")
    en, fr = get_tokenizer("spacy", "en"), get_tokenizer("spacy", "fr")
    ds = tokenize_pairs(load_pairs(ParallelSource(str(f))), en, fr)
    assert ds["src_tokens"][0] == ["Go", "."] and ds["tgt_tokens"][0] == ["Va", "!"]
    write(f, "I'm cold.\tJ'ai froid.\nGo.\tVa !\n")
    ds = tokenize_pairs(load_pairs(ParallelSource(str(f))), en, fr)
    assert ds["tgt_tokens"][0] == ["J'", "ai", "froid", "."] and len(ds) == 2


def test_length_filter():
    src, tgt = [["a"] * 3, ["a"] * 6, ["a"]], [["b"] * 2, ["b"], ["b"] * 9]
    assert within_length(src, tgt, 5) == [0]


def test_bucket_batches_cover_everything_once_and_follow_the_seed():
    lengths = [i % 17 for i in range(500)]
    batches = bucket_batches(lengths, 16, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(500))
    assert batches == bucket_batches(lengths, 16, seed=3) != bucket_batches(lengths, 16, seed=4)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 3  # batches hold sentences of similar length
    fixed = bucket_batches(lengths, 16)
    assert [lengths[i] for b in fixed for i in b] == sorted(lengths)


def test_collate_layout():
    b = collate([[5, 6, 7], [8]], [[9], [10, 11]], teacher_forcing=0.7)
    assert b["src"].tolist() == [[5, 6, 7], [8, PAD_ID, PAD_ID]] and b["src_len"].tolist() == [3, 1]
    assert b["tgt_in"].tolist() == [[BOS_ID, 9, PAD_ID], [BOS_ID, 10, 11]]
    assert b["tgt_out"].tolist() == [[9, EOS_ID, PAD_ID], [10, 11, EOS_ID]]
    assert b["ntokens"] == 5 and b["teacher_forcing"] == 0.7


def test_tatoeba_file_reads_whole(shared_data):
    pairs = list(read_pairs(ParallelSource(str(shared_data / "eng-fra" / "fra.txt"))))
    assert len(pairs) == 142_787 and pairs[0] == ("Go.", "Va !")


def test_french_output_keeps_inversions_joined():
    """spaCy splits "Avez-vous" into "Avez" "-vous"; the French detokenizer must join them back."""
    fr = get_tokenizer("spacy", "fr")
    for text in ("Avez-vous faim ?", "Est-ce que tu viens ?", "Va-t-il venir ?", "Où vas-tu ?"):
        assert fr.detokenize(fr(text)) == text
