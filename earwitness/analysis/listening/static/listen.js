// earwitness listening test page: plain JavaScript, no build step.
// Playback: every stimulus of a trial is decoded into an AudioBuffer and all of them are
// started on one AudioContext clock, looping together; switching changes gains only:
// a 5 ms raised-cosine fade-out of the playing stimulus, then a 5 ms fade-in of the next
// (no cross-fade). The page knows only opaque tokens and slot letters.
"use strict";

const FADE_S = 0.005;
const MIN_LOOP_S = 0.5;
const TAGS = ["clarity", "bass", "harshness", "width", "dynamics", "warmth", "punch", "other"];

function raisedCosine(n, rising) {
  const curve = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0.5 - 0.5 * Math.cos((Math.PI * i) / (n - 1));
    curve[i] = rising ? v : 1 - v;
  }
  return curve;
}

class Engine {
  constructor(ctx, buffers, destination) {
    this.ctx = ctx;
    this.buffers = buffers;
    this.out = destination || ctx.destination;
    this.gains = buffers.map((_, i) => {
      const g = ctx.createGain();
      g.gain.value = i === 0 ? 1 : 0;
      g.connect(this.out);
      return g;
    });
    this.active = 0;
    this.sources = null;
    this.loop = [0, buffers[0].duration];
    this.busyUntil = 0;
  }
  get playing() { return this.sources !== null; }
  start(when, offset) {
    this.stop();
    const t = when === undefined ? this.ctx.currentTime + 0.02 : when;
    this.sources = this.buffers.map((buffer, i) => {
      const src = this.ctx.createBufferSource();
      src.buffer = buffer;
      src.loop = true;
      src.loopStart = this.loop[0];
      src.loopEnd = this.loop[1];
      src.connect(this.gains[i]);
      src.start(t, offset === undefined ? this.loop[0] : offset);
      return src;
    });
    return t;
  }
  stop(when) {
    if (!this.sources) return;
    for (const src of this.sources) src.stop(when || 0);
    this.sources = null;
  }
  switchTo(index, when) {
    if (index === this.active) return null;
    const now = when === undefined ? this.ctx.currentTime : when;
    const t = Math.max(now, this.busyUntil);
    const n = Math.max(2, Math.round(FADE_S * this.ctx.sampleRate) + 1);
    const out = this.gains[this.active].gain;
    const into = this.gains[index].gain;
    out.cancelScheduledValues(t);
    out.setValueCurveAtTime(raisedCosine(n, false), t, FADE_S);
    into.cancelScheduledValues(t);
    into.setValueAtTime(0, t);
    into.setValueCurveAtTime(raisedCosine(n, true), t + FADE_S, FADE_S);
    this.busyUntil = t + 2 * FADE_S;
    this.active = index;
    return t;
  }
  setLoop(start, end) {
    const duration = this.buffers[0].duration;
    start = Math.max(0, Math.min(start, duration - MIN_LOOP_S));
    end = Math.min(duration, Math.max(end, start + MIN_LOOP_S));
    this.loop = [start, end];
    if (this.sources) for (const src of this.sources) { src.loopStart = start; src.loopEnd = end; }
    return this.loop;
  }
}
window.EarwitnessEngine = Engine;
window.earwitnessRaisedCosine = raisedCosine;

const token = location.pathname.split("/").filter(Boolean)[1];
const api = (path) => `/api/${token}/${path}`;
const $ = (id) => document.getElementById(id);
let ctx = null;
let master = null;
let engine = null;
let state = null;
let eventQueue = [];
let currentTrial = null;

function log(kind, detail) {
  eventQueue.push({ kind, trial: currentTrial, t: performance.now(), detail: detail || {} });
}

async function flush() {
  if (!eventQueue.length) return;
  const events = eventQueue;
  eventQueue = [];
  try {
    const r = await fetch(api("events"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) });
    // busy or unreachable: keep them for the next flush; refused (4xx, e.g. 429): drop them
    if (r.status >= 500 || r.status === 408) throw new Error(r.status);
  } catch (e) { eventQueue = events.concat(eventQueue).slice(0, 2000); }
}
setInterval(flush, 3000);
addEventListener("pagehide", () => {
  if (eventQueue.length) navigator.sendBeacon(api("events"), new Blob([JSON.stringify({ events: eventQueue })], { type: "application/json" }));
  eventQueue = [];
});
document.addEventListener("visibilitychange", () => log("visibility", { hidden: document.hidden }));

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(text, kind) {
  $("message").textContent = text || "";
  $("message").className = kind || "";
}

function audioContext() {
  if (!ctx) {
    ctx = new AudioContext();
    master = ctx.createGain();
    master.gain.value = Number(localStorage.getItem("earwitness-volume") || 0.7);
    master.connect(ctx.destination);
  }
  if (ctx.state === "suspended") ctx.resume();
  return ctx;
}

async function loadBuffers(tokens) {
  const context = audioContext();
  return Promise.all(tokens.map(async (t) => {
    const r = await fetch(api(`audio/${t}`));
    if (!r.ok) throw new Error(`audio ${r.status}`);
    return context.decodeAudioData(await r.arrayBuffer());
  }));
}

function heading() {
  const titles = {
    "mushra": "Rate the quality of each version against the reference (MUSHRA, ITU-R BS.1534-3)",
    "mushra-noref": "Rate the quality of each version",
    "ab": "Which version do you prefer?",
    "abx": "Is X the same as A or as B?",
  };
  return titles[state.design];
}

function letters(n) { return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i)); }

function transport(buttons) {
  const play = el("button", { id: "play", class: "primary", onclick: () => {
    if (engine.playing) { engine.stop(); log("stop"); play.textContent = "Play"; }
    else { audioContext(); engine.start(); log("play", { token: buttons[engine.active].dataset.token }); play.textContent = "Stop"; }
  } }, "Play");
  const start = el("input", { type: "range", min: 0, max: 1000, value: 0, id: "loop-start", "aria-label": "Loop start" });
  const end = el("input", { type: "range", min: 0, max: 1000, value: 1000, id: "loop-end", "aria-label": "Loop end" });
  const shown = el("span", { id: "loop-shown" });
  const update = () => {
    const d = engine.buffers[0].duration;
    const [a, b] = engine.setLoop((start.value / 1000) * d, (end.value / 1000) * d);
    shown.textContent = `${a.toFixed(1)}–${b.toFixed(1)} s`;
    log("loop", { start: a, end: b });
  };
  start.addEventListener("change", update);
  end.addEventListener("change", update);
  shown.textContent = `0.0–${engine.buffers[0].duration.toFixed(1)} s`;
  return el("div", { class: "transport" }, play, el("span", { class: "loop" },
    el("label", {}, "Loop from ", start), el("label", {}, "to ", end), shown));
}

function selectButton(buttons, index) {
  buttons.forEach((b, i) => b.classList.toggle("active", i === index));
  engine.switchTo(index);
  log("switch", { token: buttons[index].dataset.token });
}

async function showTrial(view, { training = false } = {}) {
  currentTrial = training ? null : view.index;
  const tokens = [];
  if (view.reference) tokens.push(view.reference);
  tokens.push(...view.slots);
  if (view.x) tokens.push(view.x);
  $("stage").replaceChildren(el("p", {}, "Loading the audio…"));
  const buffers = await loadBuffers(tokens);
  if (engine) engine.stop();
  engine = new Engine(audioContext(), buffers, master);
  const names = [];
  if (view.reference) names.push("Reference");
  names.push(...letters(view.slots.length));
  if (view.x) names.push("X");
  const buttons = tokens.map((t, i) => el("button", { "data-token": t, class: i === 0 ? "active" : "", onclick: () => selectButton(buttons, i) }, names[i]));
  const card = el("div", { class: "card" }, el("h2", {}, training ? "Training: listen to every version, nothing is recorded" : heading()), transport(buttons));
  if (training) {
    card.append(el("div", { class: "choices" }, ...buttons));
    card.append(el("button", { class: "primary", id: "begin", onclick: () => { engine.stop(); log("stage", { stage: "trials" }); localStorage.setItem(`earwitness-intro-${token}`, "done"); next(); } }, "Start the test"));
  } else if (state.design === "mushra" || state.design === "mushra-noref") {
    card.append(ratingGrid(view, buttons));
  } else {
    card.append(choiceForm(view, buttons));
  }
  $("stage").replaceChildren(card);
}

function ratingGrid(view, buttons) {
  const offset = view.reference ? 1 : 0;
  const scores = {};
  const submit = el("button", { class: "primary", id: "submit", disabled: true, onclick: () => send({ trial: view.index, ratings: scores }, submit) }, "Next");
  const columns = view.slots.map((t, i) => {
    const out = el("output", {}, "–");
    const slider = el("input", { type: "range", min: 0, max: 100, step: 1, value: 50, "aria-label": `Score ${letters(view.slots.length)[i]}`, "data-token": t });
    slider.addEventListener("input", () => {
      scores[t] = Number(slider.value);
      out.textContent = slider.value;
      submit.disabled = Object.keys(scores).length !== view.slots.length;
    });
    slider.addEventListener("change", () => log("slider", { token: t, value: Number(slider.value) }));
    return el("div", { class: "column" }, out, slider, buttons[i + offset]);
  });
  const scale = el("div", { class: "scale" }, ...["Excellent", "Good", "Fair", "Poor", "Bad"].map((w) => el("span", {}, w)));
  const refs = view.reference ? el("div", { class: "column ref" }, buttons[0]) : "";
  return el("div", {}, el("div", { class: "grid" }, refs, scale, ...columns), submit);
}

function choiceForm(view, buttons) {
  const choice = { value: null };
  const tags = new Set();
  const submit = el("button", { class: "primary", id: "submit", disabled: true, onclick: () => send({ trial: view.index, choice: choice.value, tags: [...tags] }, submit) }, "Next");
  const options = state.design === "ab" ? [["A", "A"], ["B", "B"], ["none", "No preference"]] : [["A", "X is A"], ["B", "X is B"]];
  const radios = options.map(([value, text]) => el("label", {}, el("input", { type: "radio", name: "choice", value, onchange: () => { choice.value = value; submit.disabled = false; log("choice", { value }); } }), " ", text));
  const form = el("div", {}, el("div", { class: "choices" }, ...buttons), el("div", { class: "choices" }, ...radios));
  if (state.design === "ab") {
    form.append(el("p", {}, "Why? (optional)"), el("div", { class: "tags" }, ...TAGS.map((tag) => el("label", {}, el("input", { type: "checkbox", onchange: (e) => { e.target.checked ? tags.add(tag) : tags.delete(tag); log("tag", { tag, on: e.target.checked }); } }), " ", tag))));
  }
  form.append(submit);
  return form;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function readJson(r) {
  try { return await r.json(); } catch (e) { return {}; }
}

function retryDelay(r, attempt) {
  const given = r ? Number(r.headers.get("Retry-After")) : NaN;
  return Number.isFinite(given) && given > 0 ? Math.min(given, 30) : Math.min(2 + attempt, 10);
}

// Fetch JSON; while the server is busy (503), times out (408) or cannot be reached, wait
// and try again, telling the participant to wait. Returns [response, body].
async function patiently(path, options) {
  for (let attempt = 0; ; attempt++) {
    let r = null;
    try { r = await fetch(api(path), options); } catch (e) { r = null; }
    if (r && r.status !== 503 && r.status !== 502 && r.status !== 504 && r.status !== 408) {
      const body = await readJson(r);
      if ($("message").classList.contains("wait")) { say(""); }
      return [r, body];
    }
    const wait = retryDelay(r, attempt);
    say(`The server is busy; nothing is lost. Trying again in ${wait} s: please wait and keep this page open.`, "wait");
    await sleep(wait * 1000);
  }
}

async function send(answer, button) {
  button.disabled = true;
  if (engine && engine.playing) { engine.stop(); log("stop"); }
  await flush();
  const [r, body] = await patiently("answer", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(answer) });
  if (r.status === 409) return recover();
  if (!r.ok) { say(body.error || `error ${r.status}`); button.disabled = false; return; }
  say("");
  state = body;
  next();
}

// The answer clashed with the session (given in another tab, or sent twice after a lost
// reply): the server's state is the truth, so continue from there.
async function recover() {
  const [r, body] = await patiently("state", {});
  if (!r.ok) { $("stage").replaceChildren(el("p", {}, "This link is not valid.")); return; }
  state = body;
  say("This page had already been answered (perhaps in another tab); the test continues where it is.", "info");
  next();
}

function volumePage() {
  currentTrial = null;
  const slider = el("input", { type: "range", min: 0, max: 100, value: Math.round(master.gain.value * 100), id: "volume", "aria-label": "Volume" });
  slider.addEventListener("input", () => { master.gain.value = slider.value / 100; localStorage.setItem("earwitness-volume", String(master.gain.value)); });
  slider.addEventListener("change", () => log("volume", { value: master.gain.value }));
  const done = el("button", { class: "primary", id: "volume-done", onclick: async () => { if (engine) engine.stop(); log("stage", { stage: "training" }); await showTrial(state.training, { training: true }); } }, "The level is comfortable");
  const play = el("button", { id: "volume-play", onclick: async () => {
    const buffers = await loadBuffers([state.training.slots[0]]);
    if (engine) engine.stop();
    engine = new Engine(audioContext(), buffers, master);
    engine.start(); log("play", { token: state.training.slots[0], stage: "volume" });
  } }, "Play a sample");
  $("stage").replaceChildren(el("div", { class: "card" }, el("h2", {}, "Set the volume"),
    el("p", {}, "Use headphones if you can. Play the sample and set a comfortable level; keep it for the whole test."),
    el("div", { class: "transport" }, play, el("label", {}, "Volume ", slider)), done));
}

function headphonePage() {
  // Woods et al. (2017), Atten. Percept. Psychophys. 79: three 200 Hz tones, one 6 dB
  // quieter, one in antiphase between the ears; over loudspeakers the antiphase tone
  // sounds quietest. Six trials; five right pass. Logged, never blocking.
  const context = audioContext();
  let trial = 0, correct = 0;
  const run = () => {
    if (trial === 6) {
      log("headphone", { correct, trials: 6, passed: correct >= 5 });
      return volumePage();
    }
    const quiet = Math.floor(Math.random() * 3);
    const anti = (quiet + 1 + Math.floor(Math.random() * 2)) % 3;
    const play = () => {
      const rate = context.sampleRate, n = Math.round(rate * 0.5);
      [0, 1, 2].forEach((k) => {
        const b = context.createBuffer(2, n, rate);
        const amp = k === quiet ? 0.1 : 0.2;
        for (let c = 0; c < 2; c++) {
          const d = b.getChannelData(c);
          const sign = k === anti && c === 1 ? -1 : 1;
          for (let i = 0; i < n; i++) d[i] = sign * amp * Math.sin(2 * Math.PI * 200 * i / rate) * Math.min(1, i / 480, (n - i) / 480);
        }
        const s = context.createBufferSource(); s.buffer = b; s.connect(master); s.start(context.currentTime + 0.05 + k * 0.8);
      });
    };
    const answer = (k) => { correct += k === quiet ? 1 : 0; trial += 1; run(); };
    $("stage").replaceChildren(el("div", { class: "card" }, el("h2", {}, `Headphone check ${trial + 1} of 6`),
      el("p", {}, "Which of the three tones is the quietest?"),
      el("div", { class: "choices" }, el("button", { onclick: play }, "Play the tones"),
        ...[0, 1, 2].map((k) => el("button", { onclick: () => answer(k) }, `Tone ${k + 1}`)))));
  };
  run();
}

function welcome() {
  $("stage").replaceChildren(el("div", { class: "card" }, el("h2", {}, "Welcome"),
    el("p", {}, "You will hear short excerpts of music, all at the same loudness, and answer one page at a time. Your answers are saved as you go; you can reload the page and continue where you were."),
    el("button", { class: "primary", id: "welcome-start", onclick: () => {
      audioContext(); log("stage", { stage: "start" });
      state.headphone_check ? headphonePage() : volumePage();
    } }, "Begin")));
}

function done() {
  currentTrial = null;
  flush();
  $("stage").replaceChildren(el("div", { class: "card" }, el("h2", {}, "Thank you"),
    el("p", {}, "All your answers are saved. Your completion code:"),
    el("p", { id: "completion-code" }, el("strong", {}, state.completion_code || ""))));
}

async function next() {
  $("progress").textContent = state.complete ? "" : `Page ${state.progress + 1} of ${state.trials}`;
  if (state.complete) return done();
  if (state.progress === 0 && localStorage.getItem(`earwitness-intro-${token}`) !== "done") return welcome();
  try { await showTrial(state.trial); } catch (e) { say(`The audio could not be loaded (${e.message}).`); }
}

async function boot() {
  const query = new URLSearchParams(location.search);
  const crowd = query.get("crowd_id") || query.get("PROLIFIC_PID");
  if (crowd) await fetch(api("crowd"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ crowd_id: crowd }) });
  const [r, body] = await patiently("state", {});
  if (!r.ok) { $("stage").replaceChildren(el("p", {}, "This link is not valid.")); return; }
  state = body;
  $("title").textContent = state.design === "mushra" ? "MUSHRA listening test" : "Listening test";
  next();
}

if (token) boot();
