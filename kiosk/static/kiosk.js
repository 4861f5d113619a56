// The kiosk: a citizen picks a service (by group, or by searching) and takes a numbered ticket.
//
// Persian first: the page carries its texts in both languages and starts in Persian; a
// citizen may switch to English, which lasts until their ticket is done or the kiosk
// goes idle. Without a device token the kiosk shows a pairing code until a manager
// approves it on the devices page (pairDevice); the token is then kept in this browser.
//
// This entry module wires the page together and keeps the live connection; the screens
// live in service-menu.js, ticket-screen.js (with print-status.js and countdown.js) and
// session.js (language, idle), the ticket request in ticket-request.js.
import { linkedDeviceToken, pairDevice, refusalReason } from "/static/nobat-device.js";
import { LiveOffice } from "/static/nobat-live.js";
import { wireCountdown } from "./countdown.js";
import { receiveStatus, recheckPrint } from "./print-status.js";
import { wirePriority } from "./priority.js";
import { show, showCode, showPairing, showPairingProblem, showSetup } from "./screens.js";
import { loadServices } from "./services.js";
import { updateWaiting, wireMenu } from "./service-menu.js";
import { t } from "./format.js";
import { applyLanguage, everySecond, finishTicket, tick, wireSession } from "./session.js";
import { STORAGE, TIMING, office, root, state } from "./state.js";
import { issue, wireProblem } from "./ticket-request.js";

function wire() {
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  for (const type of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(type, () => { state.lastTouch = Date.now(); }, { capture: true });
  }
  wireSession();
  wireMenu(issue);
  wirePriority();
  wireProblem();
  wireCountdown(finishTicket);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") loadServices();
  });
}

function connect() {
  const live = new LiveOffice({
    token: state.token,
    office: office.code,
    onBoard: (board) => {
      state.waiting = new Map(board.services.map((s) => [s.code, s.waiting]));
      updateWaiting();
    },
    onState: (status) => {
      root.dataset.live = status;
      if (status === "live") recheckPrint();
    },
  }).start();
  live.socket.on("print_status", receiveStatus);
  live.socket.on("revoked", () => showSetup(t("setup_revoked")));
}

async function main() {
  wire();
  applyLanguage();
  setInterval(everySecond, 1000);
  setInterval(tick, 15000);
  let refused = refusalReason(STORAGE);
  try {
    state.token = await linkedDeviceToken(STORAGE);
  } catch (error) {
    refused = error.message;
  }
  if (!state.token) {
    showPairing(refused);
    state.token = await pairDevice({
      storageKey: STORAGE,
      kind: "kiosk",
      office: office.code,
      lang: state.lang,
      onCode: showCode,
      onProblem: showPairingProblem,
    });
  }
  show("loading");
  loadServices();
  setInterval(() => {
    if (state.screen !== "ticket") loadServices();
  }, TIMING.refresh * 1000);
  connect();
}

main();
