// The drawing pad (ui/pad.py). Gradio runs this as the body of a function with `element` (the
// component's root) and `server` (our Python functions) in scope, once per page.
//
// Strokes are kept as vectors in the 640x320 logical canvas, so undo is a redraw, the screen
// can be any size or pixel density, and what the server receives never depends on the device.
// Reading: at most one request in flight; while the pen moves, a frame at most every LIVE_MS;
// on pen-up, always one. A frame is exported when it is sent, so the newest drawing replaces
// any that was waiting, and a slow server gets fewer frames, never a backlog.
// Live answers do not flicker: the answer line shows a live reading only when it is sure and
// has no more digits than the strokes can hold (digitsHeld); otherwise the last answer stays,
// dimmed. A pen-up reading with too many digits waits until the drawing rests (REST_MS).
const root = element.querySelector(".pad");
const canvas = root.querySelector(".pad-canvas");
const answer = root.querySelector('[data-testid="answer"]');
const result = root.querySelector('[data-testid="result"]');
const json = root.querySelector('[data-testid="json"]');
const undoButton = root.querySelector('[data-testid="undo"]');
const clearButton = root.querySelector('[data-testid="clear"]');
const emptyHtml = root.querySelector("template.pad-empty").innerHTML;
const inside = root.querySelector(".pad-inside"); // the "Look inside" panel, when the app has one
const insideBody = inside && inside.querySelector(".pad-inside-body");
const insideEmpty = inside && inside.querySelector("template.pad-inside-empty").innerHTML;
let insideDigit = 0; // which digit of a number the panel looks at (click a card to choose)
const W = Number(root.dataset.width);
const H = Number(root.dataset.height);
const EW = Number(root.dataset.exportWidth); // what is sent: the reading's working size
const EH = Number(root.dataset.exportHeight);
const BRUSH = Number(root.dataset.brush);
const LIVE_MS = Number(root.dataset.liveMs);
const KIOSK_IDLE_MS = Number(root.dataset.kioskIdle) * 1000;
const EXAMPLES = JSON.parse(root.dataset.examples || "[]");
const RETRY_MS = 600; // after "busy" or a failed request
const REST_MS = Number(root.dataset.restMs);
// Our words in the page's language (ui/i18n.js, in the page's <head>; ui/strings/).
const say = (key, values) => (window.pageI18n ? window.pageI18n.t(key, values) : key);
const pageLanguage = () => (window.pageI18n ? window.pageI18n.lang() : navigator.language);

const strokes = []; // each a list of [x, y] in logical pixels
let active = null; // the pointer drawing now: {id, stroke}
let epoch = 0; // bumped by Clear: answers to older drawings are ignored
let inFlight = 0; // requests sent and not yet answered: a live frame, and perhaps a pen-up one
let finalInFlight = false;
let sentSeq = 0; // numbers the requests: a reply older than one sent since is not shown
let retryAt = 0; // after a "busy", nothing is sent before this time
let dirty = false; // the drawing changed since the last frame was sent
let final = false; // the next frame is a pen-up frame: send it without waiting
let lastSent = -Infinity;
let timer = null;
let penUpAt = null; // when the last stroke ended, for the "pad:answer" timing event
let lastActivity = performance.now();
let replay = null; // an example being drawn
let shownImage = null; // the drawing (data URL) whose answer is on screen
let version = 0; // bumped by every change to the drawing: a waiting answer is for this one only
let restTimer = null; // a pen-up answer waiting for the drawing to rest

// ---- drawing on screen -------------------------------------------------------------------
const ctx = canvas.getContext("2d");
const exportCanvas = document.createElement("canvas");
exportCanvas.width = EW;
exportCanvas.height = EH;
const exportCtx = exportCanvas.getContext("2d", { willReadFrequently: true }); // read, never shown

function ink() {
  return getComputedStyle(root).getPropertyValue("--pad-ink").trim() || "#111";
}

function resize() {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  if (!width) return;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round((width * H / W) * ratio);
  redraw();
}

function paint(target, scale, color, list) {
  target.lineCap = "round";
  target.lineJoin = "round";
  target.lineWidth = BRUSH * scale;
  target.strokeStyle = color;
  target.fillStyle = color;
  for (const s of list) {
    if (s.length === 1) {
      target.beginPath();
      target.arc(s[0][0] * scale, s[0][1] * scale, (BRUSH * scale) / 2, 0, 2 * Math.PI);
      target.fill();
      continue;
    }
    target.beginPath();
    target.moveTo(s[0][0] * scale, s[0][1] * scale);
    for (let i = 1; i < s.length; i++) target.lineTo(s[i][0] * scale, s[i][1] * scale);
    target.stroke();
  }
}

function redraw() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  paint(ctx, canvas.width / W, ink(), strokes);
  const empty = strokes.length === 0;
  root.classList.toggle("empty", empty);
  undoButton.disabled = empty;
  clearButton.disabled = empty;
}

function drawSegment(a, b) {
  const scale = canvas.width / W;
  ctx.lineCap = "round";
  ctx.lineWidth = BRUSH * scale;
  ctx.strokeStyle = ink();
  ctx.beginPath();
  ctx.moveTo(a[0] * scale, a[1] * scale);
  ctx.lineTo(b[0] * scale, b[1] * scale);
  ctx.stroke();
}

// What the server reads: black marker on white at a fixed size, whatever the screen and theme,
// as an 8-bit grey PNG (ui/png.js): the canvas's own PNG is RGBA, four times the bytes to inflate
// for the same grey pixels (docs/experiments.md). Made at once, as the strokes stand.
function exportPng() {
  exportCtx.fillStyle = "#fff";
  exportCtx.fillRect(0, 0, EW, EH);
  paint(exportCtx, EW / W, "#000", strokes);
  const rgba = exportCtx.getImageData(0, 0, EW, EH).data;
  const grey = new Uint8Array(EW * EH);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i]; // black on opaque white: R = G = B
  return greyPngDataUrl(grey, EW, EH);
}

// ---- pointer input -----------------------------------------------------------------------
function point(event) {
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * W;
  const y = ((event.clientY - box.top) / box.height) * H;
  return [Math.min(Math.max(x, 0), W), Math.min(Math.max(y, 0), H)];
}

canvas.addEventListener("pointerdown", (event) => {
  if (active || (event.pointerType === "mouse" && event.button !== 0)) return;
  stopReplay();
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  const stroke = [point(event)];
  active = { id: event.pointerId, stroke };
  strokes.push(stroke);
  redraw();
  touched();
  changed(false);
});

canvas.addEventListener("pointermove", (event) => {
  if (!active || event.pointerId !== active.id) return;
  event.preventDefault();
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) {
    const p = point(e);
    const stroke = active.stroke;
    drawSegment(stroke[stroke.length - 1], p);
    stroke.push(p);
  }
  touched();
  changed(false);
});

function penUp(event) {
  if (!active || event.pointerId !== active.id) return;
  active = null;
  penUpAt = performance.now();
  changed(true);
}
canvas.addEventListener("pointerup", penUp);
canvas.addEventListener("pointercancel", penUp);
canvas.addEventListener("lostpointercapture", penUp);

// ---- reading -----------------------------------------------------------------------------
function changed(isFinal) {
  dirty = true;
  version += 1;
  if (restTimer) clearTimeout(restTimer);
  restTimer = null;
  final = final || isFinal;
  pump();
}

function pump() {
  // A pen-up frame goes at once, even past a live frame still being read (whose answer it makes
  // stale): the answer to the finished drawing never waits for one to an unfinished one.
  if (!dirty || (inFlight && !(final && !finalInFlight))) return;
  const backOff = retryAt - performance.now(); // after "busy": not before the retry's time
  if (backOff > 0) {
    if (!timer) timer = setTimeout(() => { timer = null; pump(); }, backOff);
    return;
  }
  const wait = final ? 0 : LIVE_MS - (performance.now() - lastSent);
  if (wait > 0) {
    if (!timer) timer = setTimeout(() => { timer = null; pump(); }, wait);
    return;
  }
  if (strokes.length === 0) {
    dirty = final = false;
    return;
  }
  send(final);
}

async function send(isFinal) {
  dirty = false;
  final = false;
  inFlight += 1;
  if (isFinal) finalInFlight = true;
  const seq = ++sentSeq;
  lastSent = performance.now();
  const sentEpoch = epoch;
  const sentPenUp = isFinal ? penUpAt : null;
  let reply = null;
  let image = null;
  let held = 0;
  const sentVersion = version;
  try {
    image = exportPng(); // the frame is what the page holds now
    held = digitsHeld(strokes); // what these strokes can hold, as sent
    const payload = { language: pageLanguage() }; // ui/pad_request.py
    // A live frame's reading holds no more digits than the strokes can. Never at pen-up: digits
    // written close together count as one there, and their reading shows after REST_MS.
    if (!isFinal) payload.max_digits = held;
    // and under load the server reads it after every pen-up frame, whose answer someone awaits
    if (!isFinal) payload.live = true;
    if (inside && inside.open) payload.inside = insideDigit; // no panel, no extra work
    reply = await server.read_pad({ image, ...payload });
  } catch (error) {
    reply = { busy: true, html: null, number: "" };
  }
  inFlight -= 1;
  if (isFinal) finalInFlight = false;
  if (sentEpoch === epoch && seq === sentSeq) {
    if (reply && reply.busy) {
      dirty = true; // try the newest drawing again in a moment
      final = final || isFinal;
      if (reply.html) show(reply);
      retryAt = performance.now() + RETRY_MS;
      setTimeout(pump, RETRY_MS);
      return;
    }
    const stillDrawing = active !== null || replay !== null;
    const last = isFinal && !dirty && !stillDrawing; // the answer to the drawing as it now stands
    const fits = digitCount(reply.number) <= held;
    if (fits && (last || confident(reply))) {
      showAnswer(reply, image, last, sentPenUp);
    } else {
      hold();
      announce(false, reply.number, sentPenUp, true);
      // Pen-up on strokes that cannot hold this many digits: most likely the pen lifts between
      // two strokes of one digit. If no stroke follows within REST_MS, the reading shows as it is.
      if (last) {
        restTimer = setTimeout(() => {
          restTimer = null;
          if (sentEpoch === epoch && sentVersion === version) showAnswer(reply, image, true, sentPenUp);
        }, REST_MS);
      }
    }
  }
  pump();
}

// How many digits the strokes can hold, from where they lie, in the order they were drawn. A
// stroke whose ink overlaps a digit's horizontally, or nearly (a gap under SLACK of the taller
// one's height), is part of that digit (and joins the digits it bridges); a stroke that begins
// a new digit lies to the right of all the ink so far (numbers are written left to right); any
// other stroke (a 4's left half drawn after its stem, a stroke still on its way to the others) is
// part of the digit being drawn. A digit rarely needs more than STROKES_PER_DIGIT strokes. So a
// digit drawn in one, two or three strokes holds one, and each digit of a number adds one.
// Digits written very close count as one: their live answer waits, dimmed, and their pen-up
// answer comes REST_MS later; a single digit is never shown split in two.
const SLACK = 0.15;
const STROKES_PER_DIGIT = 3;

function digitsHeld(list) {
  const r = BRUSH / 2; // the ink, not the pen's centre line
  let groups = []; // the digits so far: {x0, x1, h, n strokes}
  let current = null; // the digit the last stroke went to
  for (const s of list) {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of s) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const box = { x0: x0 - r, x1: x1 + r, h: y1 - y0 + 2 * r, n: 1 };
    const near = (g) => SLACK * Math.max(g.h, box.h);
    const touching = groups.filter((g) => box.x0 <= g.x1 + near(g) && g.x0 <= box.x1 + near(g));
    if (touching.length) {
      current = touching.reduce((a, g) => ({
        x0: Math.min(a.x0, g.x0), x1: Math.max(a.x1, g.x1), h: Math.max(a.h, g.h), n: a.n + g.n,
      }), box);
      groups = groups.filter((g) => !touching.includes(g));
      groups.push(current);
    } else if (!current || groups.every((g) => box.x0 > g.x1 + near(g))) {
      current = box;
      groups.push(current);
    } else {
      Object.assign(current, {
        x0: Math.min(current.x0, box.x0), x1: Math.max(current.x1, box.x1),
        h: Math.max(current.h, box.h), n: current.n + 1,
      });
    }
  }
  return groups.reduce((sum, g) => sum + Math.ceil(g.n / STROKES_PER_DIGIT), 0);
}

function digitCount(number) {
  return ((number || "").match(/[0-9]/g) || []).length;
}

// Whether a reading may be shown while the pen moves: the reading's verdict where the server
// gives one, else its "sure".
function confident(reply) {
  if (typeof reply.verdict === "string") return reply.verdict === "number";
  return reply.sure !== false;
}

// The answer line keeps what it showed, dimmed ("…" when it showed nothing yet).
function hold() {
  root.classList.add("held");
  if (!answer.textContent) answer.textContent = "…";
}

function showAnswer(reply, image, last, penUp) {
  root.classList.remove("held");
  show(reply);
  shownImage = image;
  announce(last, reply.number, penUp, false);
}

// "pad:answer": every reading that came back (tests and bench/pad_latency time them); `held`
// when the answer line kept the previous answer instead.
function announce(last, number, penUp, held) {
  element.dispatchEvent(
    new CustomEvent("pad:answer", {
      bubbles: true,
      detail: { final: last, number, held, ms: penUp === null ? null : performance.now() - penUp },
    }),
  );
}

const label = root.querySelector(".pad-label");

function show(reply) {
  result.innerHTML = reply.html;
  answer.textContent = reply.number || "";
  // no digit in the drawing (a stray dot): the line says so, rather than "I see" and nothing
  const nothing = !reply.number && !reply.busy;
  label.textContent = say(nothing ? "pad.nothing_yet" : (reply.number || "").length > 1 ? "pad.i_read" : "pad.i_see");
  root.classList.toggle("unsure", !nothing && reply.sure === false);
  root.classList.toggle("not-digit", reply.verdict === "not_a_digit");
  json.textContent = reply.reading ? JSON.stringify(reply.reading, null, 2) : "";
  if (inside && reply.inside) insideBody.innerHTML = reply.inside;
  const cards = result.querySelectorAll(".card");
  cards.forEach((card) => card.classList.toggle("selected", inside && inside.open &&
    cards.length > 1 && Number(card.dataset.index) === insideDigit));
  root.dataset.readings = String(Number(root.dataset.readings || 0) + 1);
}

function reset() {
  root.classList.remove("unsure", "held", "not-digit");
  if (restTimer) clearTimeout(restTimer);
  restTimer = null;
  insideDigit = 0;
  if (inside) insideBody.innerHTML = insideEmpty;
  result.innerHTML = emptyHtml;
  answer.textContent = "";
  json.textContent = "";
  shownImage = null;
  element.dispatchEvent(new CustomEvent("pad:reset", { bubbles: true }));
}

// ---- tools -------------------------------------------------------------------------------
function clearPad() {
  stopReplay();
  strokes.length = 0;
  active = null;
  epoch += 1;
  dirty = final = false;
  redraw();
  reset();
}

function undo() {
  stopReplay();
  if (!strokes.length) return;
  strokes.pop();
  redraw();
  if (strokes.length) {
    penUpAt = performance.now();
    changed(true);
  } else {
    epoch += 1;
    reset();
  }
}

clearButton.addEventListener("click", clearPad);
if (inside) {
  // opening the panel asks for it at once; closing it stops the extra work
  inside.addEventListener("toggle", () => { if (inside.open) changed(true); });
  result.addEventListener("click", (event) => {
    const card = event.target.closest(".card");
    if (!card || !inside.open) return;
    insideDigit = Number(card.dataset.index);
    changed(true);
  });
}
undoButton.addEventListener("click", undo);
// Ctrl+Z (⌘Z) undoes the last stroke while this pad is on screen (its tab showing) and no text
// field has the focus: the page's, since drawing leaves the focus where it was (on the page).
const TEXT_FIELD = "textarea, select, [contenteditable=''], [contenteditable='true'], " +
  "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=range])";
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey) return;
  if (event.key.toLowerCase() !== "z" || !root.getClientRects().length) return; // tab hidden
  const focus = document.activeElement;
  if (focus && focus.matches && focus.matches(TEXT_FIELD)) return; // that field's own undo
  event.preventDefault();
  undo();
});
// On a phone a number's cards are a compact row (pad.css); a tap on one shows all its bars.
result.addEventListener("click", (event) => {
  const card = event.target.closest(".card");
  if (card) card.classList.toggle("open");
});

// An example is drawn stroke by stroke, as a visitor would, and read live on the way.
function stopReplay() {
  if (replay) cancelAnimationFrame(replay);
  replay = null;
}

function playExample(index) {
  clearPad();
  const todo = EXAMPLES[index].map((s) => s.slice());
  const perFrame = 6; // points per animation frame: a number takes about a second
  let stroke = null;
  const step = () => {
    for (let k = 0; k < perFrame && todo.length; k++) {
      if (!stroke) {
        stroke = [todo[0].shift()];
        strokes.push(stroke);
      } else {
        stroke.push(todo[0].shift());
      }
      if (!todo[0].length) {
        todo.shift();
        stroke = null;
      }
    }
    redraw();
    if (todo.length) {
      replay = requestAnimationFrame(step);
      changed(false);
    } else {
      replay = null;
      penUpAt = performance.now();
      changed(true);
    }
  };
  replay = requestAnimationFrame(step);
}

root.querySelectorAll("button.example").forEach((button) => {
  button.addEventListener("click", () => {
    touched();
    playExample(Number(button.dataset.example));
  });
});

// ---- kiosk: the pad clears itself when nobody has drawn for a while ----------------------
function touched() {
  lastActivity = performance.now();
}

if (KIOSK_IDLE_MS > 0) {
  setInterval(() => {
    if (strokes.length && !active && performance.now() - lastActivity > KIOSK_IDLE_MS) {
      clearPad();
      element.dispatchEvent(new CustomEvent("pad:idle", { bubbles: true }));
    }
  }, 1000);
}

// The visitor switched language (ui/i18n.js): the answer on screen is asked for again, in it.
window.addEventListener("page:language", () => {
  label.textContent = say(answer.textContent.length > 1 ? "pad.i_read" : "pad.i_see");
  if (strokes.length && !active && !replay) changed(true);
});

// ---- start -------------------------------------------------------------------------------
new ResizeObserver(resize).observe(canvas);
// the theme can change while the page is open: redraw in the new ink colour
new MutationObserver(redraw).observe(document.body, { attributes: true, attributeFilter: ["class"] });
resize();
root.dataset.ready = "true";
