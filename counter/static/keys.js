// Keyboard first: every common command has a letter, shown on its button. Keys are read by
// their place on the keyboard (KeyboardEvent.code), so they work with the Persian layout
// too. A held key repeats nothing, and nothing fires while a window is open or the clerk
// is typing.
import { run } from "./actions.js";

const SHORTCUTS = {
  KeyN: "next",
  KeyR: "recall",
  KeyS: "start",
  KeyC: "complete",
  KeyA: "no_show",
  KeyT: "transfer",
  KeyP: "park",
  KeyG: "call_number",
  KeyX: "cancel_number",
  KeyB: "pause",
  KeyO: "open",
  KeyH: "help",
  Slash: "help",
};

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function listen() {
  document.addEventListener("keydown", (event) => {
    if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const command = SHORTCUTS[event.code];
    if (!command) return;
    event.preventDefault();
    run(command);
  });
}
