// The optional priority: the bar under the services, the sheet of reasons it opens, and
// the reason chosen (state.priority), which the next ticket request carries.
import { t } from "./format.js";
import { $, root, state } from "./state.js";

export function updatePriorityBar() {
  const chosen = state.priority;
  $("priority-open").hidden = Boolean(chosen);
  $("priority-selected").hidden = !chosen;
  if (chosen) {
    $("priority-selected-text").textContent = t("priority_chosen", { reason: t(`reason_${chosen}`) });
    $("priority-selected-icon").setAttribute("href", `#i-${chosen}`);
  }
  for (const button of $("reasons").querySelectorAll(".reason")) {
    button.setAttribute("aria-pressed", String(button.dataset.reason === chosen));
  }
  root.dataset.priority = chosen || "";
}

function choosePriority(reason) {
  state.priority = reason;
  $("priority-sheet").hidden = true;
  updatePriorityBar();
}

export function wirePriority() {
  $("priority-open").addEventListener("click", () => { $("priority-sheet").hidden = false; });
  $("priority-remove").addEventListener("click", () => choosePriority(null));
  $("priority-none").addEventListener("click", () => choosePriority(null));
  for (const button of $("reasons").querySelectorAll(".reason")) {
    button.addEventListener("click", () => choosePriority(button.dataset.reason));
  }
  $("priority-sheet").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) $("priority-sheet").hidden = true;
  });
}
