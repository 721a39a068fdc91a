"""textrnn.inspect.trace on the bundled models: its numbers are the model's own. The final state is the one
the model's forward pass gives, every step's prediction is what `predict` says of that prefix, gates lie in
[0, 1]. The language model is an LSTM, `sentiment` a 2-layer LSTM, `spam` a bidirectional GRU reading
subwords, `en-fr` a bidirectional GRU encoder with an attention decoder."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from textrnn.inspect import MAX_STEPS, Tracer

ATOL = 1e-5


@pytest.fixture(scope="module")
def lm():
    return Tracer("everyday-english")


@pytest.fixture(scope="module")
def sentiment():
    return Tracer("sentiment")


@pytest.fixture(scope="module")
def spam():
    return Tracer("spam")


@pytest.fixture(scope="module")
def en_fr():
    return Tracer("en-fr")


def _gates_in_unit_interval(trace) -> None:
    for reading in trace.readings:
        for track in reading.tracks:
            assert set(track.gates) == set(trace.gates) and trace.gates
            for values in track.gates.values():
                assert values.shape == track.states.shape
                assert values.min() >= 0.0 and values.max() <= 1.0


def test_lm_final_state_is_the_models_own(lm):
    trace = lm.trace("I love eating", gates=True)
    (reading,) = trace.readings
    assert reading.tokens == ["I", "love", "eating"] and trace.cell == "lstm"
    prompt = lm.runner.vocab.encode(["I", "love", "eating"])
    with torch.inference_mode():
        _, (h, c) = lm.runner.model.hidden(torch.tensor([[3] + prompt]))  # 3: <eos>, a line's start
    (track,) = reading.tracks
    assert track.states.shape == (3, 256)
    assert np.allclose(track.states[-1], h[-1, 0].numpy(), atol=ATOL)
    assert np.allclose(track.memory[-1], c[-1, 0].numpy(), atol=ATOL)
    _gates_in_unit_interval(trace)


def test_lm_steps_predict_what_predict_says_of_each_prefix(lm):
    trace = lm.trace("I love eating", k=5)
    for step, prefix in enumerate(["I", "I love", "I love eating"]):
        expected = lm.runner.predict(prefix, k=5)["predictions"]
        got = trace.readings[0].predictions[step]["next"]
        assert [p["token"] for p in got] == [p["token"] for p in expected], prefix
        assert np.allclose([p["probability"] for p in got], [p["probability"] for p in expected], atol=1e-5)


def test_lm_start_is_the_state_after_a_lines_start(lm):
    """The first step's change is measured from the state the start-of-line token left, not from zeros."""
    (track,) = lm.trace("I").readings[0].tracks
    with torch.inference_mode():
        _, (h, _) = lm.runner.model.hidden(torch.tensor([[3]]))
    assert np.allclose(track.start, h[-1, 0].numpy(), atol=ATOL)
    assert np.isclose(track.change[0], np.linalg.norm(track.states[0] - h[-1, 0].numpy()), atol=1e-4)


def _fused(net, tokens: list[str], runner):
    from textrnn.data.classify import collate

    batch = collate(runner.encode([tokens]), [0])
    with torch.inference_mode():
        return net.rnn(net.embed(batch["input"], batch.get("subwords")))[1]


def test_classifier_layers_end_where_the_model_does(sentiment):
    trace = sentiment.trace("the film was not good at all", gates=True)
    (reading,) = trace.readings
    assert [t.name for t in reading.tracks] == ["layer 1", "layer 2"]
    h, c = _fused(sentiment.runner.net, reading.tokens, sentiment.runner)
    for layer, track in enumerate(reading.tracks):
        assert np.allclose(track.states[-1], h[layer, 0].numpy(), atol=ATOL)
        assert np.allclose(track.memory[-1], c[layer, 0].numpy(), atol=ATOL)
    _gates_in_unit_interval(trace)


def _same_as_predict(tracer, text: str) -> None:
    reading = tracer.trace(text).readings[0]
    prefixes = [" ".join(reading.tokens[:i + 1]) for i in range(len(reading.tokens))]
    # The check is about the model, not the tokenizer: each prefix must read as the trace's own prefix.
    assert [tracer.runner.tokens([p])[0] for p in prefixes] == [reading.tokens[:i + 1] for i in range(len(prefixes))]
    expected = tracer.runner.classify(prefixes)
    for step, result in enumerate(expected):
        got = reading.predictions[step]
        assert got["label"] == result["label"], prefixes[step]
        assert np.allclose(list(got["probabilities"].values()), list(result["probabilities"].values()), atol=1e-5)


def test_classifier_steps_are_predict_on_each_prefix(sentiment, spam):
    _same_as_predict(sentiment, "the film was not good at all")
    _same_as_predict(spam, "WINNER you have won a free prize call now")


def test_spam_probability_moves_word_by_word(spam):
    """The running probabilities are of each prefix, not the whole text's repeated."""
    reading = spam.trace("hi mum see you at dinner , WINNER free prize call now").readings[0]
    p_spam = [p["probabilities"]["spam"] for p in reading.predictions]
    assert p_spam[5] < 0.5 < p_spam[-1], p_spam


def test_bidirectional_encoder_shows_both_directions(spam):
    trace = spam.trace("WINNER you have won a free prize", gates=True)
    (reading,) = trace.readings
    forward, backward = reading.tracks
    assert (forward.name, backward.name, backward.backward) == ("layer 1", "layer 1 backward", True)
    h = _fused(spam.runner.net, reading.tokens, spam.runner)
    assert np.allclose(forward.states[-1], h[0, 0].numpy(), atol=ATOL)  # forward: ends at the last token
    assert np.allclose(backward.states[0], h[1, 0].numpy(), atol=ATOL)  # backward: ends at the first
    assert trace.gates == ("update", "reset")
    _gates_in_unit_interval(trace)


def test_translator_writes_what_greedy_predict_writes(en_fr):
    from textrnn.translate_decode import DecodeConfig

    text = "I am cold."
    trace = en_fr.trace(text, gates=True, k=3)
    source, output = trace.readings
    (expected,) = en_fr.runner.translate([text], DecodeConfig(beam=1), attention=True)
    assert source.tokens == expected["source_tokens"]
    assert output.tokens == expected["tokens"] + ["<eos>"] and output.source == source.tokens
    attention = [p["attention"] for p in output.predictions[:-1]]
    assert np.allclose(attention, expected["attention"], atol=1e-3)
    for word, p in zip(output.tokens, output.predictions):
        assert p["next"][0]["token"] == word and len(p["next"]) == 3  # greedy: it writes its likeliest word
    _gates_in_unit_interval(trace)


def test_translator_encoder_tracks_are_the_encoders_memory(en_fr):
    trace = en_fr.trace("I love eating pizza.")
    source = trace.readings[0]
    model = en_fr.runner.model
    src = torch.tensor([en_fr.runner.src_vocab.encode(source.tokens)])
    with torch.inference_mode():
        memory, _ = model.encoder(src, torch.tensor([src.size(1)]))
    both = np.concatenate([t.states for t in source.tracks], axis=1)
    assert np.allclose(both, memory[0].numpy(), atol=ATOL)


def test_long_text_is_capped_with_a_note(lm):
    trace = lm.trace(" ".join(["I love eating pizza ."] * 30))
    assert len(trace.readings[0].tokens) == MAX_STEPS
    assert any(f"the first {MAX_STEPS}" in note for note in trace.notes)


def test_json_holds_every_figure(spam):
    trace = spam.trace("free prize", gates=True)
    data = json.loads(json.dumps(trace.to_dict()))
    (reading,) = data["readings"]
    assert reading["tracks"] == ["layer 1", "layer 1 backward"] and len(reading["steps"]) == 2
    step = reading["steps"][1]
    track = trace.readings[0].tracks[1]
    entry = step["tracks"]["layer 1 backward"]
    assert np.allclose(entry["state"], track.states[1], atol=1e-4)
    assert np.isclose(entry["change"], track.change[1], atol=1e-4) and np.isclose(entry["kept"], track.kept[1], atol=1e-4)
    assert np.isclose(entry["gates"]["update"]["mean"], track.gates["update"][1].mean(), atol=1e-4)
    assert len(entry["gates"]["reset"]["units"]) == 64
    assert step["prediction"]["label"] == trace.readings[0].predictions[1]["label"]


def test_tracing_leaves_the_model_as_saved(lm):
    before = {k: v.clone() for k, v in lm.runner.model.state_dict().items()}
    lm.trace("I love eating", gates=True)
    after = lm.runner.model.state_dict()
    assert not lm.runner.model.training
    assert all(torch.equal(before[k], after[k]) for k in before)
