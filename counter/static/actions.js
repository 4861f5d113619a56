// What the clerk can do, one command at a time: each button and shortcut runs one of these.
//
// While a command is in flight every button is disabled, so a double click or a held key
// never sends two. *Call next* carries an Idempotency-Key (a lost answer is retried once
// with the same key and gets the same ticket) and says which ticket the screen shows as
// current, so the server refuses it, rather than finishing someone, when the counter has
// moved on meanwhile (another window, the keypad).
import { newKey } from "/static/nobat-api.js";
import { askNumber, confirm, pickPauseReason, pickService, showHelp } from "./dialogs.js";
import { $, api, number, office, serviceName, state, t } from "./page.js";
import { enabled, renderButtons, renderWork } from "./render.js";

let toastTimer = null;
let afterCommand = () => {};

/** What runs after every command: the page fetches its counter again. */
export function onCommandDone(callback) {
  afterCommand = callback;
}

export function toast(text) {
  clearTimeout(toastTimer);
  $("toast").textContent = text;
  toastTimer = setTimeout(() => { $("toast").textContent = ""; }, 5000);
}

export function problem(text) {
  const banner = $("banner");
  banner.textContent = text;
  banner.hidden = !text;
}

/** The outcome of a request, told to the clerk: a sentence on success, the reason if not. */
function told(result, success) {
  if (result.ok) {
    problem("");
    if (success) toast(success);
  } else {
    problem(result.error.message);
    if (result.status === 401) signInAgain();
  }
  return result;
}

/** The sign-in has ended (signed out elsewhere, expired, the user disabled): sign in again. */
export function signInAgain() {
  const back = encodeURIComponent(window.location.pathname + window.location.search);
  setTimeout(() => window.location.assign(`/login?next=${back}`), 2500);
}

/**
 * What the counter holds now, as an answer says, shown at once: the fresh screen follows
 * a moment later, and a press meanwhile must already name the right current ticket.
 */
function settle(ticket, { left } = {}) {
  const screen = state.screen;
  if (!screen) return;
  const here = ticket.counter && ticket.counter.id === state.counterId;
  if (!left && here && ["called", "serving"].includes(ticket.status)) screen.current = ticket;
  else if (left || (screen.current && screen.current.id === ticket.id)) screen.current = null;
  renderWork();
}

const counterPath = (name) => `/api/v1/counters/${state.counterId}${name ? `/${name}` : ""}`;
const current = () => state.screen && state.screen.current;
const expected = () => (current() ? current().id : null);

async function callNext() {
  const key = newKey();
  const send = () => api("POST", counterPath("next"), { current: expected() }, { "Idempotency-Key": key });
  let result = await send();
  if (result.status === 0) result = await send(); // the same key: never a second call
  if (result.status === 204) {
    settle({ id: expected() }, { left: true }); // the one before was finished as served
    return told(result, t("nothing_waits"));
  }
  if (result.ok) settle(result.data);
  return told(result, result.ok ? t("called_msg", { number: number(result.data.number) }) : "");
}

function ticketCommand(path, message) {
  return async (ticketId = current() && current().id) => {
    if (!ticketId) return null;
    const result = await api("POST", `/api/v1/tickets/${ticketId}/${path}`);
    if (result.ok) settle(result.data);
    return told(result, result.ok ? t(message, { number: number(result.data.number) }) : "");
  };
}

async function transfer() {
  const ticket = current();
  const code = ticket && (await pickService(ticket.service));
  if (!code) return null;
  const result = await api("POST", `/api/v1/tickets/${ticket.id}/transfer`, { service: code });
  if (result.ok) settle(ticket, { left: true }); // the answer is the new ticket, elsewhere
  const words = result.ok && {
    number: number(ticket.number), service: serviceName(code), new: number(result.data.number),
  };
  return told(result, result.ok ? t("transferred_msg", words) : "");
}

function callByNumber() {
  askNumber({
    title: t("call_number_title"),
    submit: t("call_button"),
    onSubmit: (typed, setFound) => guarded(async () => {
      const result = await api("POST", counterPath("call"), { number: typed, current: expected() });
      if (!result.ok) {
        setFound(result.error.message); // said in the window the clerk is looking at
        return false;
      }
      settle(result.data);
      told(result, t("called_msg", { number: number(result.data.number) }));
      return true;
    }),
  });
}

function cancelByNumber() {
  let found = null; // the waiting ticket the typed number found, to cancel on the next submit
  askNumber({
    title: t("cancel_number_title"),
    submit: t("find_button"),
    onSubmit: (typed, setFound) => guarded(async () => {
      if (found && found.typed === typed) {
        return (await ticketCommand("cancel", "cancelled_msg")(found.id)).ok;
      }
      found = null;
      const query = `?number=${encodeURIComponent(typed)}`;
      const result = await api("GET", `/api/v1/offices/${encodeURIComponent(office.code)}/tickets${query}`);
      const [ticket] = result.ok ? result.data : [];
      if (!result.ok || !ticket) {
        setFound(result.ok ? t("not_found", { number: typed }) : result.error.message);
        return false;
      }
      const words = {
        number: number(ticket.number),
        service: serviceName(ticket.service),
        status: t(`word_${ticket.status}`),
      };
      if (ticket.status !== "waiting") {
        setFound(`${t("found", words)}. ${t("not_waiting", words)}`);
        return false;
      }
      found = { typed, id: ticket.id };
      setFound(t("found", words), t("cancel_button"));
      return false;
    }),
  });
}

async function pause() {
  const reason = await pickPauseReason();
  if (!reason) return null;
  return told(await api("POST", counterPath("pause"), { reason }), t("paused_msg"));
}

async function counterCommand(name, message, question) {
  const counter = state.screen.counter;
  if (question && !(await confirm(t(question, { counter: counter.name, clerk: counter.clerk || "" })))) {
    return null;
  }
  const result = await api("POST", counterPath(name));
  return told(result, t(message, { counter: counter.name }));
}

/** The commands by the name their buttons and shortcuts carry. */
const COMMANDS = {
  next: callNext,
  recall: ticketCommand("recall", "recalled_msg"),
  start: ticketCommand("start", "started_msg"),
  complete: ticketCommand("complete", "done_msg"),
  no_show: ticketCommand("no-show", "no_show_msg"),
  park: ticketCommand("park", "parked_msg"),
  resume: (ticketId) => ticketCommand("resume", "resumed_msg")(ticketId),
  parked_no_show: (ticketId) => ticketCommand("no-show", "no_show_msg")(ticketId),
  transfer,
  call_number: callByNumber,
  cancel_number: cancelByNumber,
  pause,
  open: () => counterCommand("open", "opened_msg"),
  close: () => counterCommand("close", "closed_msg", "close_confirm"),
  takeover: () => counterCommand("takeover", "taken_msg", "take_over_confirm"),
  help: showHelp,
};

/** Run ``work`` as the one command in flight: buttons off until it is done. */
async function guarded(work) {
  state.busy = true;
  renderButtons();
  try {
    return await work();
  } finally {
    state.busy = false;
    renderButtons();
    afterCommand();
  }
}

/** Run the command ``name`` if it is possible now (from a button or a shortcut). */
export function run(name, argument) {
  if (!(name in COMMANDS) || !enabled(name)) return;
  const command = COMMANDS[name];
  if (["call_number", "cancel_number", "help"].includes(name)) {
    command(); // a window: its own submit is the guarded request
    return;
  }
  guarded(() => command(argument ? Number(argument) : undefined));
}
