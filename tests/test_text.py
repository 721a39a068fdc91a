"""Units of the text pipeline: normalization, tokenizers and their detokenizers, vocabulary."""

from __future__ import annotations

from collections import Counter

import pytest

from textrnn.errors import UnknownNameError
from textrnn.text import TOKENIZERS, Normalizer, Vocab, coverage, get_tokenizer, tokenizer_from_spec
from textrnn.text.normalize import clean_whitespace, nfc, strip_bom
from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID

SENTENCE = "Don't stop believing, Mr. Smith!"


def test_normalization_rules():
    assert nfc("e\u0301") == "é"
    assert strip_bom("\ufeffhello") == "hello"
    assert clean_whitespace("  a \t b\u00a0 c  \n  d ") == "a b c\nd"
    assert Normalizer(lowercase=True)("\ufeffHeLLo  World") == "hello world"


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
def test_every_tokenizer_round_trips_a_sentence(name):
    tok = get_tokenizer(name)
    tokens = tok(SENTENCE)
    assert tokens, name
    assert tok.detokenize(tokens) == SENTENCE


def test_spacy_splits_clitics_and_punctuation():
    assert get_tokenizer("spacy")(SENTENCE) == ["Do", "n't", "stop", "believing", ",", "Mr.", "Smith", "!"]


def test_nltk_needs_no_downloaded_data():
    assert get_tokenizer("nltk")("Hello, world!") == ["Hello", ",", "world", "!"]


@pytest.mark.parametrize("text", ["Hello, world!", "It costs $5 (really).", 'She said "yes" to me.',
                                  "A well-known fact: it's 3.5% cheaper; isn't it?"])
def test_spacy_detokenizer_reads_naturally(text):
    tok = get_tokenizer("spacy")
    assert tok.detokenize(tok(text)) == text


def test_french_elision_and_spacing():
    tok = get_tokenizer("spacy", lang="fr")
    text = "J'ai froid. Où est la gare ?"
    assert tok(text)[:2] == ["J'", "ai"]
    assert tok.detokenize(tok(text)) == text


def test_pipe_matches_one_by_one():
    tok = get_tokenizer("spacy")
    texts = [SENTENCE, "Second line here.", ""]
    assert list(tok.pipe(texts)) == [tok(t) for t in texts]


def test_spec_round_trip():
    tok = get_tokenizer("spacy", lang="de", lowercase=True)
    again = tokenizer_from_spec(tok.spec)
    assert again.spec == tok.spec == {"name": "spacy", "lang": "de", "lowercase": True}
    assert again("Guten Tag!") == ["guten", "tag", "!"]


def test_unknown_tokenizer_lists_valid_names():
    with pytest.raises(UnknownNameError) as err:
        get_tokenizer("bpe")
    assert "char, nltk, spacy, whitespace" in str(err.value)


def test_vocab_specials_order_and_limits():
    lists = [["b", "a", "b", "c"], ["a", "b", "d"]]
    vocab = Vocab.build(lists)
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert vocab.itos[4:] == ["b", "a", "c", "d"]  # by count, ties alphabetical
    assert Vocab.build(lists, min_freq=2).itos[4:] == ["b", "a"]
    assert len(Vocab.build(lists, max_size=5)) == 5


def test_vocab_encode_decode_and_json(tmp_path):
    vocab = Vocab.build([["hello", "world"]])
    ids = vocab.encode(["hello", "there"], bos=True, eos=True)
    assert ids == [BOS_ID, vocab.stoi["hello"], UNK_ID, EOS_ID]
    assert vocab.decode(ids) == ["hello"]
    vocab.save(tmp_path / "v.json")
    again = Vocab.load(tmp_path / "v.json")
    assert again == vocab and again.counts == vocab.counts


def test_coverage_figures():
    vocab = Vocab.build([["a", "a", "b"]])
    cov = coverage(vocab, Counter({"a": 6, "b": 2, "z": 2}))
    assert cov.token_coverage == pytest.approx(0.8)
    assert cov.oov_rate == pytest.approx(0.2)
    assert cov.type_coverage == pytest.approx(2 / 3)


def test_html_line_breaks_become_spaces():
    from textrnn.text import get_tokenizer

    tok = get_tokenizer("spacy", lowercase=True)
    assert tok("Great film.<br /><br />I loved it<BR>really<br/>!") == ["great", "film", ".", "i", "loved", "it",
                                                                         "really", "!"]
    assert tok("a < b and c<d") == ["a", "<", "b", "and", "c", "<", "d"]  # other angle brackets stay
