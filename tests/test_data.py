"""Corpus readers and the tokenized-corpus cache, on real files the tests write."""

from __future__ import annotations

import json

import pytest

from textrnn.data.corpus import load_corpus, pick_column, tokenize_corpus
from textrnn.data.sources import Source, read_rows
from textrnn.errors import ColumnError, CorpusError, CorpusNotFound, HubError
from textrnn.text import get_tokenizer


def test_txt_lines_with_bom_and_crlf(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfFirst line\r\nSecond line\r\n")
    assert [r["text"] for r in read_rows(Source(str(path)))] == ["First line", "Second line"]


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nstill ok\ncaf\xe9 au lait\n")
    with pytest.raises(CorpusError, match=r"bad.txt, line 3: not valid UTF-8"):
        list(read_rows(Source(str(path))))


def test_invalid_utf8_replaced_with_a_warning(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9\n")
    with pytest.warns(UserWarning, match="1 line"):
        rows = list(read_rows(Source(str(path), errors="replace")))
    assert rows == [{"text": "caf\ufffd"}]


def test_tsv_without_header_and_csv_with_header(tmp_path):
    tsv = tmp_path / "d.tsv"
    tsv.write_text("ham\tsee you at 5\nspam\tWIN a prize\n", encoding="utf-8")
    assert list(read_rows(Source(str(tsv)))) == [{"0": "ham", "1": "see you at 5"}, {"0": "spam", "1": "WIN a prize"}]
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('text,label\n"Hello, there",pos\nawful,neg\n', encoding="utf-8")
    assert list(read_rows(Source(str(csv_path)))) == [{"text": "Hello, there", "label": "pos"},
                                                      {"text": "awful", "label": "neg"}]


def test_a_line_with_the_wrong_number_of_columns_is_named(tmp_path):
    tsv = tmp_path / "d.tsv"
    tsv.write_text("ham\tfine\nspam no tab here\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line 2: expected 2 tab-separated columns, found 1"):
        list(read_rows(Source(str(tsv))))


def test_jsonl_and_bad_json_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "good", "label": 1}\n{"text": "bad"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="line 2: not valid JSON"):
        list(read_rows(Source(str(path))))  # found while the columns are gathered, before any row is yielded
    path.write_text('{"text": "good", "label": 1}\n', encoding="utf-8")
    assert list(read_rows(Source(str(path)))) == [{"text": "good", "label": "1"}]


def test_folder_of_label_folders(tmp_path):
    for label, texts in {"pos": ["great", "lovely"], "neg": ["awful"]}.items():
        (tmp_path / label).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t, encoding="utf-8")
    rows = list(read_rows(Source(str(tmp_path))))
    assert rows == [{"text": "awful", "label": "neg"}, {"text": "great", "label": "pos"},
                    {"text": "lovely", "label": "pos"}]


def test_folder_of_text_files_reads_lines(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("three\n", encoding="utf-8")
    assert [r["text"] for r in read_rows(Source(str(tmp_path)))] == ["one", "two", "three"]
    assert [r["text"] for r in read_rows(Source(str(tmp_path), documents=True))] == ["one\ntwo", "three"]


def test_gutenberg_header_and_footer_are_dropped(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("The Project Gutenberg EBook of X\nLicense blah\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n"
                    "Chapter 1\nIt was a dark night.\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***\nMore license\n",
                    encoding="utf-8")
    assert [r["text"] for r in read_rows(Source(str(path)))] == ["Chapter 1", "It was a dark night."]


def test_missing_and_empty_corpus(tmp_path):
    with pytest.raises(CorpusNotFound):
        load_corpus(str(tmp_path / "nope.txt"))
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(str(tmp_path / "empty.txt"))


def test_pick_column_by_name_or_index_lists_columns(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("ham\thello\n", encoding="utf-8")
    ds = load_corpus(str(path))
    assert pick_column(ds, "1") == "1" and pick_column(ds, 0) == "0"
    with pytest.raises(ColumnError, match="columns found: 0, 1"):
        pick_column(ds, "text")


def test_tokenized_corpus_is_cached(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    path.write_text("Hello there, friend.\nSecond line!\n", encoding="utf-8")
    tok = get_tokenizer("spacy")
    first = tokenize_corpus(load_corpus(str(path)), "text", tok)
    assert first["tokens"] == [["Hello", "there", ",", "friend", "."], ["Second", "line", "!"]]

    import textrnn.data.tokenize_worker as worker

    def refuse(*args, **kwargs):
        raise AssertionError("tokenized again")

    monkeypatch.setattr(worker, "tokenize_batch", refuse)
    again = tokenize_corpus(load_corpus(str(path)), "text", tok)  # same file, same tokenizer: from the cache
    assert again["tokens"] == first["tokens"]
    with pytest.raises(AssertionError, match="tokenized again"):  # another tokenizer is not a cache hit
        tokenize_corpus(load_corpus(str(path)), "text", get_tokenizer("whitespace"))
    path.write_text("Changed text.\n", encoding="utf-8")  # a changed file is read again
    with pytest.raises(AssertionError, match="tokenized again"):
        tokenize_corpus(load_corpus(str(path)), "text", tok)


def test_hub_name_offline_fails_with_one_clear_error(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: like no network
    with pytest.raises(HubError, match="cannot load Hugging Face dataset 'someone/no-such-dataset'"):
        load_corpus("hf:someone/no-such-dataset")


def test_hub_loader_reads_a_local_dataset_folder(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "train.jsonl").write_text(
        "\n".join(json.dumps({"text": t, "label": l}) for t, l in [("good", "pos"), ("bad", "neg")]), encoding="utf-8")
    ds = load_corpus(Source(f"hf:{folder}", split="train"))
    assert ds["text"] == ["good", "bad"]


def test_streamed_hub_dataset_is_written_to_the_cache_once_and_read_as_loaded(tmp_path, monkeypatch):
    """`--streaming`: a local dataset read with datasets' streaming gives the rows the plain load gives (a
    ClassLabel's names, numbers as text), from the corpus cache; a changed folder is read again."""
    import datasets

    monkeypatch.setenv("TEXTRNN_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "ds"
    folder.mkdir()
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"]),
                                  "stars": datasets.Value("int32")})
    datasets.Dataset.from_dict({"text": ["good", "bad", "fine"], "label": [1, 0, 1], "stars": [5, 1, 4]},
                               features=features).to_parquet(str(folder / "train.parquet"))
    streamed = load_corpus(Source(f"hf:{folder}", streaming=True))
    assert streamed["text"] == ["good", "bad", "fine"]
    assert streamed["label"] == ["pos", "neg", "pos"] and streamed["stars"] == ["5", "1", "4"]
    cached = sorted((tmp_path / "cache" / "corpora").glob("rows-*.arrow"))
    assert len(cached) == 1
    assert load_corpus(Source(f"hf:{folder}", streaming=True))["text"] == ["good", "bad", "fine"]
    assert sorted((tmp_path / "cache" / "corpora").glob("rows-*.arrow")) == cached  # read from the cache
    datasets.Dataset.from_dict({"text": ["new"], "label": [0], "stars": [2]},
                               features=features).to_parquet(str(folder / "train.parquet"))
    assert load_corpus(Source(f"hf:{folder}", streaming=True))["label"] == ["neg"]


def test_streamed_hub_name_offline_fails_with_one_clear_error(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(HubError, match="cannot load Hugging Face dataset 'someone/no-such-dataset'"):
        load_corpus(Source("hf:someone/no-such-dataset", streaming=True))
