"""A trace as one self-contained HTML page that plays the reading word by word: the hidden state filling up,
the predictions changing, the gates; with controls to step back and forth. Nothing is loaded from the
network: the figures (`Trace.to_dict`), the style and the script are all inside the file.

The page opens at the step its address names, as `trace.html#step=3`, and keeps the address in step with it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from textrnn.inspect.page_template import SCRIPT, STYLE
from textrnn.inspect.files import target
from textrnn.inspect.trace import Trace

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header><h1>{heading}</h1><p id="about"></p></header>
<nav id="controls" aria-label="steps">
  <button id="first" title="first step (Home)">&#x25C0;&#x25C0;</button>
  <button id="prev" title="step back (&#x2190;)">&#x25C0; back</button>
  <button id="play" title="play (space)">&#x25B6; play</button>
  <button id="next" title="step forward (&#x2192;)">next &#x25B6;</button>
  <button id="last" title="last step (End)">&#x25B6;&#x25B6;</button>
  <input id="slider" type="range" min="1" value="1" aria-label="step">
  <span id="step-label"></span>
</nav>
<main>
  <section id="readings"></section>
  <section id="now">
    <div class="panel"><h2 id="says-title">The model says</h2><ol id="predictions"></ol><div id="history"></div></div>
    <div class="panel"><h2>Memory</h2><div id="memory"></div><div id="changes"></div></div>
    <div class="panel"><h2>Gates</h2><div id="gates"></div></div>
  </section>
  <section id="states"></section>
</main>
<footer><ul id="notes"></ul><p id="legend"></p></footer>
<script id="trace-data" type="application/json">{data}</script>
<script>{script}</script>
</body>
</html>
"""


def page(trace: Trace) -> str:
    """The page's text."""
    data = json.dumps(trace.to_dict(digits=3), ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, "</script>" or "<!--" in a token would end or bend the element: escape every < > &
    # (JSON reads \\u003c as "<" again).
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    heading = f"{trace.model} reading “{trace.text}”"
    return PAGE.format(title=html.escape(f"textrnn trace: {heading}"), heading=html.escape(heading),
                       style=STYLE, data=data, script=SCRIPT)


def write_page(trace: Trace, path: str | Path) -> Path:
    """Write the page to `path`, whole or not at all."""
    path = target(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page(trace), encoding="utf-8")
    tmp.replace(path)
    return path
