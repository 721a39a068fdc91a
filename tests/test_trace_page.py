"""The trace page in a real browser (headless Chromium): it opens at the step its address names, the controls
step back and forth, and what it shows after each step is the trace's own figures. A screenshot of each page
is kept under the test's tmp_path (its path is printed; run with -s to see it). Skips only when no Chromium or
Chrome binary is installed (Debian: apt-get install chromium; .ci/run installs it)."""

from __future__ import annotations

import re

import pytest

from browser import Browser, chromium_binary

BINARY = chromium_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="no chromium, chromium-browser or google-chrome on PATH: "
                                                        "the page test needs a real browser (apt-get install chromium)")

SHOWN = """(() => ({
  label: document.getElementById("step-label").textContent,
  current: [...document.querySelectorAll(".token.current")].map((e) => e.textContent),
  words: [...document.querySelectorAll("#predictions li")].map((li) => li.textContent),
  best: document.querySelector("#predictions li.best .word")?.textContent,
  memory: document.getElementById("memory").textContent,
  gates: document.getElementById("gates").textContent,
  filled: [...document.querySelectorAll("canvas.states")].map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] !== 242 || d[i + 1] !== 242) n++; return n;
  }),
  hash: location.hash,
}))()"""


@pytest.fixture(scope="module")
def browser():
    with Browser(BINARY) as b:
        b.call("Network.enable", session=True)
        yield b


def _page(tmp_path, text: str, model: str):
    from textrnn.inspect import trace
    from textrnn.inspect.page import write_page

    result = trace(text, model, gates=True, k=3)
    return result, write_page(result, tmp_path / f"{model}.html")


def _keep_screenshot(browser, tmp_path, name: str) -> None:
    shot = browser.screenshot(tmp_path / f"{name}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")


def test_language_model_page_steps_back_and_forth(browser, tmp_path):
    trace, page = _page(tmp_path, "I love eating", "everyday-english")
    reading = trace.readings[0]
    browser.open(page.as_uri())
    first = browser.evaluate(SHOWN)
    assert first["label"] == "step 1 of 3" and first["current"] == ["I"]
    browser.click("#next")
    browser.click("#next")
    shown = browser.evaluate(SHOWN)
    top = reading.predictions[2]["next"][0]
    assert shown["label"] == "step 3 of 3" and shown["current"] == ["eating"] and shown["hash"] == "#step=3"
    assert shown["best"] == top["token"] and f"{100 * top['probability']:.1f}%" in shown["words"][0]
    (track,) = reading.tracks
    assert f"{track.change[2]:.2f}" in shown["memory"] and f"{track.kept[2]:.0%}" in shown["memory"]
    assert f"forget{track.gates['forget'][2].mean():.2f}" in shown["gates"]
    assert shown["filled"][0] > 2 * first["filled"][0] > 0  # the state fills up, a column per step
    _keep_screenshot(browser, tmp_path, "language-model-step-3")
    browser.click("#prev")
    back = browser.evaluate(SHOWN)
    assert back["current"] == ["love"] and back["best"] == reading.predictions[1]["next"][0]["token"]
    browser.open("about:blank")
    browser.open(page.as_uri() + "#step=3")  # the address opens the page at a step
    assert browser.evaluate(SHOWN)["current"] == ["eating"]
    browser.evaluate("location.hash = '#step=1'")  # and moves it there when it changes
    assert browser.evaluate(SHOWN)["current"] == ["I"]
    assert not browser.errors
    loaded = {e["params"]["request"]["url"].split(":")[0] for e in browser.events
              if e["method"] == "Network.requestWillBeSent"}
    assert loaded <= {"file", "data", "about"}, loaded  # nothing from the network


def test_classifier_page_shows_the_running_probabilities(browser, tmp_path):
    trace, page = _page(tmp_path, "hi mum , WINNER free prize", "spam")
    reading = trace.readings[0]
    browser.open(page.as_uri() + "#step=2")
    for step in (2, 5):
        shown = browser.evaluate(SHOWN)
        p = reading.predictions[step - 1]
        assert shown["current"] == [reading.tokens[step - 1]] and shown["best"] == p["label"]
        assert any(w.startswith("spam") and f"{100 * p['probabilities']['spam']:.1f}"[:3] in w for w in shown["words"])
        assert "layer 1 backward" in shown["memory"] and len(shown["filled"]) == 2  # both directions
        browser.evaluate("document.getElementById('slider').value = 5;"
                         "document.getElementById('slider').dispatchEvent(new Event('input'))")
    _keep_screenshot(browser, tmp_path, "classifier-step-5")
    assert not browser.errors


def test_translator_page_shows_where_the_decoder_looks(browser, tmp_path):
    trace, page = _page(tmp_path, "I am cold.", "en-fr")
    source, output = trace.readings
    browser.open(page.as_uri() + f"#step={len(source.tokens)}")
    shown = browser.evaluate(SHOWN)
    assert shown["current"] == [source.tokens[-1]] and "nothing yet" in shown["words"][0]
    browser.click("#next")  # the decoder's first word
    shown = browser.evaluate(SHOWN)
    attention = output.predictions[0]["attention"]
    looked = source.tokens[max(range(len(attention)), key=attention.__getitem__)]
    assert shown["current"] == [output.tokens[0]] and shown["best"] == output.tokens[0]
    assert shown["words"][-1].startswith(f"looks at: {looked}")
    for j, weight in enumerate(attention):  # each source word tinted orange as strongly as it is looked at
        tint = browser.evaluate(f"document.getElementById('token-0-{j}').style.background")
        *rgb, alpha = [float(x) for x in re.findall(r"[\d.]+", tint)] + ([1.0] if tint.startswith("rgb(") else [])
        assert rgb == [255, 140, 0] and alpha == pytest.approx(weight, abs=0.01), (tint, weight)
    _keep_screenshot(browser, tmp_path, "translator-first-word")
    assert not browser.errors
