// Which screen shows (one at a time, named on the root for the styles and the tests), the
// overlays over it, the setup screen, and the element builders the screens are drawn with.
import { forgetDeviceToken } from "/static/nobat-device.js";
import { persianDigits } from "/static/nobat-format.js";
import { $, STORAGE, clearTimers, root, state } from "./state.js";

export function show(screen) {
  state.screen = screen;
  for (const node of root.querySelectorAll(".screen")) node.hidden = node.id !== `screen-${screen}`;
  $("priority-bar").hidden = screen !== "start";
  root.dataset.screen = screen;
}

export function closeOverlays() {
  $("priority-sheet").hidden = true;
  $("problem").hidden = true;
}

/** The server refused the token (`refused` is its message) or it was revoked: forget it
 *  and start again, which shows the pairing screen with that reason. */
export function showSetup(refused) {
  forgetDeviceToken(STORAGE, refused || "");
  window.location.reload();
}

/** The pairing screen (no token yet), with why the last one was refused, if it was. */
export function showPairing(refused) {
  clearTimers();
  closeOverlays();
  $("idle").hidden = true;
  $("setup-refused").hidden = !refused;
  $("setup-refused").textContent = refused || "";
  show("setup");
}

/** The code a manager enters on the devices page, in the page's digits. */
export function showCode(code) {
  const box = $("pair-code");
  box.dataset.code = code;
  box.textContent = state.lang === "fa" ? persianDigits(code) : code;
  $("pair-problem").hidden = true;
}

/** Why no code can be shown for now (null: the server cannot be reached). */
export function showPairingProblem(message) {
  $("pair-problem").textContent = message || TEXT_UNREACHABLE();
  $("pair-problem").hidden = false;
}

const TEXT_UNREACHABLE = () => $("pair-problem").dataset.unreachable;

export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}
