// The citizen's ticket page, live. The page is complete as the server renders it; this
// module keeps it current over Socket.IO with the link as its only credential. The socket
// hears about its own ticket only: a `ticket` message with the status after each of the
// ticket's events (and on every connect, so a reconnect is never stale), and `moved`, a
// nudge without content when the office's queue moves, after which a waiting page asks
// for its own status again: at most once per NUDGE_GAP_MS, spread by a random delay so
// that an office's fifty phones do not ask at the same instant.
import { io } from "/assets/socket.io-client/socket.io.esm.min.js";
import { persianDigits } from "/static/nobat-format.js";

const NUDGE_GAP_MS = 2000;
const NUDGE_JITTER_MS = 1500;
const VIBRATION = [400, 200, 400, 200, 600];
const REFUSED_KEY = "nobat-ticket-refused";

const root = document.getElementById("ticket");
const lang = root.dataset.lang;
const digits = (value) => (lang === "fa" ? persianDigits(value) : String(value));
const byId = (id) => document.getElementById(id);
const title = document.title;

let status = JSON.parse(root.dataset.initial);
// A call already on the screen when the page opened is not announced again.
let alerted = callKey(status);
let lastAsked = 0;
let nudgeTimer = null;
let audio = null;

const socket = io({
  auth: { ticket: root.dataset.token, lang },
  transports: ["websocket", "polling"],
  reconnectionDelay: 1000,
  reconnectionDelayMax: 10000,
  randomizationFactor: 0.5,
  timeout: 8000,
});
socket.on("connect", () => connected(true));
socket.on("disconnect", () => connected(false));
socket.on("connect_error", refusedOrLost);
socket.on("ticket", (next) => {
  clearTimeout(nudgeTimer); // this status is newer than whatever a pending nudge would fetch
  nudgeTimer = null;
  show(next);
});
socket.on("moved", nudged);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && socket.connected && !status.closed) ask();
});
offerSound();

/** A new call or a recall: the status, when it was called and how often recalled. */
function callKey(s) {
  return s.status === "called" ? `${s.called_at}|${s.recalls}` : null;
}

function setText(id, text) {
  const node = byId(id);
  if (node.textContent !== text) node.textContent = text;
}

function show(next) {
  if (!next || next.error) return;
  status = next;
  root.dataset.status = next.status;
  for (const block of root.querySelectorAll("[data-when]")) {
    block.hidden = block.dataset.when !== next.status;
  }
  setText("ahead", next.ahead == null ? "" : digits(next.ahead));
  setText("wait", next.wait || "");
  for (const name of root.querySelectorAll(".counter-name")) {
    if (name.textContent !== (next.counter || "")) name.textContent = next.counter || "";
  }
  byId("recalled").hidden = !next.recalls;
  if (next.successor) {
    setText("new-number", digits(next.successor.number));
    byId("follow").href = next.successor.url;
  }
  const key = callKey(next);
  document.title = key ? `${root.querySelector('[data-when="called"] h2').textContent} · ${title}` : title;
  if (key && key !== alerted) {
    alerted = key;
    announce();
  }
  if (next.closed) {
    byId("sound").hidden = true;
    socket.disconnect(); // nothing more will happen to this ticket
    connected(false);
  }
}

function connected(live) {
  root.dataset.connection = status.closed ? "closed" : live ? "live" : "lost";
  byId("connection").hidden = live || status.closed;
}

function refusedOrLost() {
  if (socket.active) return connected(false);
  // Refused: the link expired meanwhile. Reload once so the page says so; not in a loop.
  const last = Number(sessionStorage.getItem(REFUSED_KEY) || 0);
  if (Date.now() - last > 60000) {
    sessionStorage.setItem(REFUSED_KEY, String(Date.now()));
    location.reload();
  } else {
    connected(false);
  }
}

function nudged() {
  if (status.status !== "waiting" || nudgeTimer) return;
  const gap = Math.max(0, lastAsked + NUDGE_GAP_MS - Date.now());
  nudgeTimer = setTimeout(ask, gap + Math.random() * NUDGE_JITTER_MS);
}

function ask() {
  clearTimeout(nudgeTimer);
  nudgeTimer = null;
  lastAsked = Date.now();
  socket.timeout(8000).emit("status", (error, next) => {
    if (!error) show(next);
  });
}

/** The call: the alert flashes, the phone vibrates and beeps where it may. */
function announce() {
  const box = root.querySelector('[data-when="called"]');
  box.classList.remove("alerting");
  void box.offsetWidth; // restart the animation for a recall
  box.classList.add("alerting");
  box.scrollIntoView({ block: "center" });
  if (navigator.vibrate) navigator.vibrate(VIBRATION);
  beep();
}

/** Phones allow sound only after a touch: the first one anywhere unlocks it. */
function offerSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  const hint = byId("sound");
  hint.hidden = false;
  const unlock = () => {
    audio = audio || new Context();
    audio.resume().then(() => {
      hint.hidden = true;
      for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, unlock);
    });
  };
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock);
}

function beep() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime + 0.05;
  [880, 660, 880].forEach((frequency, i) => {
    const at = start + i * 0.35;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.5, at + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.start(at);
    tone.stop(at + 0.32);
  });
}
