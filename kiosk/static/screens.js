// Which screen shows (one at a time, named on the root for the styles and the tests), the
// overlays over it, the setup screen, and the element builders the screens are drawn with.
import { forgetDeviceToken } from "/static/nobat-device.js";
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

/** No token, or a refused one (`refused` is the server's message), which is then forgotten. */
export function showSetup(refused) {
  if (refused) forgetDeviceToken(STORAGE);
  clearTimers();
  closeOverlays();
  $("idle").hidden = true;
  $("setup-refused").hidden = !refused;
  $("setup-refused").textContent = refused || "";
  show("setup");
}

export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}
