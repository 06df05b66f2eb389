// Corrections and the booth screen (ui/feedback.py, ui/corrections.py). Runs after ui/pad.js, in
// the same scope: `root`, `result`, `server`, `shownImage` (the drawing the cards answer) and
// KIOSK_IDLE_MS come from there.
//
// Once an answer is final, each card gets two small buttons, "Right!" and "No, it was…"; the
// ten digits and "not a digit" appear only after the second. Nothing is sent unless the visitor ticked the consent
// box: then the server re-reads the very drawing the cards answer and stores that digit. While
// the pad is empty, the result panel shows the booth screen (today's score). All of it inside a
// function of its own, so that no name here can clash with, or replace, one of ui/pad.js's.
(() => {
const consent = root.querySelector('[data-testid="consent"]');
const consentBox = root.querySelector(".fb-consent");
const offNote = root.querySelector(".fb-off");
const BOOTH_REFRESH_MS = 20000; // a kiosk's idle screen stays current
let feedbackOn = true;
let answered = new Map(); // card index -> note shown, for the drawing on screen now
let answeredFor = null; // ...which is this drawing
let unsent = new Map(); // card index -> label marked before the box was ticked, same drawing
let boothHtml = null;
const NOT_A_DIGIT = "not_a_digit"; // the label for "not a digit" (model/feedback/correction.py)

function note(card, text, kind) {
  const line = card.querySelector(".fb-note");
  line.textContent = text;
  card.querySelector(".fb").dataset.state = kind;
}

function controls(card) {
  const index = Number(card.dataset.index);
  const answer = Number(card.dataset.digit);
  const box = document.createElement("div");
  box.className = "fb";
  box.dataset.testid = "feedback";
  const digits = Array.from({ length: 10 }, (_, k) =>
    `<button type="button" data-label="${k}" data-testid="label-${k}"${k === answer ? " disabled" : ""}>${k}</button>`,
  ).join("") +
    // always offered: a non-digit read as a confident number is the one most worth marking
    `<button type="button" class="fb-not-digit" data-label="not_a_digit" data-testid="label-not-a-digit">${say("feedback.not_a_digit")}</button>`;
  box.innerHTML =
    `<span class="fb-ask"><button type="button" class="fb-right" data-testid="right">${say("feedback.right")}</button>` +
    `<button type="button" class="fb-wrong" data-testid="wrong">${say("feedback.wrong")}</button></span>` +
    `<span class="fb-digits" hidden>${digits}</span><span class="fb-note" data-testid="feedback-note" aria-live="polite"></span>`;
  box.addEventListener("click", (event) => {
    event.stopPropagation(); // a click here is not a click on the card ("Look inside" picks cards)
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    if (button.classList.contains("fb-wrong")) {
      card.classList.add("open"); // a phone's compact card widens for the ten digits (pad.css)
      box.querySelector(".fb-ask").hidden = true;
      box.querySelector(".fb-digits").hidden = false;
      return;
    }
    const named = button.dataset.label;
    const label = button.classList.contains("fb-right") ? answer : named === NOT_A_DIGIT ? named : Number(named);
    send(card, index, label);
  });
  card.appendChild(box);
  if (answered.has(index)) settle(card, ...answered.get(index));
}

function settle(card, text, kind) {
  card.querySelector(".fb-ask").hidden = true;
  card.querySelector(".fb-digits").hidden = true;
  note(card, text, kind);
}

async function send(card, index, label) {
  const image = shownImage;
  if (!consent.checked) {
    settle(card, say("feedback.not_kept"), "not-kept");
    consentBox.classList.add("nudge");
    unsent.set(index, label); // ticking the box afterwards sends it
    return;
  }
  unsent.delete(index);
  settle(card, say("feedback.saving"), "saving");
  let reply;
  try {
    reply = await server.correct_pad({ image, digit: index, label, consent: true, language: pageLanguage() });
  } catch (error) {
    reply = { stored: false, message: say("feedback.unreached") };
  }
  if (image !== shownImage) return; // the drawing changed meanwhile: these cards are gone
  if (reply.off) turnOff();
  const kind = reply.stored ? "kept" : "refused";
  const as = label === NOT_A_DIGIT ? say("feedback.not_a_digit") : label;
  const text = reply.stored
    ? (label === reply.answer ? say("feedback.kept") : say("feedback.kept_as", { label: as }))
    : reply.message;
  answered.set(index, [text, kind]);
  settle(card, text, kind);
  if (!reply.stored && !reply.off) {
    answered.delete(index); // let them try again
    setTimeout(() => { if (card.isConnected) { card.querySelector(".fb").remove(); controls(card); } }, 2500);
  }
  if (reply.stored) booth(); // the score changed: have it ready for when the pad is cleared
  root.dataset.corrections = String(Number(root.dataset.corrections || 0) + (reply.stored ? 1 : 0));
}

function turnOff() {
  feedbackOn = false;
  offNote.hidden = false;
  consentBox.classList.add("off");
  result.querySelectorAll(".fb").forEach((box) => box.remove());
}

element.addEventListener("pad:answer", (event) => {
  if (!event.detail.final || !feedbackOn || !shownImage) return;
  if (answeredFor !== shownImage) {
    answered = new Map();
    unsent = new Map();
    answeredFor = shownImage;
  }
  result.querySelectorAll(".card").forEach((card) => { if (!card.querySelector(".fb")) controls(card); });
});

// ---- the booth screen, while the pad is empty ---------------------------------------------
async function booth() {
  let reply;
  try {
    reply = await server.booth({ language: pageLanguage() });
  } catch (error) {
    return;
  }
  if (!reply.on) turnOff();
  boothHtml = reply.html;
  if (root.classList.contains("empty")) result.innerHTML = boothHtml;
}

element.addEventListener("pad:reset", () => {
  answeredFor = null; // whatever is drawn next is a new drawing, even one just like the last
  if (boothHtml) result.innerHTML = boothHtml; // at once, then the newest
  booth();
});
element.addEventListener("pad:idle", () => {
  consent.checked = false; // the next visitor decides for themselves
  consentBox.classList.remove("nudge");
});
// Ticked after marking: the marks just made on the drawing on screen are sent now, so the
// visitor need not draw again.
consent.addEventListener("change", () => {
  consentBox.classList.remove("nudge");
  if (!consent.checked || answeredFor !== shownImage) return;
  for (const [index, label] of unsent) {
    const card = result.querySelector(`.card[data-index="${index}"]`);
    if (card && card.querySelector(".fb")) send(card, index, label);
  }
  unsent = new Map();
});
window.addEventListener("page:language", () => booth()); // the booth screen in the new language
if (KIOSK_IDLE_MS > 0) {
  setInterval(() => { if (root.classList.contains("empty")) booth(); }, BOOTH_REFRESH_MS);
}
booth();
})();
