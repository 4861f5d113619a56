// The wall board: the office's live board, the newest call large, and each call spoken.
import { Announcer } from "./announcer.js";
import { apiFetch } from "/static/nobat-api.js";
import { forgetDeviceToken, linkedDeviceToken, pairDevice, refusalReason } from "/static/nobat-device.js";
import { el, named } from "/static/nobat-dom.js";
import { formatter } from "/static/nobat-format.js";
import { LiveOffice } from "/static/nobat-live.js";

const wall = document.getElementById("wall");
const text = JSON.parse(wall.dataset.text);
const office = wall.dataset.office;
const { fa, lang, digits, dateText, timeText } = formatter(wall.dataset.lang, wall.dataset.timezone);
const byId = (id) => document.getElementById(id);

/** A counter's name in the page's language (English names came later: fall back). */
const counterName = (counter) => (fa ? counter.name : counter.name_en || counter.name);
const calledAt = (ticket, board) => {
  const counter = board.counters.find((c) => c.id === ticket.counter);
  if (counter) return counterName(counter);
  return fa ? ticket.counter_name : ticket.counter_name_en || ticket.counter_name;
};

// --- the board ----------------------------------------------------------------------

/** Columns for ``count`` cards in a box: the layout whose cards are largest at ~8:5. */
function gridFor(count, width, height) {
  let best = { cols: 1, rows: Math.max(1, count), size: 0 };
  for (let cols = 1; cols <= Math.max(1, count); cols += 1) {
    const rows = Math.ceil(count / cols);
    const size = Math.min(width / cols / 1.6, height / rows);
    if (size > best.size) best = { cols, rows, size };
  }
  return best;
}

function fitCounters(count) {
  const list = byId("counters");
  const box = list.getBoundingClientRect();
  const { cols, rows } = gridFor(count, box.width || window.innerWidth, box.height || window.innerHeight);
  list.style.setProperty("--cols", cols);
  list.style.setProperty("--rows", rows);
}

function renderCounters(board) {
  const list = byId("counters");
  list.replaceChildren(...board.counters.map((counter) => {
    const item = el("li", `counter state-${counter.state}`);
    item.dataset.counter = counter.id;
    item.append(named("counter-name", counterName(counter)));
    if (counter.ticket) {
      item.append(el("span", "ticket-number", digits(counter.ticket.number)));
    } else {
      const idle = counter.state === "open" ? "—" : text[`counter_${counter.state}`];
      item.append(el("span", "ticket-number idle", idle));
    }
    return item;
  }));
  fitCounters(board.counters.length);
}

function renderServices(board) {
  const shown = board.services.filter((s) => s.active);
  // Each row gets its share of the panel's height: no service is ever cut off.
  const rows = Math.max(shown.length, 4);
  byId("services").style.setProperty("--services", rows);
  byId("services").style.setProperty("--half", Math.ceil(rows / 2)); // two columns, portrait
  byId("services").replaceChildren(...shown.map((service) => {
    const item = el("li", "service");
    item.dataset.service = service.code;
    item.append(el("span", "letter", service.letter));
    item.append(named("name", fa ? service.name_fa : service.name_en));
    const count = service.waiting ? `${digits(service.waiting)} ${text.waiting}` : text.nobody;
    item.append(el("span", service.waiting ? "count" : "count none", count));
    // What a new ticket would wait, worded by the server as the kiosk, the printed
    // ticket and the phone word it (tickets at shared counters count too).
    if (service.eta_text) item.append(el("span", "eta", service.eta_text[lang]));
    return item;
  }));
}

// Number → counter, pointing the way the page reads.
const ARROW = fa ? "←" : "→";

function renderRecent(board) {
  byId("recent").replaceChildren(...board.recent_calls.slice(0, 8).map((ticket) => {
    const item = el("li", `recent-call status-${ticket.status}`);
    item.append(el("span", "recent-number", digits(ticket.number)), ` ${ARROW} `);
    item.append(named("recent-counter", calledAt(ticket, board)));
    return item;
  }));
}

function renderNow(board) {
  const newest = board.recent_calls.find((t) => t.status === "called" || t.status === "serving");
  byId("now").classList.toggle("idle", !newest);
  byId("now-number").textContent = newest ? digits(newest.number) : text.welcome;
  byId("now-counter").textContent = newest ? calledAt(newest, board) : "";
}

// Cards called since the last render flash once the new cards are in place.
const justCalled = new Set();

function flash(node) {
  node.classList.remove("flash");
  void node.offsetWidth; // restart the animation on a recall
  node.classList.add("flash");
}

function render(board) {
  renderCounters(board);
  renderServices(board);
  renderRecent(board);
  renderNow(board);
  for (const id of justCalled) {
    const card = document.querySelector(`[data-counter="${id}"]`);
    if (card) flash(card);
  }
  if (justCalled.size) flash(byId("now"));
  justCalled.clear();
}

window.addEventListener("resize", () => live && live.board && fitCounters(live.board.counters.length));

// --- the clock and the manager's message ----------------------------------------------

function tick() {
  const now = new Date();
  byId("clock").textContent = `${dateText(now)} · ${timeText(now)}`;
}
tick();
setInterval(tick, 10000);

function showMessage(message) {
  const ticker = byId("ticker");
  const line = byId("ticker-text");
  ticker.hidden = !message;
  line.textContent = message || "";
  if (!message) return;
  // Only a message wider than the screen runs, at about eight characters a second.
  ticker.classList.remove("scrolling");
  ticker.classList.toggle("scrolling", line.scrollWidth > ticker.clientWidth);
  ticker.style.setProperty("--ticker-seconds", `${Math.max(12, message.length / 8)}s`);
}

// --- spoken calls ---------------------------------------------------------------------

let token = null;
let live = null;
let settings = { voice: true };

const announcer = new Announcer({
  audio: byId("voice"),
  storageKey: `nobat.display.${office}.sound`,
  onBlocked: (blocked) => {
    const button = byId("sound");
    button.hidden = !blocked;
    button.textContent = text.sound_blocked;
  },
});
byId("sound").addEventListener("click", () => {
  announcer.unlock();
  byId("sound").hidden = true;
});

/** Still worth saying when its turn comes: the ticket is still called at that counter. */
function stale(ticket) {
  const counter = live && live.board && live.board.counters.find((c) => c.id === ticket.counter);
  return !counter || !counter.ticket || counter.ticket.id !== ticket.id || counter.ticket.status !== "called";
}

// Announcements are queued in the order of the calls, their clips asked for while the
// earlier ones play: each is queued once those before it are.
let queued = Promise.resolve();

function announce(ticket) {
  if (!settings.voice) return;
  const asked = apiFetch(`/api/v1/offices/${office}/tickets/${ticket.id}/announcement`, { token, lang })
    .then((response) => (response.ok ? response.json() : null))
    .catch(() => null);
  queued = queued.then(() => asked).then((announcement) => {
    announcer.enqueue(announcement, () => stale(ticket));
  });
}

/** Whether this browser lets the page speak before someone touches it (autoplay). */
async function soundAllowed() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return true;
  const probe = new Context();
  await Promise.race([probe.resume(), new Promise((done) => setTimeout(done, 500))]);
  const allowed = probe.state === "running";
  probe.close();
  return allowed;
}

function onEvent(event) {
  if (event.type !== "called" && event.type !== "recalled" && event.type !== "reinstated") return;
  justCalled.add(event.ticket.counter);
  announce(event.ticket);
}

async function loadSettings() {
  try {
    const response = await apiFetch(`/api/v1/offices/${office}/display-settings`, { token, lang });
    if (response.ok) applySettings(await response.json());
  } catch {
    // Kept as they were; the next reconnect asks again.
  }
}

function applySettings(given) {
  settings = given;
  showMessage(given.message);
  if (settings.voice) {
    soundAllowed().then((allowed) => {
      if (!allowed) announcer.onBlocked(true);
    });
  } else {
    byId("sound").hidden = true;
  }
}

// --- setting up -----------------------------------------------------------------------

// The pairing screen: the code a manager enters on the devices page, and why the last
// token was refused, if it was.
function showPairing(reason) {
  byId("banner").hidden = true;
  byId("setup-refused").hidden = !reason;
  if (reason) byId("setup-refused").textContent = reason;
  byId("setup").hidden = false;
}

function showCode(code) {
  const box = byId("pair-code");
  box.dataset.code = code;
  box.textContent = digits(code);
  byId("pair-problem").hidden = true;
}

function showPairingProblem(message) {
  byId("pair-problem").textContent = message || byId("pair-problem").dataset.unreachable;
  byId("pair-problem").hidden = false;
}

const storageKey = `nobat.display.${office}`;

// The token was refused or revoked: forget it and start again, which shows a new code.
function unpair(reason) {
  forgetDeviceToken(storageKey, reason);
  window.location.reload();
}

async function start() {
  let refused = refusalReason(storageKey);
  try {
    token = await linkedDeviceToken(storageKey);
  } catch (error) {
    refused = error.message;
  }
  if (!token) {
    showPairing(refused);
    token = await pairDevice({
      storageKey, kind: "display", office, lang, onCode: showCode, onProblem: showPairingProblem,
    });
    byId("setup").hidden = true;
  }
  live = new LiveOffice({
    token,
    office,
    onBoard: render,
    onEvent,
    // How stale a wait on the wall may get while the queue moves (a minute by default:
    // well within the estimate's own range, and one board per display per minute).
    estimatesMaxAgeMs: Number(wall.dataset.waitsSeconds) * 1000,
    onState: (state) => {
      document.body.dataset.live = state;
      if (state === "refused") {
        // Refused at connect: nothing is retried, so the token is forgotten, not kept failing.
        unpair(byId("setup-refused").dataset.refused);
        return;
      }
      byId("banner").hidden = state === "live";
      if (state === "live") loadSettings();
    },
  }).start();
  live.socket.on("settings", applySettings);
  live.socket.on("revoked", () => unpair(byId("setup-refused").dataset.revoked));
  // A change made with the CLI of a server without Redis reaches no socket: ask anyway.
  setInterval(() => live.state === "live" && loadSettings(), 60000);
}

start();
