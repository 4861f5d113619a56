// The page's small windows: choose a service to transfer to, type a ticket number, say why
// the counter pauses, confirm, and the list of shortcuts. Each resolves to the choice made,
// or null when closed (Esc, Back); digits pick the numbered choices.
import { el, named } from "/static/nobat-dom.js";
import { $, fmt, lang, state } from "./page.js";

function choose(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/** Digits 1–9 press the dialog's numbered choices. */
function numberedChoices(dialog) {
  dialog.addEventListener("keydown", (event) => {
    const digit = /^Digit([1-9])$/.exec(event.code) || /^Numpad([1-9])$/.exec(event.code);
    if (!digit) return;
    const buttons = dialog.querySelectorAll(".choices button");
    const button = buttons[Number(digit[1]) - 1];
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
}
numberedChoices($("transfer-dialog"));
numberedChoices($("pause-dialog"));

/** The service to send the citizen to (any active one but their own), or null. */
export async function pickService(currentService) {
  const dialog = $("transfer-dialog");
  const choices = state.services.filter((s) => s.active && s.code !== currentService);
  $("transfer-choices").replaceChildren(...choices.map((service, index) => {
    const button = el("button");
    button.value = service.code;
    if (index < 9) {
      const key = el("kbd", "", fmt.digits(index + 1));
      key.setAttribute("aria-hidden", "true");
      button.append(key, " ");
    }
    button.append(named("", `${service.letter} · ${lang === "fa" ? service.name_fa : service.name_en}`));
    const item = el("li");
    item.append(button);
    return item;
  }));
  const chosen = await choose(dialog);
  return chosen && chosen !== "cancel" ? chosen : null;
}

/** Why the counter pauses (break, prayer, lunch, system), or null. */
export async function pickPauseReason() {
  const chosen = await choose($("pause-dialog"));
  return chosen && chosen !== "cancel" ? chosen : null;
}

/** Whether the clerk confirms ``text``. */
export async function confirm(text) {
  $("confirm-text").textContent = text;
  return (await choose($("confirm-dialog"))) === "yes";
}

export function showHelp() {
  choose($("help-dialog"));
}

/**
 * The number window: the clerk types a ticket number and submits; ``onSubmit(number)``
 * does the work and resolves to true to close the window, or to false to keep it open
 * (e.g. a look-up that found the ticket and now asks to confirm).
 */
export function askNumber({ title, submit, onSubmit }) {
  const dialog = $("number-dialog");
  const form = $("number-form");
  const input = $("number-input");
  $("number-title").textContent = title;
  $("number-submit").textContent = submit;
  $("number-found").textContent = "";
  input.value = "";
  const handler = async (event) => {
    event.preventDefault();
    const button = $("number-submit");
    if (button.disabled) return;
    button.disabled = true;
    try {
      if (await onSubmit(input.value.trim(), setFound)) dialog.close();
    } finally {
      button.disabled = false;
    }
  };
  const setFound = (text, submitLabel) => {
    $("number-found").textContent = text;
    if (submitLabel) $("number-submit").textContent = submitLabel;
  };
  form.addEventListener("submit", handler);
  form.querySelector("[data-close]").onclick = () => dialog.close();
  input.oninput = () => {
    $("number-found").textContent = "";
    $("number-submit").textContent = submit;
  };
  dialog.addEventListener("close", () => form.removeEventListener("submit", handler), { once: true });
  dialog.showModal();
  input.focus();
}
