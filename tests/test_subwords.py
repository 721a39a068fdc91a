"""Character n-gram subwords: the n-grams, stable hashed ids, and how encode/collate carry them to the model."""

from __future__ import annotations

import subprocess
import sys

import pytest

from textrnn.data.classify import collate, encode
from textrnn.errors import ConfigError
from textrnn.text import Vocab
from textrnn.text.subwords import Subwords, char_ngrams


def test_char_ngrams_have_boundary_marks_and_every_size():
    assert char_ngrams("spam", 3, 4) == ["<sp", "spa", "pam", "am>", "<spa", "spam", "pam>"]
    assert char_ngrams("a", 3, 5) == ["<a>"]  # shorter than min_n once marked: nothing longer exists


def test_ids_are_in_range_shared_by_related_words_and_capped():
    sub = Subwords(buckets=5000)
    funny, unfunny = set(sub.ids("funny")), set(sub.ids("unfunny"))
    assert all(1 <= i <= 5000 for i in funny | unfunny)
    assert len(funny & unfunny) >= 5  # unn, nny, nny>, funn, unny, ... : the related word shares pieces
    assert not set(sub.ids("cat")) & set(sub.ids("dog"))
    assert len(Subwords(buckets=5000, limit=7).ids("x" * 200)) == 7


def test_ids_do_not_depend_on_the_process_hash_seed():
    """Saved models hash n-grams again at prediction time, in another process: str hashing would differ."""
    code = "from textrnn.text.subwords import Subwords; print(Subwords(100000).ids('unfunny'))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and outs.pop().strip() == str(Subwords(100000).ids("unfunny"))


@pytest.mark.parametrize("kwargs,message", [
    ({"buckets": 0}, "buckets"),
    ({"buckets": 10, "min_n": 4, "max_n": 3}, "sizes"),
    ({"buckets": 10, "limit": 0}, "limit"),
])
def test_bad_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Subwords(**kwargs)


def test_encode_gives_unknown_words_their_ngrams_and_collate_pads_them_with_zero():
    sub = Subwords(buckets=1000, min_n=3, max_n=3)
    data = encode([["a", "zzz", "a"], ["b"]], Vocab(["a", "b"]), max_length=10, subwords=sub)
    assert data.ids.tolist() == [4, 1, 4, 5]  # zzz is <unk> as a word ...
    batch = collate(data, [1, 0])
    grams = batch["subwords"]
    assert grams.shape[:2] == batch["input"].shape == (2, 3)
    assert grams[1, 1][grams[1, 1] > 0].tolist() == sub.ids("zzz")  # ... but keeps its own n-grams
    assert grams[1, 0].tolist() == grams[1, 2].tolist()  # the same word twice: the same row
    assert grams[0, 1:].abs().sum() == 0  # padding positions have only the padding bucket
