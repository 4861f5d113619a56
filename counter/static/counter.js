// The clerk's counter page: choose a counter, then work it. The office's live board comes
// over the socket (snapshot and numbered events, as on the wall); the chosen counter's
// own screen is fetched again whenever an event touches it or its services, so it never
// shows what is no longer true, and a lost connection is shown and healed on return.
import { LiveOffice } from "/static/nobat-live.js";
import { onCommandDone, problem, run, signInAgain } from "./actions.js";
import { listen } from "./keys.js";
import { $, STORAGE, api, office, state, t } from "./page.js";
import { render, renderTimers } from "./render.js";

let fetching = null;
let again = false;

/** Fetch the chosen counter's screen; calls that come meanwhile make one more fetch. */
function refresh() {
  if (!state.counterId) return Promise.resolve();
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    do {
      again = false;
      await fetchScreen();
    } while (again);
  })().finally(() => { fetching = null; });
  return fetching;
}

let retryTimer = null;

async function fetchScreen() {
  clearTimeout(retryTimer);
  const result = await api("GET", `/api/v1/counters/${state.counterId}`);
  if (result.ok) {
    state.skewMs = Date.parse(result.data.at) - Date.now();
    state.screen = result.data;
    render();
    alertWhenSomeoneWaits();
    // The first full screen, for whoever measures the page (bench/bench_counter_page.py).
    if (!performance.getEntriesByName("nobat:counter-ready").length) performance.mark("nobat:counter-ready");
    return;
  }
  if (result.status === 401) {
    problem(result.error.message);
    signInAgain();
  } else if (result.status === 404 || result.status === 403) {
    choose(null); // that counter is gone, or not of this office: choose again
  } else {
    problem(t("unreachable"));
    retryTimer = setTimeout(refresh, 3000);
  }
}

function choose(counterId) {
  state.counterId = counterId;
  state.screen = null;
  state.waitingBefore = 0;
  if (counterId) localStorage.setItem(STORAGE, String(counterId));
  else localStorage.removeItem(STORAGE);
  render();
  if (counterId) refresh();
}

// --- the alert when a citizen starts waiting at an idle counter -------------------------

let audio = null;
const unlockAudio = () => {
  if (!audio && window.AudioContext) audio = new AudioContext();
};
document.addEventListener("pointerdown", unlockAudio, { once: true });
document.addEventListener("keydown", unlockAudio, { once: true });

function softTone() {
  if (!audio) return;
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 740;
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.12, now + 0.03);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.5);
  tone.connect(gain).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 0.55);
}

function alertWhenSomeoneWaits() {
  const screen = state.screen;
  const waiting = screen.queues.reduce((sum, queue) => sum + queue.waiting, 0);
  const idle = screen.counter.state === "open" && !screen.current;
  const started = idle && waiting > 0 && state.waitingBefore === 0;
  state.waitingBefore = waiting;
  const alert = $("waiting-alert");
  alert.hidden = !(idle && waiting > 0);
  alert.textContent = t("alert_waiting");
  if (started) softTone();
}

// --- live --------------------------------------------------------------------------------

/** Whether an event changes what the chosen counter's screen shows. */
function touchesCounter(event) {
  const screen = state.screen;
  if (!screen) return false;
  if (event.counter && event.counter.id === state.counterId) return true;
  const ticket = event.ticket;
  if (!ticket) return false;
  return ticket.counter === state.counterId || screen.queues.some((q) => q.code === ticket.service);
}

function showLive(liveState) {
  const pill = $("live-state");
  pill.dataset.state = liveState;
  pill.textContent = liveState === "live" ? t("live") : t("connection_lost");
  document.body.dataset.live = liveState;
  if (liveState === "refused") signInAgain();
}

function start() {
  listen();
  document.addEventListener("click", (event) => {
    const pick = event.target.closest("button.pick");
    if (pick) {
      choose(Number(pick.dataset.counter));
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (button && !button.disabled) run(button.dataset.action, button.dataset.ticket);
  });
  $("change-counter").addEventListener("click", () => choose(null));
  onCommandDone(refresh);
  setInterval(renderTimers, 1000);
  api("GET", `/api/v1/offices/${encodeURIComponent(office.code)}/services`).then((result) => {
    if (result.ok) {
      state.services = result.data;
      if (state.screen) render();
    }
  });
  new LiveOffice({
    office: office.code,
    onBoard: (board) => {
      state.board = board;
      if (!state.counterId) render();
    },
    onEvent: (event) => {
      if (touchesCounter(event)) refresh();
    },
    onState: (liveState) => {
      showLive(liveState);
      if (liveState === "live") refresh(); // after a drop, what happened meanwhile
    },
  }).start();
  render();
  refresh();
}

start();
