"""Label maps from a dataset's names for its classes to a model's."""

from __future__ import annotations

import pytest

from textrnn.data.labels import check_known, parse_label_map
from textrnn.errors import InputError


def test_label_map_is_parsed_from_pairs():
    assert parse_label_map("0=neg,1=pos") == {"0": "neg", "1": "pos"}
    assert parse_label_map(" negative = neg , positive=pos ") == {"negative": "neg", "positive": "pos"}
    assert parse_label_map("1=neg,2=neg,4=pos,5=pos") == {"1": "neg", "2": "neg", "4": "pos", "5": "pos"}
    assert parse_label_map({0: "neg"}) == {"0": "neg"} and parse_label_map(None) is None


@pytest.mark.parametrize("spec, fragment", [
    ("0neg", "'0neg' is not DATA_LABEL=MODEL_LABEL"),
    ("0=neg,", "'' is not DATA_LABEL=MODEL_LABEL"),
    ("", "'' is not DATA_LABEL=MODEL_LABEL"),
    ("=neg", "'=neg' is not DATA_LABEL=MODEL_LABEL"),
    ("0=", "'0=' is not DATA_LABEL=MODEL_LABEL"),
    ("0=neg=bad", "'0=neg=bad' is not DATA_LABEL=MODEL_LABEL"),
    ("0=neg,0=pos", "'0' is mapped twice ('neg' and 'pos')"),
])
def test_malformed_label_map_is_named(spec, fragment):
    with pytest.raises(InputError, match="--label-map") as caught:
        parse_label_map(spec)
    assert fragment in str(caught.value)


def test_unknown_labels_name_both_sides_and_suggest_a_map():
    with pytest.raises(InputError) as caught:
        check_known(["1", "0", "1"], ["neg", "pos"], "dev.txt")
    assert str(caught.value) == ("dev.txt: labels the model does not know: 0, 1; the data's labels: 0, 1; "
                                 "the model's labels: neg, pos")
    assert "--label-map 0=neg,1=pos" in caught.value.hint
    with pytest.raises(InputError, match=r"the data's labels \(after --label-map\): neg, positive") as caught:
        check_known(["neg", "positive"], ["neg", "pos"], "d.tsv", {"negative": "neg"})
    assert "--label-map positive=pos" in caught.value.hint
    with pytest.raises(InputError) as caught:
        check_known(["ham", "junk", "spam"], ["ham", "spam"], "d.tsv")
    assert "--label-map DATA=MODEL" in caught.value.hint
    check_known(["pos"], ["neg", "pos"], "d.tsv")  # a subset of the model's labels is fine

