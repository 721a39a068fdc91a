"""The style and script of a trace's page (textrnn.inspect.page), kept apart from the Python that fills it in.

The script reads the trace's figures from the page's own <script type="application/json"> element; steps are
numbered from 1 over every reading in order (a translator's source, then its output)."""

STYLE = r"""
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto; max-width: 1100px;
       padding: 0 1em; color: #222; background: #fff; }
h1 { font-size: 1.35em; margin: 0; } h2 { font-size: 1em; margin: 0 0 .4em; color: #555; }
#about, #legend, #notes { color: #666; font-size: .9em; }
nav { display: flex; gap: .4em; align-items: center; margin: 1em 0; flex-wrap: wrap; }
nav button { font: inherit; padding: .3em .7em; border: 1px solid #bbb; border-radius: 4px; background: #f6f6f6;
             cursor: pointer; } nav button:hover { background: #eee; }
#slider { flex: 1; min-width: 150px; } #step-label { font-variant-numeric: tabular-nums; min-width: 7em; }
.reading { margin: .6em 0; } .reading h3 { font-size: .85em; color: #777; margin: 0 0 .2em; font-weight: normal; }
.tokens { font-size: 1.5em; line-height: 1.9; }
.token { padding: .05em .25em; margin-right: .15em; border-radius: 4px; }
.token.ahead { color: #bbb; } .token.read { color: #222; }
.token.current { background: #ffd54a; color: #000; box-shadow: 0 0 0 2px #e0a800; }
.token.unknown { font-style: italic; text-decoration: underline dotted; }
#now { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1em; margin: 1em 0; }
.panel { border: 1px solid #e3e3e3; border-radius: 6px; padding: .7em .9em; }
#predictions { list-style: none; padding: 0; margin: 0; }
#predictions li { display: grid; grid-template-columns: 8em 1fr 3.5em; gap: .5em; align-items: center; }
#predictions li.best .word { font-weight: bold; }
#predictions li.looks { display: block; margin-top: .3em; }
.bar { height: .8em; background: #4a90d9; border-radius: 2px; min-width: 1px; }
.gate .bar { background: #8e44ad; } .kept .bar { background: #27ae60; }
.value { text-align: right; font-variant-numeric: tabular-nums; }
.row { display: grid; grid-template-columns: 8em 1fr 3.5em; gap: .5em; align-items: center; margin: .15em 0; }
.track-name { font-size: .85em; color: #666; margin-top: .4em; }
canvas.units { display: block; image-rendering: pixelated; border: 1px solid #ddd; margin: .2em 0; }
#states figure { margin: .8em 0; } #states figcaption { font-size: .85em; color: #555; }
.muted { color: #888; font-style: italic; }
svg text { font: 11px system-ui, sans-serif; fill: #555; }
"""

SCRIPT = r"""
"use strict";
const T = JSON.parse(document.getElementById("trace-data").textContent);
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
const pct = (p) => (100 * p).toFixed(p < 0.1 ? 1 : 0) + "%";
const base = (name) => name.replace(/ backward$/, "");
const steps = [];  // global step -> [reading, token]
T.readings.forEach((r, ri) => r.steps.forEach((s, si) => steps.push([ri, si])));
const ROLE = {text: "reads", source: "the encoder reads the source", output: "the decoder writes, one word a step"};
const MEANING = {forget: "kept of the memory", input: "written of the new content", output: "shown of the memory",
                 update: "kept of the old state", reset: "read of the old state"};
let current = 0, timer = null;

function topTracks(r) {
  const top = base(r.tracks[r.tracks.length - 1]);
  return r.tracks.filter((n) => base(n) === top);
}

function diverging(v) {  // blue < 0 < red, white at 0
  const a = Math.min(1, Math.abs(v)), to = v > 0 ? [178, 24, 43] : [33, 102, 172];
  return `rgb(${to.map((c) => Math.round(247 + (c - 247) * a)).join(",")})`;
}
function sequential(v) {  // white at 0, purple at 1
  return `rgb(${[142, 68, 173].map((c) => Math.round(250 + (c - 250) * v)).join(",")})`;
}

function bar(value, cls) {
  const b = el("div", "bar " + (cls || ""));
  b.style.width = (100 * Math.max(0, Math.min(1, value))).toFixed(1) + "%";
  const holder = el("div"); holder.appendChild(b); return holder;
}
function row(label, value, shown, cls) {
  const r = el("div", "row " + (cls || ""));
  r.append(el("span", "word", label), bar(value, cls), el("span", "value", shown));
  return r;
}

function build() {
  const units = T.readings.map((r) => topTracks(r).map((n) => `${n}: ${r.units[n]} units`).join(", "));
  $("about").textContent = `${T.cell.toUpperCase()} · ${T.task === "lm" ? "language model" :
    T.task === "classify" ? "classifier" : "translator"} · ${units.join(" · ")}`;
  T.readings.forEach((r, ri) => {
    const div = el("div", "reading"), tokens = el("div", "tokens");
    div.append(el("h3", null, ROLE[r.role]), tokens);
    r.steps.forEach((s, si) => {
      const span = el("span", "token" + (s.unknown ? " unknown" : ""), s.token);
      span.id = `token-${ri}-${si}`;
      span.dataset.step = String(steps.findIndex(([a, b]) => a === ri && b === si) + 1);
      span.title = s.unknown ? "not in the vocabulary: read as <unk>" : `step ${span.dataset.step}`;
      span.addEventListener("click", () => show(Number(span.dataset.step) - 1));
      tokens.appendChild(span);
    });
    $("readings").appendChild(div);
    r.tracks.forEach((name) => {
      const fig = el("figure"), canvas = el("canvas", "units states");
      const backward = name.endsWith(" backward");
      fig.append(el("figcaption", null, `${name}: ${r.units[name]} units by ${r.steps.length} steps` +
        (backward ? " (reads from the end: its state at a token has read that token and all after it)" : "")),
        canvas);
      canvas.id = `canvas-${ri}-${name.replace(/\W+/g, "-")}`;
      canvas.dataset.reading = ri; canvas.dataset.track = name;
      $("states").appendChild(fig);
    });
  });
  for (const note of T.notes) $("notes").appendChild(el("li", null, note));
  $("legend").textContent = "State: one row per unit, one column per step; red > 0 > blue. Change: the " +
    "distance between the state after a step and before it. Kept: how far the state still points the " +
    "same way (cosine similarity, 0 for unrelated).";
  $("slider").max = String(steps.length);
}

function drawStates(ri, si) {
  for (const canvas of document.querySelectorAll("canvas.states")) {
    const r = T.readings[Number(canvas.dataset.reading)], name = canvas.dataset.track, n = r.steps.length;
    const size = r.units[name], cw = Math.max(6, Math.min(48, Math.floor(720 / n)));
    const rh = Math.max(1, Math.floor(256 / size));
    canvas.width = n * cw; canvas.height = size * rh;
    const ctx = canvas.getContext("2d"), rr = Number(canvas.dataset.reading);
    ctx.fillStyle = "#f2f2f2"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    const states = r.steps.map((s) => s.tracks[name].state);
    const scale = Math.max(1, ...states.map((st) => Math.max(...st.map(Math.abs))));
    const backward = name.endsWith(" backward");
    r.steps.forEach((s, t) => {
      const filled = rr < ri || (rr === ri && (backward || t <= si));
      if (!filled) return;
      s.tracks[name].state.forEach((v, u) => {
        ctx.fillStyle = diverging(v / scale); ctx.fillRect(t * cw, u * rh, cw, rh);
      });
    });
    if (rr === ri) { ctx.strokeStyle = "#e0a800"; ctx.lineWidth = 2; ctx.strokeRect(si * cw + 1, 1, cw - 2, canvas.height - 2); }
  }
}

function showTokens(ri, si) {
  T.readings.forEach((r, a) => r.steps.forEach((s, b) => {
    const span = $(`token-${a}-${b}`);
    span.classList.toggle("current", a === ri && b === si);
    span.classList.toggle("read", a < ri || (a === ri && b < si));
    span.classList.toggle("ahead", a > ri || (a === ri && b > si));
    span.style.background = "";
  }));
  const p = T.readings[ri].steps[si].prediction;
  if (p.attention) {  // tint the source by where the decoder looks
    p.attention.forEach((w, j) => { $(`token-0-${j}`).style.background = `rgba(255,140,0,${w})`; });
  }
}

function showSays(ri, si) {
  const r = T.readings[ri], p = r.steps[si].prediction, list = $("predictions");
  list.replaceChildren();
  $("says-title").textContent = r.role === "output" ? "The decoder writes" : "The model says";
  if (p.next) {
    p.next.forEach((w, i) => {
      const li = el("li", i === 0 ? "best" : "");
      li.append(el("span", "word", w.token), bar(w.probability / Math.max(p.next[0].probability, 1e-9)),
                el("span", "value", pct(w.probability)));
      list.appendChild(li);
    });
  } else if (p.probabilities) {
    for (const [label, q] of Object.entries(p.probabilities)) {
      const li = el("li", label === p.label ? "best" : "");
      li.append(el("span", "word", label), bar(q), el("span", "value", pct(q)));
      list.appendChild(li);
    }
  } else {
    list.appendChild(el("li", "muted", "nothing yet: the decoder speaks once the whole source is read"));
  }
  if (p.attention) {
    const order = p.attention.map((w, j) => [w, j]).sort((a, b) => b[0] - a[0]).filter(([w], i) => i === 0 || w >= 0.01);
    const li = el("li", "muted looks", "looks at: " + order.slice(0, 3).map(([w, j]) => `${r.source[j]} ${pct(w)}`).join(", "));
    list.appendChild(li);
  }
  drawHistory(ri, si);
}

function svgChart(values, si, max, color, title) {  // one bar per step; the current one dark, later ones faint
  const w = 280, h = 60, n = values.length, bw = w / n;
  const bars = values.map((v, t) => `<rect x="${(t * bw + 1).toFixed(1)}" y="${(h - 14 - (h - 18) * v / max).toFixed(1)}" ` +
    `width="${Math.max(1, bw - 2).toFixed(1)}" height="${((h - 18) * v / max).toFixed(1)}" fill="${color}" ` +
    `opacity="${t === si ? 1 : t < si ? 0.45 : 0.12}"></rect>`).join("");
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img"><title>${title}</title>${bars}` +
    `<text x="0" y="${h - 2}">${title}</text></svg>`;
}

function drawHistory(ri, si) {
  const r = T.readings[ri], first = r.steps[0].prediction;
  if (!first.probabilities) { $("history").innerHTML = ""; return; }
  const label = r.steps[r.steps.length - 1].prediction.label;  // the text's final label
  const values = r.steps.map((s) => s.prediction.probabilities[label]);
  $("history").innerHTML = svgChart(values, si, 1, "#4a90d9", `p(${label}) word by word`);
}

function showMemory(ri, si) {
  const r = T.readings[ri], box = $("memory");
  box.replaceChildren();
  for (const name of topTracks(r)) {
    const f = r.steps[si].tracks[name], most = Math.max(...r.steps.map((s) => s.tracks[name].change), 1e-9);
    box.append(el("div", "track-name", name), row("changed by", f.change / most, f.change.toFixed(2)),
               row("kept", f.kept, pct(f.kept), "kept"));
  }
  const name = topTracks(r)[0], changes = r.steps.map((s) => s.tracks[name].change);
  $("changes").innerHTML = svgChart(changes, si, Math.max(...changes, 1e-9), "#27ae60", `change per step (${name})`);
}

function showGates(ri, si) {
  const r = T.readings[ri], box = $("gates");
  box.replaceChildren();
  if (!T.gates.length) {
    box.appendChild(el("p", "muted", T.cell === "rnn" ? "A plain RNN has no gates: every step rewrites its whole state."
      : "Not traced: trace with gates to see them."));
    return;
  }
  for (const name of topTracks(r)) {
    const g = r.steps[si].tracks[name].gates;
    box.appendChild(el("div", "track-name", name));
    for (const gate of T.gates) {
      box.appendChild(row(gate, g[gate].mean, g[gate].mean.toFixed(2), "gate"));
      const c = el("canvas", "units"), units = g[gate].units, cw = Math.max(1, Math.floor(256 / units.length));
      c.width = units.length * cw; c.height = 8; c.title = `${gate} gate of each unit: the share ${MEANING[gate]}`;
      const ctx = c.getContext("2d");
      units.forEach((v, u) => { ctx.fillStyle = sequential(v); ctx.fillRect(u * cw, 0, cw, 8); });
      box.appendChild(c);
    }
  }
}

function show(n) {
  current = Math.max(0, Math.min(steps.length - 1, n));
  const [ri, si] = steps[current];
  $("slider").value = String(current + 1);
  $("step-label").textContent = `step ${current + 1} of ${steps.length}`;
  showTokens(ri, si); showSays(ri, si); showMemory(ri, si); showGates(ri, si); drawStates(ri, si);
  try { history.replaceState(null, "", `#step=${current + 1}`); } catch (e) { /* some file: pages refuse */ }
}

function play() {
  if (timer) { clearInterval(timer); timer = null; $("play").textContent = "\u25B6 play"; return; }
  if (current === steps.length - 1) show(0);
  $("play").textContent = "\u23F8 pause";
  timer = setInterval(() => { if (current >= steps.length - 1) play(); else show(current + 1); }, 900);
}

build();
$("first").onclick = () => show(0);
$("prev").onclick = () => show(current - 1);
$("next").onclick = () => show(current + 1);
$("last").onclick = () => show(steps.length - 1);
$("play").onclick = play;
$("slider").oninput = (e) => show(Number(e.target.value) - 1);
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") show(current + 1);
  else if (e.key === "ArrowLeft") show(current - 1);
  else if (e.key === "Home") show(0);
  else if (e.key === "End") show(steps.length - 1);
  else if (e.key === " ") { e.preventDefault(); play(); }
});
const asked = () => { const m = /step=(\d+)/.exec(location.hash); return m ? Number(m[1]) - 1 : null; };
window.addEventListener("hashchange", () => { if (asked() !== null && asked() !== current) show(asked()); });
show(asked() ?? 0);
"""
