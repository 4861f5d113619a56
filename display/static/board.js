// The wall board: renders the office's live board and rings a chime on each call.
import { forgetDeviceToken, linkedDeviceToken } from "/static/nobat-device.js";
import { el, named } from "/static/nobat-dom.js";
import { formatter, waitMinutes } from "/static/nobat-format.js";
import { LiveOffice } from "/static/nobat-live.js";

const wall = document.getElementById("wall");
const text = JSON.parse(wall.dataset.text);
const { fa, digits } = formatter(wall.dataset.lang, wall.dataset.timezone);
const byId = (id) => document.getElementById(id);


function renderCounters(board) {
  const list = byId("counters");
  list.replaceChildren(...board.counters.map((counter) => {
    const item = el("li", `counter state-${counter.state}`);
    item.dataset.counter = counter.id;
    item.append(named("counter-name", counter.name));
    if (counter.ticket) {
      item.append(el("span", "ticket-number", digits(counter.ticket.number)));
    } else {
      const idle = counter.state === "open" ? "—" : text[`counter_${counter.state}`];
      item.append(el("span", "ticket-number idle", idle));
    }
    return item;
  }));
}

function renderServices(board) {
  const list = byId("services");
  list.replaceChildren(...board.services.filter((s) => s.active).map((service) => {
    const item = el("li", "service");
    item.append(el("span", "letter", service.letter));
    item.append(named("name", fa ? service.name_fa : service.name_en));
    item.append(el("span", "count", service.waiting ? `${digits(service.waiting)} ${text.waiting}` : text.nobody));
    // What a new ticket would wait: tickets of other services at shared counters count
    // too, so it shows even when nobody waits for this service itself. Whole minutes,
    // rounded outwards as on the printed ticket, so the range holds the estimate.
    const minutes = waitMinutes(service.eta_range);
    if (minutes && service.eta_range[1] >= 60) {
      const { low, high } = minutes;
      const range = low === high ? digits(low) : `${digits(low)}–${digits(high)}`;
      item.append(el("span", "eta", `${range} ${text.minutes}`));
    }
    return item;
  }));
}

function renderRecent(board) {
  byId("recent").replaceChildren(...board.recent_calls.slice(0, 6).map((ticket) => {
    const item = el("li", `recent-call status-${ticket.status}`, `${digits(ticket.number)} ← `);
    item.append(named("recent-counter", ticket.counter_name));
    return item;
  }));
}

// Counters called since the last render: they flash once the new cards are in place.
const justCalled = new Set();

function render(board) {
  renderCounters(board);
  renderServices(board);
  renderRecent(board);
  for (const id of justCalled) {
    const card = document.querySelector(`[data-counter="${id}"]`);
    if (card) card.classList.add("flash");
  }
  justCalled.clear();
}

// Browsers allow sound only after a touch: the button stays until someone taps it.
let audio = null;
byId("sound").addEventListener("click", (event) => {
  audio = new AudioContext();
  event.currentTarget.hidden = true;
});

function chime() {
  if (!audio) return;
  const now = audio.currentTime;
  [660, 880].forEach((frequency, i) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + i * 0.35);
    gain.gain.exponentialRampToValueAtTime(0.4, now + i * 0.35 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.35 + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start(now + i * 0.35);
    tone.stop(now + i * 0.35 + 0.65);
  });
}

function announce(event) {
  if (event.type !== "called" && event.type !== "recalled") return;
  chime();
  justCalled.add(event.ticket.counter);
}

function tick() {
  const locale = fa ? "fa-IR-u-ca-persian-nu-arabext" : "en-GB";
  byId("clock").textContent = new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
    timeZone: wall.dataset.timezone,
  }).format(new Date());
}
tick();
setInterval(tick, 10000);

// The set-up hint, with the reason when the server refused the token (or link) it was given.
function showSetup(refused, reason) {
  byId("banner").hidden = true;
  byId("setup-refused").hidden = !refused;
  if (reason) byId("setup-refused").textContent = reason;
  byId("setup").hidden = false;
}

const storageKey = `nobat.display.${wall.dataset.office}`;

async function start() {
  let token;
  try {
    token = await linkedDeviceToken(storageKey);
  } catch (refused) {
    showSetup(true, refused.message);
    return;
  }
  if (!token) {
    showSetup(false);
    return;
  }
  new LiveOffice({
    token,
    office: wall.dataset.office,
    onBoard: render,
    onEvent: announce,
    // How stale a wait on the wall may get while the queue moves (a minute by default:
    // well within the estimate's own range, and one board per display per minute).
    estimatesMaxAgeMs: Number(wall.dataset.waitsSeconds) * 1000,
    onState: (state) => {
      document.body.dataset.live = state;
      if (state === "refused") {
        // Refused at connect: nothing is retried, so the token is forgotten, not kept failing.
        forgetDeviceToken(storageKey);
        showSetup(true);
        return;
      }
      byId("banner").hidden = state === "live";
    },
  }).start();
}

start();
