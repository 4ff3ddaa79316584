// earwitness workbench. Study text is only ever put in the page with textContent (never
// as markup). Offsets sent to and read from the server are Unicode code points, as the
// store and REFI-QDA count them; the page converts to and from the browser's UTF-16.
"use strict";

const S = { coder: "", blind: false, codebook: [], byId: new Map(), byGuid: new Map(),
  recent: [], doc: null, maps: null, sel: null, filters: {}, stance: null };
window.__wbTimings = [];  // key press -> stored, ms (read by the benchmark)

// --- small helpers --------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(message) { document.getElementById("status").textContent = message; }
function alertUser(message) { document.getElementById("alert").textContent = message || ""; }

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch("/api/" + path, options);
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    error.conflict = Boolean(data.conflict);
    if (data.login) { showSignIn(data.error); error.handled = true; }
    throw error;
  }
  return data;
}

function typing(event) {
  const t = event.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
}

function short(text, n) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > n ? flat.slice(0, n - 1) + "…" : flat;
}

function fmt(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

// --- code points <-> UTF-16 -----------------------------------------------------------

function buildMaps(text) {
  const n = text.length;
  const u2c = new Uint32Array(n + 1);
  const c2u = [];
  let cp = 0;
  for (let i = 0; i < n; i++) {
    u2c[i] = cp;
    c2u.push(i);
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < n) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { u2c[i + 1] = cp; i++; }
    }
    cp++;
  }
  u2c[n] = cp;
  c2u.push(n);
  return { u2c, c2u: Uint32Array.from(c2u), length: cp };
}

// --- start ----------------------------------------------------------------------------

// --- signing in (a shared study, or a server beyond loopback) ---------------------------

function showSignIn(message) {
  if (document.getElementById("sign-in")) { alertUser(message); return; }
  const token = el("input", { type: "password", id: "token", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "token-help" });
  const form = el("form", { id: "sign-in", class: "code-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api("login", { token: token.value.trim() });
      token.value = "";
      location.reload();  // start afresh as the coder the token names
    } catch (error) { if (!error.handled) alertUser(error.message); token.select(); }
  } }, field("Your coder token", token), el("button", { type: "submit" }, "Sign in"));
  show(el("h2", {}, "Sign in"),
    el("p", { id: "token-help" }, "This workbench serves a team: paste the token made for you with ",
      el("code", {}, "earwitness workbench token add NAME"), ". This browser keeps it in a cookie until it closes; it is never put in the address."),
    form);
  document.getElementById("who").textContent = "";
  alertUser(message === "sign in with your coder token" ? "" : message);
  token.focus();
}

async function signOut() {
  await api("logout", {});
  location.hash = "#/documents";
  location.reload();
}

async function start() {
  let data;
  try { data = await api("start"); } catch (error) { if (error.handled) return; throw error; }
  S.coder = data.coder;
  S.tokens = data.tokens;
  S.blind = data.blind;
  setCodebook(data.codebook);
  S.filterOptions = data.filters;
  S.progress = data.progress;
  document.getElementById("who").replaceChildren(
    `Coder: ${S.coder}` + (S.blind ? " · blind double-coding" : "") + ` · ${data.backend}`,
    S.tokens ? el("button", { type: "button", id: "sign-out", onclick: () => signOut().catch(failed) }, "Sign out") : "");
  try { S.recent = JSON.parse(localStorage.getItem("wb-recent-" + S.coder) || "[]"); } catch (e) { S.recent = []; }
  S.recent = S.recent.filter((guid) => S.byGuid.has(guid));
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", onKey);
  document.addEventListener("selectionchange", rememberSelection);
  document.getElementById("help-button").addEventListener("click", toggleHelp);
  buildHelp();
  route();
}

function setCodebook(codes) {
  S.codebook = codes;
  S.byId = new Map(codes.map((c) => [c.id, c]));
  S.byGuid = new Map(codes.map((c) => [c.guid, c]));
}

function route() {
  alertUser("");
  S.opening = (S.opening || 0) + 1;  // a document still loading for the last view is not shown
  const hash = location.hash || "#/documents";
  const doc = hash.match(/^#\/doc\/(\d+)/);
  for (const name of ["documents", "stance", "groups", "agreement", "codebook"]) {
    const link = document.getElementById("nav-" + name);
    const current = hash.startsWith("#/" + name) || (name === "documents" && doc);
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (doc) return openDocument(Number(doc[1]));
  if (hash.startsWith("#/stance")) return openStance();
  if (hash.startsWith("#/groups")) return openGroups();
  if (hash.startsWith("#/agreement")) return openAgreement();
  if (hash.startsWith("#/codebook")) return openCodebook();
  return openList();
}

function show(...nodes) {
  const view = document.getElementById("view");
  view.replaceChildren(...nodes);
  S.view = view;
}

// --- help -----------------------------------------------------------------------------

const KEYS = [
  ["Documents list", ""], ["/", "search"], ["Enter", "open the focused document"],
  ["Reading view", ""], ["j / k", "select the next / previous sentence"],
  ["J / K", "extend / shrink the selection by a sentence"],
  ["c", "search the codebook (type, ↑ ↓, Enter applies)"], ["1–9", "apply a recent code"],
  ["v", "in-vivo code from the selection"], ["m", "memo on the document"],
  ["x", "mark the document done / not done"], ["Delete", "remove the focused coding"],
  ["a / r", "accept / reject the focused machine proposal"],
  ["Escape", "clear the selection; again: back to the list"],
  ["Stance queue", ""], ["1 2 3 4", "positive, negative, mixed, neutral"], ["s", "skip"],
  ["u or Backspace", "undo the last label"],
  ["User groups", ""], ["1 2 3 4", "amateur, pro-am, professional, unknown"], ["s / u", "skip / undo"],
];

function buildHelp() {
  const list = el("dl");
  for (const [key, what] of KEYS) {
    list.append(el("dt", what ? {} : { style: "font-weight:bold;grid-column:1/-1" }, key));
    if (what) list.append(el("dd", { style: "margin:0" }, what));
  }
  document.getElementById("help").replaceChildren(list);
}

function toggleHelp() {
  const help = document.getElementById("help");
  help.hidden = !help.hidden;
  document.getElementById("help-button").setAttribute("aria-expanded", String(!help.hidden));
}

// --- document list --------------------------------------------------------------------

function select(name, label, options, value) {
  const node = el("select", { name, "aria-label": label },
    el("option", { value: "" }, "any"),
    ...options.map(([v, text]) => el("option", { value: v, selected: String(v) === String(value) }, text)));
  return el("label", {}, label, node);
}

async function openList() {
  const f = S.filters;
  const codes = S.codebook.filter((c) => c.codable).map((c) => [c.id, c.path]);
  const form = el("form", { class: "filters", role: "search", "aria-label": "Filter documents",
      onsubmit: (e) => { e.preventDefault(); } },
    select("platform", "Source", S.filterOptions.platform.map((v) => [v, v]), f.platform),
    select("kind", "Kind", S.filterOptions.kind.map((v) => [v, v]), f.kind),
    select("group", "User group", S.filterOptions.group.map((v) => [v, v]), f.group),
    select("coded", "Coded", [["coded", "coded"], ["uncoded", "uncoded"], ["mine", "coded by me"]], f.coded),
    select("code", "Code", codes, f.code),
    el("label", {}, "From", el("input", { type: "date", name: "since", value: f.since || "", "aria-label": "Written on or after" })),
    el("label", {}, "To", el("input", { type: "date", name: "until", value: f.until || "", "aria-label": "Written on or before" })),
    el("label", {}, "Search", el("input", { type: "search", name: "q", id: "search",
      value: f.q || "", "aria-label": "Search the documents' text" })));
  let timer = null;
  const reload = () => {
    for (const field of form.elements) S.filters[field.name] = field.value;
    loadList();
  };
  form.addEventListener("change", reload);
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(reload, 250); });
  show(el("h2", {}, "Documents"), form,
    el("section", { "aria-label": "Progress per coder", id: "progress" }),
    el("p", { id: "count", "aria-live": "polite" }),
    el("table", { id: "documents" }));
  await loadList();
}

async function loadList() {
  const query = new URLSearchParams(Object.entries(S.filters).filter(([, v]) => v));
  const [data, start] = await Promise.all([api("documents?" + query), api("start")]);
  S.progress = start.progress;
  const progress = el("table", { "aria-label": "Progress per coder" },
    el("thead", {}, el("tr", {}, el("th", {}, "Coder"), el("th", { class: "num" }, "Documents coded"),
      el("th", { class: "num" }, "Marked done"), el("th", { class: "num" }, "Of"))),
    el("tbody", {}, ...S.progress.map((p) => el("tr", {}, el("td", {}, p.coder),
      el("td", { class: "num" }, p.coded), el("td", { class: "num" }, p.done),
      el("td", { class: "num" }, p.documents)))));
  const box = document.getElementById("progress");
  if (!box) return;
  box.replaceChildren(el("h3", { style: "font-size:.95rem;margin:.2rem 0" }, "Progress per coder"),
    S.progress.length ? progress : el("p", {}, "Nobody has coded yet."));
  document.getElementById("count").textContent =
    `${data.total} documents` + (data.total > data.documents.length ? `, first ${data.documents.length} shown` : "");
  const rows = data.documents.map((d) => el("tr", {},
    el("td", { class: "num" }, el("a", { href: `#/doc/${d.id}`, "aria-label": `Open document ${d.id} by ${d.pseudonym || "unknown"}` }, String(d.id))),
    el("td", {}, d.pseudonym), el("td", {}, d.user_group), el("td", {}, d.platform),
    el("td", {}, d.kind), el("td", { class: "preview" }, short(d.title ? d.title + " — " + d.preview : d.preview, 140)),
    el("td", { class: "num" }, d.mine), el("td", {}, d.done ? "done" : "")));
  document.getElementById("documents").replaceChildren(
    el("thead", {}, el("tr", {}, ...["Id", "Author", "Group", "Source", "Kind", "Text", "My codings", "Status"]
      .map((h, i) => el("th", { scope: "col", class: i === 0 || i === 6 ? "num" : null }, h)))),
    el("tbody", {}, ...rows));
}

// --- reading view ---------------------------------------------------------------------

async function openDocument(id, keepScroll) {
  const scroll = keepScroll && document.getElementById("text") ? document.getElementById("text").scrollTop : 0;
  const t0 = performance.now();
  const ticket = S.opening = (S.opening || 0) + 1;
  const doc = await api(`documents/${id}`);
  if (ticket !== S.opening) return;  // a later opening (the coder moved on) wins
  S.doc = doc;
  S.maps = buildMaps(doc.text);
  S.sel = null;
  const text = el("article", { id: "text", tabindex: "0", "aria-label": `Text of document ${doc.id}`,
    "aria-describedby": "reader-hint" });
  const head = el("p", { class: "doc-head" },
    el("a", { href: "#/documents" }, "← Documents"), ` · document ${doc.id} · ${doc.platform}:${doc.native_id} · ${doc.kind} · author ${doc.pseudonym || "unknown"} (${doc.user_group})`,
    doc.title ? el("strong", { style: "display:block" }, doc.title) : null);
  const hint = el("p", { id: "reader-hint", class: "visually-hidden" },
    "Select text with the mouse, or with j and k by sentence; then c to choose a code, 1 to 9 for a recent code.");
  const side = el("aside", { class: "side", "aria-label": "Coding tools" },
    selectionBox(), pickerBox(), recentBox(), proposalsBox(), codingsBox(), memoBox(), doneBox());
  show(el("div", { class: "reader" }, el("div", {}, head, hint,
    doc.hidden ? el("p", { class: "notice", role: "note" },
      `${doc.hidden} codings by other coders are hidden until you and they have marked this document done.`) : null,
    text), side));
  renderText();
  renderCodings();
  text.scrollTop = scroll;
  if (!keepScroll) text.focus();
  window.__wbLastOpenMs = performance.now() - t0;
  if (!keepScroll) say(`Document ${doc.id} opened in ${Math.round(window.__wbLastOpenMs)} ms`);
}

function renderText() {
  const doc = S.doc, { c2u, length } = S.maps;
  const events = new Map();
  const add = (at, kind, coding) => { if (!events.has(at)) events.set(at, []); events.get(at).push([kind, coding]); };
  for (const c of doc.codings) { add(c.start, 1, c); add(c.end, -1, c); }
  for (const p of doc.proposals) { const c = { ...p, proposal: true }; add(c.start, 1, c); add(c.end, -1, c); }
  const bounds = [...new Set([0, length, ...events.keys()])].sort((a, b) => a - b);
  const active = new Set();
  const pieces = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    for (const [kind, coding] of events.get(bounds[i]) || []) {
      if (kind === 1) active.add(coding); else active.delete(coding);
    }
    const from = bounds[i], to = bounds[i + 1];
    if (to <= from) continue;
    const content = doc.text.slice(c2u[from], c2u[to]);
    if (!active.size) {
      pieces.push(el("span", { "data-c": from, "data-u": c2u[from] }, content));
      continue;
    }
    const all = [...active];
    const list = all.filter((c) => !c.proposal).sort((a, b) => (b.end - b.start) - (a.end - a.start));
    const proposed = all.filter((c) => c.proposal);
    if (!list.length) {
      const col = (S.byId.get(proposed[0].code) || {}).color || "#999";
      pieces.push(el("span", { class: "proposal", "data-c": from, "data-u": c2u[from],
        "data-proposals": proposed.map((c) => c.id).join(" "),
        title: proposed.map((c) => `proposed: ${(S.byId.get(c.code) || {}).path}`).join("\n"),
        style: `border-bottom:2px dashed ${col}` }, content));
      continue;
    }
    const colours = list.map((c) => (S.byId.get(c.code) || {}).color || "#999");
    const inner = colours[colours.length - 1];
    const shadows = colours.slice(0, 3).map((col, k) => `inset 0 -${3 * (k + 1)}px 0 ${col}`).join(",");
    pieces.push(el("mark", {
      "data-c": from, "data-u": c2u[from], "data-ids": list.map((c) => c.id).join(" "),
      title: list.map((c) => `${(S.byId.get(c.code) || {}).path} (${c.coder})`).join("\n"),
      style: `background:${inner}33;box-shadow:${shadows};padding-bottom:${3 * Math.min(list.length, 3)}px`,
    }, content));
  }
  document.getElementById("text").replaceChildren(...pieces);
}

function pointToUnit(node, offset) {
  const text = document.getElementById("text");
  if (node === text) {
    const child = text.childNodes[offset];
    return child ? Number(child.dataset.u) : S.doc.text.length;
  }
  const piece = (node.nodeType === 3 ? node.parentElement : node).closest("[data-u]");
  if (!piece) return null;
  if (node.nodeType === 3) return Number(piece.dataset.u) + offset;
  return Number(piece.dataset.u) + (offset === 0 ? 0 : piece.textContent.length);
}

function rememberSelection() {
  const text = document.getElementById("text");
  const selection = document.getSelection();
  if (!text || !S.doc || !selection.rangeCount || selection.isCollapsed) return;
  const range = selection.getRangeAt(0);
  if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
  const a = pointToUnit(range.startContainer, range.startOffset);
  const b = pointToUnit(range.endContainer, range.endOffset);
  if (a === null || b === null || a === b) return;
  S.sel = { start: S.maps.u2c[Math.min(a, b)], end: S.maps.u2c[Math.max(a, b)] };
  showSelection();
}

function selectionText() {
  return S.sel ? S.doc.text.slice(S.maps.c2u[S.sel.start], S.maps.c2u[S.sel.end]) : "";
}

function selectionBox() {
  return el("section", { "aria-label": "Selection" }, el("h2", {}, "Selection"),
    el("p", { id: "selection", "aria-live": "polite" }, "Nothing selected."));
}

function showSelection() {
  const box = document.getElementById("selection");
  if (!box) return;
  box.textContent = S.sel ? `[${S.sel.start}, ${S.sel.end}) “${short(selectionText(), 120)}”` : "Nothing selected.";
}

function domPoint(cp) {
  const text = document.getElementById("text");
  const u = S.maps.c2u[cp];
  let lo = 0, hi = text.childNodes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (Number(text.childNodes[mid].dataset.u) <= u) lo = mid; else hi = mid - 1;
  }
  const piece = text.childNodes[lo];
  return [piece.firstChild || piece, u - Number(piece.dataset.u)];
}

function selectSpan(start, end) {
  const [a, ao] = domPoint(start);
  const [b, bo] = domPoint(end);
  const selection = document.getSelection();
  selection.setBaseAndExtent(a, ao, b, bo);
  S.sel = { start, end };
  showSelection();
  const node = a.nodeType === 3 ? a.parentElement : a;
  node.scrollIntoView({ block: "nearest" });
}

function moveBySegment(step, extend) {
  const segments = S.doc.segments.length ? S.doc.segments : [[0, S.maps.length]];
  const at = S.sel ? (step > 0 ? S.sel.end : S.sel.start) : (step > 0 ? -1 : S.maps.length + 1);
  if (extend && S.sel) {
    if (step > 0) {
      const next = segments.find((s) => s[1] > S.sel.end);
      if (next) selectSpan(S.sel.start, next[1]);
    } else {
      const inside = segments.filter((s) => s[1] < S.sel.end && s[1] > S.sel.start);
      if (inside.length) selectSpan(S.sel.start, inside[inside.length - 1][1]);
    }
    return;
  }
  const found = step > 0 ? segments.find((s) => s[0] >= at) : [...segments].reverse().find((s) => s[1] <= at);
  if (found) selectSpan(found[0], found[1]);
}

// codebook picker with type-ahead
function pickerBox() {
  const input = el("input", { id: "code-search", type: "text", role: "combobox", autocomplete: "off",
    "aria-autocomplete": "list", "aria-controls": "code-list", "aria-expanded": "true",
    "aria-label": "Search the codebook; Enter applies the highlighted code to the selection",
    placeholder: "Type to find a code (c)" });
  const list = el("ul", { id: "code-list", class: "codes", role: "listbox", "aria-label": "Codebook" });
  input.addEventListener("input", () => filterCodes(input.value));
  input.addEventListener("keydown", (event) => {
    const options = [...list.querySelectorAll('[role="option"]:not(.theme)')];
    const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = Math.max(0, Math.min(options.length - 1, current + (event.key === "ArrowDown" ? 1 : -1)));
      highlightOption(options, next);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const chosen = options[current >= 0 ? current : 0];
      if (chosen) applyCode(chosen.dataset.guid, event.timeStamp);
    } else if (event.key === "Escape") {
      event.preventDefault();
      input.value = "";
      filterCodes("");
      document.getElementById("text").focus();
    }
  });
  const invivo = el("button", { type: "button", id: "invivo", onclick: () => inVivo() },
    "In-vivo code from selection (v)");
  setTimeout(() => filterCodes(""), 0);
  return el("section", { "aria-label": "Codebook" }, el("h2", {}, "Codebook"), input, list, invivo);
}

function highlightOption(options, index) {
  options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
  if (options[index]) {
    options[index].scrollIntoView({ block: "nearest" });
    document.getElementById("code-search").setAttribute("aria-activedescendant", options[index].id);
  }
}

function filterCodes(query) {
  const list = document.getElementById("code-list");
  if (!list) return;
  const q = query.trim().toLowerCase();
  const shown = S.codebook.filter((c) => !q || c.path.toLowerCase().includes(q) ||
    (c.definition || "").toLowerCase().includes(q));
  list.replaceChildren(...shown.map((c) => el("li", {
    id: `code-${c.id}`, role: "option", "aria-selected": "false", "data-guid": c.guid,
    class: c.codable ? null : "theme", "aria-disabled": c.codable ? null : "true",
    style: `padding-left:${0.3 + c.depth * 0.9}rem`, title: c.definition || null,
    onmousedown: (e) => e.preventDefault(),
    onclick: () => c.codable && applyCode(c.guid, performance.now()),
  }, el("span", { class: "swatch", style: `background:${c.color}`, "aria-hidden": "true" }), q ? c.path : c.name)));
  const options = [...list.querySelectorAll('[role="option"]:not(.theme)')];
  if (q && options.length) highlightOption(options, 0);
}

function recentBox() {
  return el("section", { "aria-label": "Recent codes" }, el("h2", {}, "Recent codes (1–9)"),
    el("div", { class: "recent", id: "recent" }));
}

function renderRecent() {
  const box = document.getElementById("recent");
  if (!box) return;
  box.replaceChildren(...S.recent.slice(0, 9).map((guid, i) => {
    const code = S.byGuid.get(guid);
    return el("button", { type: "button", "aria-keyshortcuts": String(i + 1),
      onmousedown: (e) => e.preventDefault(), onclick: () => applyCode(guid, performance.now()) },
      el("span", { class: "swatch", style: `background:${code.color}`, "aria-hidden": "true" }),
      ` ${i + 1} ${code.name}`);
  }));
  if (!S.recent.length) box.textContent = "Codes you apply appear here.";
}

function remember(guid) {
  S.recent = [guid, ...S.recent.filter((g) => g !== guid)].slice(0, 9);
  localStorage.setItem("wb-recent-" + S.coder, JSON.stringify(S.recent));
}

async function applyCode(guid, pressedAt) {
  if (!S.sel) { alertUser("Select some text first (drag, or j / k by sentence)."); return; }
  const code = S.byGuid.get(guid);
  if (!code || !code.codable) return;
  const started = pressedAt || performance.now();
  try {
    await api("apply", { document: S.doc.id, start: S.sel.start, end: S.sel.end, code: guid });
    window.__wbTimings.push({ action: "apply", ms: performance.now() - started });
    remember(guid);
    const sel = S.sel;
    const docId = S.doc.id;
    await openDocument(docId, true);
    say(`Applied ${code.path} to [${sel.start}, ${sel.end})`);
    if (!S.doc || S.doc.id !== docId) return;  // moved to another document meanwhile
    S.sel = sel;
    showSelection();
    document.getElementById("text").focus();
  } catch (error) { return failed(error); }
}

async function failed(error) {
  if (error.handled) return;
  alertUser(error.message);
  if (error.conflict && S.doc) await openDocument(S.doc.id, true);
}

async function inVivo() {
  if (!S.sel) { alertUser("Select the words to make an in-vivo code of."); return; }
  const words = short(selectionText(), 120);
  const parents = S.codebook.map((c) => [c.guid, c.path]);
  const name = el("input", { type: "text", id: "invivo-name", value: words, "aria-label": "Name of the new code" });
  const parent = el("select", { id: "invivo-parent", "aria-label": "Place the new code under" },
    el("option", { value: "" }, "(top level)"), ...parents.map(([g, p]) => el("option", { value: g }, p)));
  const form = el("form", { id: "invivo-form", "aria-label": "New in-vivo code" },
    el("label", {}, "Name ", name), el("label", {}, " under ", parent),
    el("button", { type: "submit" }, "Create and apply"),
    el("button", { type: "button", onclick: () => form.remove() }, "Cancel"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api("in-vivo", { document: S.doc.id, start: S.sel.start, end: S.sel.end,
        name: name.value, parent: parent.value || null });
      const start = await api("start");
      setCodebook(start.codebook);
      remember(made.code);
      say(`Created the in-vivo code “${name.value}” and applied it`);
      await openDocument(S.doc.id, true);
    } catch (error) { failed(error); }
  });
  document.getElementById("invivo").after(form);
  name.focus();
  name.select();
}

function proposalsBox() {
  const list = el("ol", { class: "codings", id: "proposals" });
  for (const p of S.doc.proposals) {
    const code = S.byId.get(p.code) || { path: "?", color: "#999" };
    const quote = S.doc.text.slice(S.maps.c2u[p.start], S.maps.c2u[p.end]);
    const decide = async (verb, pressedAt) => {
      try {
        await api(`${verb}/${p.id}`, {});
        window.__wbTimings.push({ action: verb, ms: performance.now() - (pressedAt || performance.now()) });
        await openDocument(S.doc.id, true);
        say(verb === "accept" ? `Accepted ${code.path}` : `Rejected ${code.path}`);
        const next = document.querySelector("#proposals li[tabindex]");
        if (next) next.focus();
      } catch (error) { failed(error); }
    };
    const item = el("li", { tabindex: "0", "data-id": p.id,
        "aria-label": `Machine proposal ${code.path} on “${short(quote, 80)}”; a accepts, r rejects` },
      el("span", { class: "swatch", style: `background:${code.color}`, "aria-hidden": "true" }), " ",
      el("strong", {}, code.path), ` · score ${fmt(p.score, 2)} · [${p.start}, ${p.end})`,
      el("div", { class: "quote" }, "“" + short(quote, 160) + "”"),
      el("div", { class: "actions" },
        el("button", { type: "button", "aria-keyshortcuts": "a", onclick: () => decide("accept") }, "Accept (a)"),
        el("button", { type: "button", "aria-keyshortcuts": "r", onclick: () => decide("reject") }, "Reject (r)")));
    item.addEventListener("keydown", (event) => {
      if (event.target !== item) return;
      if (event.key === "a") { event.preventDefault(); event.stopPropagation(); decide("accept", event.timeStamp); }
      if (event.key === "r") { event.preventDefault(); event.stopPropagation(); decide("reject", event.timeStamp); }
    });
    list.append(item);
  }
  return S.doc.proposals.length ? el("section", { "aria-label": "Machine proposals" },
    el("h2", {}, `Machine proposals (${S.doc.proposals.length})`), list) : el("span", { hidden: true });
}

function codingsBox() {
  return el("section", { "aria-label": "Codings in this document" },
    el("h2", {}, "Codings"), el("ol", { class: "codings", id: "codings" }));
}

function renderCodings() {
  renderRecent();
  const list = document.getElementById("codings");
  list.replaceChildren(...S.doc.codings.map((c) => {
    const code = S.byId.get(c.code) || { path: "?", color: "#999" };
    const quote = S.doc.text.slice(S.maps.c2u[c.start], S.maps.c2u[c.end]);
    const item = el("li", { tabindex: "0", "data-id": c.id,
        "aria-label": `${code.path}, by ${c.coder}, on “${short(quote, 80)}”` },
      el("span", { class: "swatch", style: `background:${code.color}`, "aria-hidden": "true" }), " ",
      el("strong", {}, code.path), ` · ${c.coder}${c.origin === "model" ? " (machine)" : ""} · [${c.start}, ${c.end})`,
      el("div", { class: "quote" }, "“" + short(quote, 160) + "”"),
      c.memo ? el("div", { class: "memo" }, "Memo: ", c.memo) : null);
    if (c.mine) {
      item.append(el("div", { class: "actions" },
        el("button", { type: "button", "aria-label": `Remove the coding ${code.path}`, onclick: () => removeCoding(c) }, "Remove"),
        el("button", { type: "button", "aria-label": `Move the coding ${code.path} to the selection`, onclick: () => adjustCoding(c) }, "Adjust to selection"),
        el("button", { type: "button", "aria-label": `Memo on the coding ${code.path}`, onclick: () => editCodingMemo(c, item) }, "Memo")));
    }
    const focus = (on) => document.querySelectorAll("#text mark").forEach((m) => {
      if ((m.dataset.ids || "").split(" ").includes(String(c.id))) m.classList.toggle("focus", on);
    });
    item.addEventListener("focus", () => focus(true));
    item.addEventListener("blur", () => focus(false));
    item.addEventListener("mouseenter", () => focus(true));
    item.addEventListener("mouseleave", () => focus(false));
    item.addEventListener("keydown", (event) => {
      if ((event.key === "Delete" || event.key === "Backspace") && c.mine && event.target === item) {
        event.preventDefault();
        removeCoding(c, event.timeStamp);
      }
    });
    return item;
  }));
  if (!S.doc.codings.length) list.append(el("li", {}, "No codings yet."));
}

function expected(c) { return { start: c.start, end: c.end, memo: c.memo }; }

async function removeCoding(c, pressedAt) {
  const started = pressedAt || performance.now();
  try {
    await api(`remove/${c.id}`, { expected: expected(c) });
    window.__wbTimings.push({ action: "remove", ms: performance.now() - started });
    await openDocument(S.doc.id, true);
    say("Coding removed");
    const first = document.querySelector("#codings li[tabindex]");
    (first || document.getElementById("text")).focus();
  } catch (error) { failed(error); }
}

async function adjustCoding(c) {
  if (!S.sel) { alertUser("Select the new span first, then Adjust."); return; }
  try {
    await api(`adjust/${c.id}`, { expected: expected(c), start: S.sel.start, end: S.sel.end });
    say(`Coding moved to [${S.sel.start}, ${S.sel.end})`);
    await openDocument(S.doc.id, true);
  } catch (error) { failed(error); }
}

function memoEditor(label, id, current, save) {
  const area = el("textarea", { id, "aria-label": label }, current || "");
  area.value = current || "";
  const form = el("form", { class: "memo-form" }, area,
    el("button", { type: "submit" }, "Save memo"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await save(area.value); say("Memo saved"); } catch (error) { failed(error); }
  });
  return form;
}

function editCodingMemo(c, item) {
  const existing = item.querySelector(".memo-form");
  if (existing) { existing.remove(); return; }
  const form = memoEditor("Memo on this coding", `coding-memo-${c.id}`, c.memo, async (text) => {
    await api(`coding-memo/${c.id}`, { prior: c.memo, memo: text });
    await openDocument(S.doc.id, true);
  });
  item.append(form);
  form.querySelector("textarea").focus();
}

function memoBox() {
  const memo = S.doc.memo;
  return el("section", { "aria-label": "Memo on the document" }, el("h2", {}, "Document memo (m)"),
    memoEditor("Memo on this document", "doc-memo", memo && memo.text, async (text) => {
      await api("memo", { target: "document", id: S.doc.id, prior: memo ? memo.text : null, text });
      await openDocument(S.doc.id, true);
    }));
}

function doneBox() {
  const mine = S.doc.done.includes(S.coder);
  const box = el("input", { type: "checkbox", id: "done", checked: mine, "aria-keyshortcuts": "x" });
  box.addEventListener("change", () => markDone(box.checked));
  return el("section", { "aria-label": "Status" }, el("label", {}, box, " I am done with this document (x)"),
    el("p", { style: "font-size:.85rem;margin:.2rem 0 0" },
      S.doc.done.length ? `Done: ${S.doc.done.join(", ")}` : "Nobody has marked it done."));
}

async function markDone(done) {
  try {
    await api("done", { document: S.doc.id, done });
    say(done ? "Marked done" : "Marked not done");
    await openDocument(S.doc.id, true);
  } catch (error) { failed(error); }
}

// A key pressed while the last label (or undo) is saved would act on the item it is about
// to replace: refused, and said so.
function stillSaving(queue) {
  if (queue.busy) say("Still saving the last label");
  return Boolean(queue.busy);
}

// --- stance queue ---------------------------------------------------------------------

const STANCES = ["positive", "negative", "mixed", "neutral"];

async function openStance() {
  if (!S.stance) S.stance = { queue: [], seen: new Set(), history: [], progress: null, fetched: 0, writes: 0 };
  show(el("h2", {}, "Stance queue"),
    el("p", {}, "One unit at a time: how does the author speak of the highlighted tool here? ",
      "The machine's guess is not shown."),
    el("p", { id: "stance-progress", "aria-live": "polite" }),
    el("section", { id: "unit", class: "unit", "aria-live": "polite", tabindex: "-1" }, "Loading units…"),
    el("p", { id: "stance-training", role: "status" }),
    el("section", { id: "stance-provenance", "aria-labelledby": "stance-provenance-title" }),
    el("section", { id: "stance-pairs", "aria-labelledby": "stance-pairs-title" }),
    el("section", { id: "stance-disagreements", "aria-label": "Stance disagreements" }));
  await refill();
  renderUnit();
  document.getElementById("unit").focus();
}

async function refill() {
  const st = S.stance;
  const asked = progressStamp();
  const data = await api(`stance?n=20&seed=${st.fetched++}`);
  renderFigures(data, asked);
  for (const unit of data.units) {
    const key = `${unit.segment_id}|${unit.tool}`;
    if (!st.seen.has(key)) { st.seen.add(key); st.queue.push(unit); }
  }
}

function renderUnit() {
  const st = S.stance;
  const box = document.getElementById("unit");
  if (!box) return;
  document.getElementById("stance-progress").textContent = st.progress
    ? `You labelled ${st.progress.mine} units (people: ${st.progress.anyone}); ${st.queue.length} in the queue.`
    : "";
  const unit = st.queue[0];
  if (!unit) { box.replaceChildren(el("p", {}, "No unlabelled units left. Thank you.")); return; }
  const segment = markMentions(unit);
  box.replaceChildren(
    el("p", { class: "tool" }, "Tool: ", unit.tool),
    el("p", { class: "context", "aria-label": "The unit in its context" },
      el("span", { class: "around" }, unit.before), segment, el("span", { class: "around" }, unit.after)),
    el("div", { class: "stance-keys", role: "group", "aria-label": "Stance" },
      ...STANCES.map((stance, i) => el("button", { type: "button", "aria-keyshortcuts": String(i + 1),
        onclick: () => labelUnit(stance, performance.now()) }, `${i + 1} ${stance}`)),
      el("button", { type: "button", "aria-keyshortcuts": "s", onclick: skipUnit }, "s skip"),
      el("button", { type: "button", "aria-keyshortcuts": "u", onclick: undoLabel,
        disabled: !st.history.length }, "u undo")));
}

// A label's or an undo's answer carries the coder's count after it. A read answered later
// may have been made before it: its count is taken only when no label or undo was under
// way when it was asked for (the stamp is then -1), nor started since (each one moves
// `writes` on).
function progressStamp() {
  return S.stance.busy ? -1 : S.stance.writes;
}

function renderFigures(data, asked) {
  if (asked === S.stance.writes) S.stance.progress = data.progress;
  renderProvenance(data.provenance || [], data.provenance_rule);
  renderPairs(data.pairs || []);
  renderTraining(data.training);
}

async function refreshFigures() {
  const asked = progressStamp();
  try { renderFigures(await api("stance-figures"), asked); renderUnit(); } catch (error) { failed(error); }
}

// The model retrains in the background after each batch; the page asks how it went until
// the run ends, then shows the figures it changed.
function renderTraining(t) {
  const box = document.getElementById("stance-training");
  if (!box || !t) return;
  const st = S.stance;
  const r = t.result;
  const last = !r ? "" : r.curve_kappa === null || r.curve_kappa === undefined
    ? ` Last run: ${r.method} (the learned model needs 20 labelled units of two stances).`
    : ` Last run: ${r.method}, held-out κ ${fmt(r.curve_kappa, 2)} on the learning curve; ` +
      (r.curve_more === null ? "the curve does not rise: more labels alone will not help."
        : r.curve_more === 0 ? `the curve reaches κ ${r.target}.`
        : `the curve suggests about ${r.curve_more} more labels to reach κ ${r.target}.`);
  const text = t.state === "running" ? "Retraining the stance model in the background…" + last
    : t.state === "failed" ? `Retraining failed: ${t.error}`
    : t.state === "done" ? `Stance model retrained (${t.seconds} s).` + last
    : t.batch ? `The model retrains after every ${t.batch} labels (${t.batch - t.pending} to go).`
    : "Retraining is off for this workbench.";
  box.textContent = text;
  box.className = t.state === "failed" ? "flag" : "";
  if (t.state === "running" && !st.polling) {
    st.polling = setTimeout(async () => {
      st.polling = null;
      try { renderTraining(await api("stance-status")); } catch (error) { failed(error); }
    }, 1000);
  } else if (t.state !== "running" && st.lastRuns !== undefined && t.runs !== st.lastRuns) {
    refreshFigures();  // a run ended: its kappa and provenance are new
  }
  st.lastRuns = t.runs;
}

// Agreement of two coders on the units both labelled (blind double-labelling).
function renderPairs(pairs) {
  const box = document.getElementById("stance-pairs");
  if (!box) return;
  const head = ["Coders", "Units both labelled", "Same label", "κ (Cohen)", "95 % interval", "Unresolved", ""];
  box.replaceChildren(
    el("h3", { id: "stance-pairs-title" }, "Coders against each other"),
    pairs.length ? el("table", { class: "provenance" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...pairs.map((p) => el("tr", { "data-pair": `${p.a}|${p.b}` },
        el("th", { scope: "row" }, `${p.a} × ${p.b}`), el("td", { class: "num" }, p.n),
        el("td", { class: "num" }, p.agree), el("td", { class: "num" }, fmt(p.kappa, 2)),
        el("td", {}, p.kappa_low === null ? "no interval" : `${fmt(p.kappa_low, 2)} to ${fmt(p.kappa_high, 2)}`),
        el("td", { class: "num" }, p.unresolved),
        el("td", {}, el("button", { type: "button", onclick: () => openStanceDisagreements(p.a, p.b) },
          `Disagreements of ${p.a} and ${p.b}`))))))
      : el("p", {}, "No unit labelled by two coders yet: a share of each batch is units another coder labelled, without their label."));
}

async function openStanceDisagreements(a, b) {
  const items = await api(`stance-disagreements?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  const box = document.getElementById("stance-disagreements");
  box.replaceChildren(el("h3", {}, `Where ${a} and ${b} labelled differently (${items.length})`),
    ...items.map((d, i) => {
      const resolve = async (stance) => {
        try {
          await api("stance-resolve", { segment: d.segment_id, tool: d.tool, stance,
            adjudicator: S.adjudicator || S.coder });
          say(`Resolved ${d.tool}: ${stance}`);
          await openStanceDisagreements(a, b);
          await refreshFigures();
        } catch (error) { failed(error); }
      };
      return el("article", { class: "disagreement", "aria-label": `Stance disagreement ${i + 1}: ${d.tool}` },
        el("header", {}, el("strong", {}, d.tool), " · ", el("a", { href: `#/doc/${d.document}` }, `document ${d.document}`),
          d.resolution ? ` · resolved as ${d.resolution.stance} by ${d.resolution.by}` : ""),
        el("div", { class: "side-text" }, el("span", { class: "around" }, d.before.slice(-160)),
          markMentions(d), el("span", { class: "around" }, d.after.slice(0, 160))),
        el("div", {}, ...Object.entries(d.labels).map(([who, stance]) => el("div", {}, el("strong", {}, who), `: ${stance}`))),
        el("footer", {}, "Resolve as: ", ...STANCES.map((stance) => el("button", { type: "button",
          "aria-pressed": d.resolution && d.resolution.stance === stance ? "true" : "false",
          onclick: () => resolve(stance) }, stance))));
    }));
}

function markMentions(unit) {
  const segment = el("span", { class: "segment" });
  const cps = [...unit.segment];
  let at = 0;
  for (const [s, e] of unit.mentions) {
    if (s < at) continue;
    segment.append(cps.slice(at, s).join(""), el("mark", {}, cps.slice(s, e).join("")));
    at = e;
  }
  segment.append(cps.slice(at).join(""));
  return segment;
}

// After each batch: per tool, the machine's kappa against people so far and how many more
// labels would validate it; the figures of `earwitness code stance report`.
function renderProvenance(rows, rule) {
  const box = document.getElementById("stance-provenance");
  if (!box) return;
  const fixed = (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(2));
  const more = (row) => row.more_labels === null ? "none would do: the method has to change"
    : row.more_labels === 0 ? "none needed"
    : rule && row.n < rule.min_units ? `at least ${row.more_labels}, to reach the minimum sample`
    : `about ${row.more_labels}`;
  const head = ["Tool", "Units people labelled", "κ machine vs people", "95 % interval",
    "Provenance", "More labels suggested"];
  box.replaceChildren(
    el("h3", { id: "stance-provenance-title" }, "Machine stance against people's labels so far"),
    rows.length ? el("table", { class: "provenance" },
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows.map((row) => el("tr", { "data-tool": row.tool },
        el("th", { scope: "row" }, row.tool),
        el("td", {}, row.n, row.coders && row.coders.length ? ` by ${row.coders.join(", ")}` : ""),
        el("td", {}, fixed(row.kappa)),
        el("td", {}, row.kappa_low === null ? "no interval" : `${fixed(row.kappa_low)} to ${fixed(row.kappa_high)}`),
        el("td", { class: row.provenance === "machine validated" ? "validated" : "unvalidated" },
          row.provenance, row.flag ? `: ${row.flag}` : ""),
        el("td", {}, more(row)))))) : el("p", {}, "No machine stance yet."),
    el("p", { class: "note" }, "Updated after each batch of units, as ",
      el("code", {}, "earwitness code stance report"), " computes it", rule ? `: validated when people labelled at least ${rule.min_units} of a tool's units ` +
      `and the 95 % lower bound of κ is ${rule.min_lower_bound} or more.` : "."));
}

async function labelUnit(stance, pressedAt) {
  const st = S.stance;
  const unit = st.queue[0];
  if (stillSaving(st)) return;
  if (!unit) return;
  st.busy = true;
  st.writes++;
  try {
    const answer = await api("stance-label", { segment: unit.segment_id, tool: unit.tool, stance });
    window.__wbTimings.push({ action: "stance", ms: performance.now() - pressedAt });
    st.progress = answer;
    renderTraining(answer.training);
    st.history.push({ unit, stance });
    st.queue.shift();
    say(`Labelled ${unit.tool}: ${stance}`);
    if (st.queue.length < 5) refill().then(renderUnit).catch(failed);
    renderUnit();
  } catch (error) { failed(error); } finally { st.busy = false; }
}

function skipUnit() {
  const st = S.stance;
  if (stillSaving(st)) return;
  if (!st.queue.length) return;
  st.history.push({ unit: st.queue.shift(), stance: null });
  say("Skipped");
  if (st.queue.length < 5) refill().then(renderUnit).catch(failed);
  renderUnit();
}

async function undoLabel() {
  const st = S.stance;
  if (stillSaving(st)) return;
  const last = st.history.pop();
  if (!last) return;
  st.busy = true;
  st.writes++;
  try {
    if (last.stance) {
      st.progress = await api("stance-undo", { segment: last.unit.segment_id, tool: last.unit.tool });
      renderTraining(st.progress.training);
    }
    st.queue.unshift(last.unit);
    say(last.stance ? `Took back ${last.stance}` : "Back to the skipped unit");
    renderUnit();
  } catch (error) { st.history.push(last); failed(error); } finally { st.busy = false; }
}

// --- user groups queue -----------------------------------------------------------------

const GROUPS = ["amateur", "pro-am", "professional", "unknown"];

async function openGroups() {
  if (!S.groups) S.groups = { queue: [], seen: new Set(), history: [], fetched: 0, labelled: 0 };
  show(el("h2", {}, "User groups"),
    el("p", {}, "One author at a time: which group do their own words put them in? ",
      "Their self-descriptions are highlighted; the rules' guess is not shown."),
    el("p", { id: "group-progress", "aria-live": "polite" }),
    el("section", { id: "author", class: "unit", "aria-live": "polite", tabindex: "-1" }, "Loading authors…"));
  await refillGroups();
  renderAuthor();
  document.getElementById("author").focus();
}

async function refillGroups() {
  const st = S.groups;
  const data = await api(`groups?n=10&seed=${st.fetched++}`);
  for (const author of data.authors) {
    if (!st.seen.has(author.pseudonym)) { st.seen.add(author.pseudonym); st.queue.push(author); }
  }
}

function renderAuthor() {
  const st = S.groups;
  const box = document.getElementById("author");
  if (!box) return;
  document.getElementById("group-progress").textContent =
    `You labelled ${st.labelled} authors in this session; ${st.queue.length} in the queue.`;
  const author = st.queue[0];
  if (!author) { box.replaceChildren(el("p", {}, "No authors with self-descriptions left to label.")); return; }
  box.replaceChildren(
    el("p", { class: "tool" }, "Author: ", author.pseudonym),
    el("ul", { class: "evidence", "aria-label": "Their self-descriptions in context" },
      ...author.evidence.map((e) => el("li", { class: "context" },
        el("span", { class: "kind" }, `${e.kind}: `), el("span", { class: "around" }, e.before),
        el("mark", {}, e.quote), el("span", { class: "around" }, e.after)))),
    el("div", { class: "stance-keys", role: "group", "aria-label": "User group" },
      ...GROUPS.map((group, i) => el("button", { type: "button", "aria-keyshortcuts": String(i + 1),
        onclick: () => labelAuthor(group, performance.now()) }, `${i + 1} ${group}`)),
      el("button", { type: "button", "aria-keyshortcuts": "s", onclick: skipAuthor }, "s skip"),
      el("button", { type: "button", "aria-keyshortcuts": "u", onclick: undoAuthor,
        disabled: !st.history.length }, "u undo")));
}

async function labelAuthor(group, pressedAt) {
  const st = S.groups;
  const author = st.queue[0];
  if (stillSaving(st)) return;
  if (!author) return;
  st.busy = true;
  try {
    await api("group-label", { author: author.pseudonym, group });
    window.__wbTimings.push({ action: "group", ms: performance.now() - pressedAt });
    st.history.push({ author, group });
    st.queue.shift();
    st.labelled++;
    say(`${author.pseudonym}: ${group}`);
    if (st.queue.length < 3) refillGroups().then(renderAuthor).catch(failed);
    renderAuthor();
  } catch (error) { failed(error); } finally { st.busy = false; }
}

function skipAuthor() {
  const st = S.groups;
  if (stillSaving(st)) return;
  if (!st.queue.length) return;
  st.history.push({ author: st.queue.shift(), group: null });
  if (st.queue.length < 3) refillGroups().then(renderAuthor).catch(failed);
  renderAuthor();
}

async function undoAuthor() {
  const st = S.groups;
  if (stillSaving(st)) return;
  const last = st.history.pop();
  if (!last) return;
  st.busy = true;
  try {
    if (last.group) { await api("group-undo", { author: last.author.pseudonym }); st.labelled--; }
    st.queue.unshift(last.author);
    say(last.group ? `Took back ${last.group}` : "Back to the skipped author");
    renderAuthor();
  } catch (error) { st.history.push(last); failed(error); } finally { st.busy = false; }
}

function groupKey(event) {
  const index = ["1", "2", "3", "4"].indexOf(event.key);
  if (index >= 0) { event.preventDefault(); labelAuthor(GROUPS[index], event.timeStamp); }
  else if (event.key === "s") { event.preventDefault(); skipAuthor(); }
  else if (event.key === "u" || event.key === "Backspace") { event.preventDefault(); undoAuthor(); }
}

// --- agreement ------------------------------------------------------------------------

async function openAgreement() {
  const data = await api("agreement");
  const blocks = data.pairs.map((pair) => {
    const rows = pair.rows.map((r) => el("tr", {},
      el("th", { scope: "row" }, r.code), el("td", { class: "num" }, r.documents),
      el("td", { class: "num" }, r.units), el("td", { class: "num" }, fmt(r.percent_agreement, 3)),
      el("td", { class: "num" }, fmt(r.kappa, 3)), el("td", { class: "num" }, fmt(r.alpha, 3)),
      el("td", { class: r.flag ? "flag" : null }, r.flag || "")));
    return el("section", { class: "pair", "aria-label": `${pair.a} and ${pair.b}` },
      el("h3", {}, `${pair.a} × ${pair.b}`),
      rows.length ? el("table", { class: "agreement" },
        el("thead", {}, el("tr", {}, ...["Code", "Documents", "Characters", "% agreement", "κ (Cohen)", "α (Krippendorff)", "Flag"]
          .map((h, i) => el("th", { scope: "col", class: i && i < 6 ? "num" : null }, h)))),
        el("tbody", {}, ...rows)) : el("p", {}, "No document coded by both yet."),
      el("button", { type: "button", onclick: () => openDisagreements(pair.a, pair.b) },
        `Disagreements of ${pair.a} and ${pair.b}`));
  });
  const adjudicator = el("input", { type: "text", id: "adjudicator", value: S.tokens ? S.coder : S.adjudicator || S.coder,
    "aria-label": "Adjudicator's name", readonly: S.tokens });
  adjudicator.addEventListener("change", () => { S.adjudicator = adjudicator.value; });
  show(el("h2", {}, "Agreement"),
    el("p", {}, "Character-level agreement per code, from the same function as ",
      el("code", {}, "earwitness code agreement --coders A,B"),
      `; flagged below α = ${data.threshold}.`),
    el("label", {}, "Adjudicator ", adjudicator),
    ...(blocks.length ? blocks : [el("p", {}, "Agreement needs two coders with codings.")]),
    el("section", { id: "disagreements", "aria-label": "Disagreements" }));
}

async function openDisagreements(a, b) {
  const items = await api(`disagreements?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  const box = document.getElementById("disagreements");
  box.replaceChildren(el("h3", {}, `Where ${a} and ${b} differ (${items.length})`), ...items.map((d, i) => {
    const side = (name, codings) => el("div", { "aria-label": `${name}'s codings` }, el("strong", {}, name),
      ...(codings.length ? codings.map((c) => el("div", { class: "side-text" }, `[${c.start}, ${c.end}) `, c.text))
        : [el("div", { class: "side-text" }, "(did not code this)")]));
    const extent = (codings) => [Math.min(...codings.map((c) => c.start)), Math.max(...codings.map((c) => c.end))];
    const ids = [...d.a, ...d.b].map((c) => c.id);
    const resolve = async (span, label) => {
      try {
        const adjudicator = document.getElementById("adjudicator").value;
        await api("resolve", { document: d.document, code: d.code, start: span[0], end: span[1],
          resolved: ids, adjudicator, memo: `resolution: ${label} (${a} / ${b})` });
        say(`Resolved: ${label}`);
        await openDisagreements(a, b);
      } catch (error) { failed(error); }
    };
    const buttons = [];
    if (d.a.length) buttons.push(el("button", { type: "button", onclick: () => resolve(extent(d.a), `${a}'s span`) }, `Keep ${a}'s`));
    if (d.b.length) buttons.push(el("button", { type: "button", onclick: () => resolve(extent(d.b), `${b}'s span`) }, `Keep ${b}'s`));
    buttons.push(el("button", { type: "button", onclick: () => resolve([d.start, d.end], "both spans") }, "Keep both (union)"));
    return el("article", { class: "disagreement", "aria-label": `Disagreement ${i + 1}: ${d.path}` },
      el("header", {}, el("strong", {}, d.path), " · ", el("a", { href: `#/doc/${d.document}` }, `document ${d.document}`),
        ` · [${d.start}, ${d.end})`, d.resolved_by.length ? ` · resolved by ${d.resolved_by.join(", ")}` : ""),
      side(a, d.a), side(b, d.b), el("footer", {}, ...buttons));
  }));
  const first = box.querySelector("button");
  if (first) first.focus();
}

// --- codebook editing -----------------------------------------------------------------

function parentSelect(id, label, exclude) {
  return el("select", { id, "aria-label": label }, el("option", { value: "" }, "(top level)"),
    ...S.codebook.filter((c) => !exclude || !(c.path === exclude.path || c.path.startsWith(exclude.path + "/")))
      .map((c) => el("option", { value: c.guid }, c.path)));
}

function field(label, node) { return el("label", { class: "field" }, label, node); }

async function reloadCodebook() {
  const start = await api("start");
  setCodebook(start.codebook);
  await openCodebook();
}

async function openCodebook() {
  const history = await api("codebook-history");
  const name = el("input", { type: "text", id: "add-name", "aria-label": "Name of the new code", required: true });
  const definition = el("textarea", { id: "add-definition", "aria-label": "Definition of the new code" });
  const parent = parentSelect("add-parent", "Parent of the new code");
  const add = el("form", { class: "code-form", "aria-label": "Add a code" },
    el("h3", {}, "Add a code"), field("Name ", name), field(" under ", parent),
    field("Definition", definition), el("button", { type: "submit" }, "Add code"));
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("code-add", { parent: parent.value || null, fields: { name: name.value, definition: definition.value } });
      say(`Added ${name.value}`);
      await reloadCodebook();
    } catch (error) { alertUser(error.message); }
  });
  const items = S.codebook.map((c) => codeEditor(c));
  const changes = el("ol", { reversed: true, "aria-label": "Codebook versions" },
    ...history.map((h) => el("li", {}, `v${h.version} · ${h.action} · ${h.coder} · ${h.at.slice(0, 19).replace("T", " ")} · `,
      (h.detail.path || []).join("/") || h.detail.code || "")));
  show(el("h2", {}, "Codebook"),
    el("p", {}, "Every change is one transaction, versioned below; ",
      el("code", {}, "earwitness code codebook export FILE"), " writes the codebook as it is now."),
    add, el("h3", {}, "Codes"), el("div", { id: "code-editors" }, ...items),
    el("h3", {}, "Versions"), changes.children.length ? changes : el("p", {}, "No changes yet."));
}

function codeEditor(c) {
  const ids = (k) => `edit-${k}-${c.id}`;
  const inputs = {
    name: el("input", { type: "text", id: ids("name"), value: c.name, "aria-label": `Name of ${c.path}` }),
    definition: el("textarea", { id: ids("definition"), "aria-label": `Definition of ${c.path}` }),
    inclusion: el("textarea", { id: ids("inclusion"), "aria-label": `Inclusion criteria of ${c.path}` }),
    exclusion: el("textarea", { id: ids("exclusion"), "aria-label": `Exclusion criteria of ${c.path}` }),
    color: el("input", { type: "color", id: ids("color"), value: c.color, "aria-label": `Colour of ${c.path}` }),
  };
  for (const k of ["definition", "inclusion", "exclusion"]) inputs[k].value = c[k] || "";
  const expected = { name: c.name, definition: c.definition, inclusion: c.inclusion, exclusion: c.exclusion };
  const edit = el("form", { "aria-label": `Edit ${c.path}` },
    field("Name", inputs.name), field("Definition", inputs.definition),
    field("Inclusion", inputs.inclusion), field("Exclusion", inputs.exclusion), field("Colour ", inputs.color),
    el("button", { type: "submit" }, "Save"));
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(Object.entries(inputs).map(([k, node]) => [k, node.value]));
    if (fields.color === c.color) delete fields.color;  // keep a default colour the default
    try {
      await api("code-edit", { code: c.guid, expected, fields });
      say(`Saved ${fields.name}`);
      await reloadCodebook();
    } catch (error) { alertUser(error.message); if (error.conflict) await reloadCodebook(); }
  });
  const parent = parentSelect(ids("parent"), `New parent of ${c.path}`, c);
  const move = el("form", { "aria-label": `Move ${c.path}` }, field("Move under ", parent),
    el("button", { type: "submit" }, "Move"));
  move.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await api("code-move", { code: c.guid, parent: parent.value || null }); say(`Moved ${c.name}`); await reloadCodebook(); }
    catch (error) { alertUser(error.message); }
  });
  const into = el("select", { id: ids("into"), "aria-label": `Merge ${c.path} into` },
    ...S.codebook.filter((o) => o.guid !== c.guid).map((o) => el("option", { value: o.guid }, o.path)));
  const mergeDefinition = el("textarea", { id: ids("merged"), "aria-label": "Definition of the merged code (empty: keep the target's)" });
  const merge = el("form", { "aria-label": `Merge ${c.path}` }, field("Merge into ", into),
    field("Merged definition (empty: keep the target's)", mergeDefinition),
    el("button", { type: "submit" }, "Merge"));
  merge.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("code-merge", { code: c.guid, into: into.value, definition: mergeDefinition.value || null });
      say(`Merged ${c.name}`);
      await reloadCodebook();
    } catch (error) { alertUser(error.message); }
  });
  return el("details", { class: "code-editor", style: `margin-left:${c.depth * 1.2}rem`, "data-guid": c.guid },
    el("summary", {}, el("span", { class: "swatch", style: `background:${c.color}`, "aria-hidden": "true" }),
      " ", c.path, c.codable ? "" : " (theme)"), edit, move, merge);
}

// --- keys -----------------------------------------------------------------------------

function onKey(event) {
  if (event.key === "?" && !typing(event)) { toggleHelp(); return; }
  if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
  const hash = location.hash || "#/documents";
  if (hash.startsWith("#/stance") && S.stance) return stanceKey(event);
  if (hash.startsWith("#/groups") && S.groups) return groupKey(event);
  if (hash.startsWith("#/doc/") && S.doc) return readerKey(event);
  if (event.key === "/" && document.getElementById("search")) {
    event.preventDefault();
    document.getElementById("search").focus();
  }
}

function stanceKey(event) {
  const index = ["1", "2", "3", "4"].indexOf(event.key);
  if (index >= 0) { event.preventDefault(); labelUnit(STANCES[index], event.timeStamp); }
  else if (event.key === "s") { event.preventDefault(); skipUnit(); }
  else if (event.key === "u" || event.key === "Backspace") { event.preventDefault(); undoLabel(); }
}

function readerKey(event) {
  const inList = event.target.closest && event.target.closest("#codings li");
  if (inList && (event.key === "Delete" || event.key === "Backspace")) return;
  const key = event.key;
  if (key === "j" || key === "k") { event.preventDefault(); moveBySegment(key === "j" ? 1 : -1, false); }
  else if (key === "J" || key === "K") { event.preventDefault(); moveBySegment(key === "J" ? 1 : -1, true); }
  else if (key === "c" || key === "/") { event.preventDefault(); document.getElementById("code-search").focus(); }
  else if (/^[1-9]$/.test(key)) {
    const guid = S.recent[Number(key) - 1];
    if (guid) { event.preventDefault(); applyCode(guid, event.timeStamp); }
  } else if (key === "v") { event.preventDefault(); inVivo(); }
  else if (key === "m") { event.preventDefault(); document.getElementById("doc-memo").focus(); }
  else if (key === "x") { event.preventDefault(); markDone(!S.doc.done.includes(S.coder)); }
  else if (key === "Escape") {
    if (S.sel) { S.sel = null; document.getSelection().removeAllRanges(); showSelection(); }
    else location.hash = "#/documents";
  }
}

start().catch((error) => { if (!error.handled) alertUser(error.message); });
