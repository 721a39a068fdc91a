"""Classification data: column and layout detection, label handling, stratified splits, length-bucketed batches,
and word vectors. Real files, no training."""

from __future__ import annotations

import pytest

from textrnn.data.classify import (bucket_batches, collate, detect_columns, encode, label_order, label_strings,
                                   load_examples, stratified_split)
from textrnn.data.corpus import load_corpus
from textrnn.data.sources import Source
from textrnn.errors import ColumnError, CorpusError, CorpusNotFound, InputError
from textrnn.text import Vocab, get_tokenizer

WS = get_tokenizer("whitespace")


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load(path, **kwargs):
    return load_examples(Source(str(path)), WS, **kwargs)


def test_headerless_two_columns_label_first_or_last(tmp_path):
    """The plain case needs no options: the short column with few values is the label, wherever it is."""
    first = _write(tmp_path, "a.tsv", "ham\tsee you at the station at six\nspam\tWIN a prize now call 0800\n"
                                      "ham\tok thanks\n")
    ex = _load(first)
    assert (ex.text_column, ex.label_column) == ("1", "0")
    assert ex.labels == ["ham", "spam", "ham"] and ex.tokens[1]["tokens"][:2] == ["WIN", "a"]
    last = _write(tmp_path, "b.tsv", "a great phone, works well\t1\nbroke after a day\t0\nlove it\t1\n")
    ex = _load(last)
    assert (ex.text_column, ex.label_column) == ("0", "1") and ex.labels == ["1", "0", "1"]


def test_columns_by_header_name_and_by_option(tmp_path):
    csv = _write(tmp_path, "r.csv", "id,review,sentiment\n1,loved every minute,pos\n2,dull and slow,neg\n")
    ex = _load(csv)
    assert (ex.text_column, ex.label_column) == ("review", "sentiment")
    ex = _load(csv, text_column="review", label_column="2")  # by name and by 0-based index
    assert ex.label_column == "sentiment" and ex.labels == ["pos", "neg"]


def test_jsonl_and_folder_of_label_folders(tmp_path):
    jsonl = _write(tmp_path, "d.jsonl", '{"text": "five stars", "label": 5}\n{"text": "meh", "label": 2}\n')
    assert _load(jsonl).labels == ["5", "2"]
    for label, texts in {"neg": ["awful", "bad"], "pos": ["great"]}.items():
        (tmp_path / "docs" / label).mkdir(parents=True)
        for i, t in enumerate(texts):
            (tmp_path / "docs" / label / f"{i}.txt").write_text(t, encoding="utf-8")
    ex = _load(tmp_path / "docs")
    assert ex.labels == ["neg", "neg", "pos"] and ex.tokens["tokens"] == [["awful"], ["bad"], ["great"]]


def test_label_space_lines_are_detected_and_fasttext_prefix_dropped(tmp_path):
    sst = _write(tmp_path, "stsa.binary.train", "1 a stirring , funny film\n0 dull .\n\n1 fine work\n")
    ex = _load(sst)
    assert ex.layout == "label-space" and ex.labels == ["1", "0", "1"]
    assert ex.tokens["tokens"][0] == ["a", "stirring", ",", "funny", "film"]
    ft = _write(tmp_path, "ft.txt", "__label__pos good stuff\n__label__neg bad stuff\n")
    assert _load(ft).labels == ["pos", "neg"]


def test_label_space_line_without_text_is_named(tmp_path):
    bad = _write(tmp_path, "bad.txt", "1 good film\n0 bad film\n1\n")
    with pytest.raises(CorpusError, match=r"line 3: expected a label, a space and the text"):
        _load(bad, layout="label-space")


def test_tsv_line_with_extra_column_is_named(tmp_path):
    bad = _write(tmp_path, "bad.tsv", "ham\thello\nspam\twin\tnow\n")
    with pytest.raises(CorpusError, match=r"line 2: expected 2 tab-separated columns, found 3"):
        _load(bad)


def test_missing_column_lists_the_columns_found(tmp_path):
    csv = _write(tmp_path, "r.csv", "text,label\nhello,a\nbye,b\n")
    with pytest.raises(ColumnError, match="no column 'stars'; columns found: text, label"):
        _load(csv, label_column="stars")
    plain = _write(tmp_path, "plain.txt", "just some text\nwithout any labels at all\nand more of it\n")
    with pytest.raises(ColumnError, match="no label column found; columns found: text") as caught:
        _load(plain)
    assert "--label-column" in caught.value.hint and "--format label-space" in caught.value.hint


def test_label_space_file_sorted_by_label_is_detected(tmp_path):
    """The layout is judged on rows spread over the file: sorted, its first 2,000 lines all say 0."""
    lines = [f"0 dull film number {i}\n" for i in range(2500)] + [f"1 fine film number {i}\n" for i in range(2500)]
    ex = _load(_write(tmp_path, "sorted.txt", "".join(lines)))
    assert ex.layout == "label-space" and ex.labels[0] == "0" and ex.labels[-1] == "1" and len(ex) == 5000


def test_label_map_renames_the_data_labels_and_warns_about_unused_entries(tmp_path):
    sst = _write(tmp_path, "sst.txt", "1 a fine film\n0 dull .\n1 good\n")
    assert _load(sst, label_map={"0": "neg", "1": "pos"}).labels == ["pos", "neg", "pos"]
    with pytest.warns(UserWarning, match="--label-map names labels the data does not have: 2"):
        assert _load(sst, label_map={"1": "pos", "2": "neg"}).labels == ["pos", "0", "pos"]


def test_rows_without_label_or_text_are_dropped_with_a_warning(tmp_path):
    path = _write(tmp_path, "gaps.jsonl", '{"text": "good", "label": "pos"}\n{"text": "no label here"}\n'
                                         '{"text": "", "label": "neg"}\n{"text": "bad", "label": "neg"}\n')
    with pytest.warns(UserWarning) as caught:
        ex = _load(path)
    messages = [str(w.message) for w in caught]
    assert any("1 of 4 rows have no label (data rows 2); they were left out" in m for m in messages)
    assert any("1 of 4 rows have an empty text (data rows 3)" in m for m in messages)
    assert ex.labels == ["pos", "neg"] and ex.tokens["tokens"] == [["good"], ["bad"]]


def test_no_label_at_all_and_no_text_at_all_are_errors(tmp_path):
    unlabelled = _write(tmp_path, "u.jsonl", '{"text": "a", "label": null}\n{"text": "b", "label": ""}\n')
    with pytest.raises(CorpusError, match="none of the 2 rows has a label"):
        _load(unlabelled)
    empty = _write(tmp_path, "e.jsonl", '{"text": " ", "label": "x"}\n{"text": "", "label": "y"}\n')
    with pytest.raises(CorpusError, match="every labelled row has an empty text"):
        _load(empty)


def test_hugging_face_class_labels_become_their_names():
    import datasets

    ds = datasets.Dataset.from_dict({"text": ["a", "b", "c"], "label": [1, 0, -1]},
                                    features=datasets.Features({"text": datasets.Value("string"),
                                                                "label": datasets.ClassLabel(names=["neg", "pos"])}))
    assert label_strings(ds, "label") == ["pos", "neg", None]
    assert detect_columns(ds) == ("text", "label")


def test_label_order_is_numeric_for_numbers():
    assert label_order(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert label_order(["spam", "ham"]) == ["ham", "spam"]


def test_stratified_split_keeps_label_shares_and_is_seeded():
    labels = ["ham"] * 90 + ["spam"] * 10 + ["rare"]
    kept, held = stratified_split(labels, 0.2, seed=7)
    assert sorted(kept + held) == list(range(101)) and not set(kept) & set(held)
    held_labels = [labels[i] for i in held]
    assert held_labels.count("ham") == 18 and held_labels.count("spam") == 2 and "rare" not in held_labels
    assert stratified_split(labels, 0.2, seed=7) == (kept, held)
    assert stratified_split(labels, 0.2, seed=8) != (kept, held)


def test_single_class_is_refused():
    from textrnn.data.classify import check_classes

    with pytest.raises(InputError, match="every row has the label 'ham' \\(3 rows\\); a classifier needs two"):
        check_classes(["ham", "ham", "ham"], "x.tsv")


def test_encode_truncates_and_collate_pads_on_the_right():
    vocab = Vocab(["a", "b", "c"])
    data = encode([["a", "b", "c", "a"], ["zzz"], []], vocab, max_length=3, labels=["x", "y", "x"],
                  label_ids={"x": 0, "y": 1})
    assert data.lengths == [3, 1, 1]  # truncated at 3; an empty text is one <unk>
    batch = collate(data, [1, 0])
    assert batch["input"].tolist() == [[1, 0, 0], [4, 5, 6]]  # <unk>=1, <pad>=0
    assert batch["lengths"].tolist() == [1, 3] and batch["label"].tolist() == [1, 0] and batch["ntokens"] == 4
    assert data.truncated == 1  # the 4-token text; one of exactly max_length is not cut:
    assert encode([["a"] * 3, ["b"] * 4, ["c"] * 9], vocab, max_length=3).truncated == 2


def test_bucket_batches_group_similar_lengths_and_cover_every_row():
    import random

    rng = random.Random(0)
    lengths = [rng.randint(1, 100) for _ in range(1000)]
    batches = bucket_batches(lengths, 10, seed=3, pool=20)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 15  # random batches of 10 would spread over ~80
    assert bucket_batches(lengths, 10, seed=3, pool=20) == batches
    assert bucket_batches(lengths, 10, seed=4, pool=20) != batches
    ordered = bucket_batches(lengths, 10)
    assert [lengths[i] for b in ordered for i in b] == sorted(lengths)


def test_word_vectors_glove_and_word2vec_formats(tmp_path):
    from textrnn.embeddings import read_vectors

    vocab = Vocab(["the", "Cat", "sat", "unseen"])
    glove = _write(tmp_path, "glove.txt", "the 0.1 0.2 0.3\ncat 1 2 3\nsat -1 0 1\nother 9 9 9\n")
    vectors = read_vectors(glove, vocab)
    assert vectors.dim == 3 and vectors.found[vocab.stoi["Cat"]] == [1.0, 2.0, 3.0]  # found lowercased
    assert vocab.stoi["unseen"] not in vectors.found and vectors.coverage == 0.75
    w2v = _write(tmp_path, "w2v.txt", "2 2\nthe 0.5 0.5\nCat 4 4\n")
    assert read_vectors(w2v, vocab).found == {vocab.stoi["the"]: [0.5, 0.5], vocab.stoi["Cat"]: [4.0, 4.0]}


def test_word_vectors_bad_files(tmp_path):
    from textrnn.embeddings import read_vectors

    vocab = Vocab(["the"])
    with pytest.raises(CorpusNotFound):
        read_vectors(tmp_path / "none.txt", vocab)
    ragged = _write(tmp_path, "ragged.txt", "the 1 2 3\ncat 1 2\n")
    with pytest.raises(CorpusError, match="line 2: 2 numbers where the file has 3"):
        read_vectors(ragged, vocab)
    words = _write(tmp_path, "words.txt", "the 1 two 3\n")
    with pytest.raises(CorpusError, match="line 1: not a number"):
        read_vectors(words, vocab)


def test_label_space_tokens_are_cached_on_disk(tmp_path):
    """The split lines and their tokens land in the corpus cache, so a second run does not tokenize again."""
    import os

    from textrnn.data.corpus import cache_dir

    path = _write(tmp_path, "stsa.dev", "1 good film\n0 bad film\n")
    first = _load(path)
    cached = sorted(p.name for p in cache_dir().glob("tok-*.arrow"))
    assert len(cached) == 1 and first.tokens.cache_files
    stamp = os.stat(cache_dir() / cached[0]).st_mtime_ns
    second = _load(path)
    assert second.tokens["tokens"] == first.tokens["tokens"] == [["good", "film"], ["bad", "film"]]
    assert os.stat(cache_dir() / cached[0]).st_mtime_ns == stamp
    assert sorted(p.name for p in cache_dir().glob("tok-*.arrow")) == cached
