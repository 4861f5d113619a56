// Taking a ticket: the request to the server, and the problem sheet when no ticket came
// (with a retry when the server may yet issue it).
import { t } from "./format.js";
import { showSetup } from "./screens.js";
import { api, errorMessage, loadServices } from "./server.js";
import { renderStart } from "./service-menu.js";
import { $, office, state } from "./state.js";
import { showTicket } from "./ticket-screen.js";

// A key per ticket request, kept for its retries: if an answer was lost on the way, the
// server hands back the same ticket instead of a second number. (getRandomValues also
// works on plain http, where kiosks on an office network often are.)
function newRequestKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function issue(service) {
  if (state.busy || !service.available) return;
  state.busy = true;
  if (state.requestFor !== service.code || !state.requestKey) {
    state.requestKey = newRequestKey();
    state.requestFor = service.code;
  }
  state.lastService = service;
  $("busy").hidden = false;
  const body = {
    service: service.code,
    priority: Boolean(state.priority),
    priority_reason: state.priority,
    language: state.lang,
  };
  let response;
  let ticket = null;
  try {
    response = await api(`/api/v1/offices/${encodeURIComponent(office.code)}/tickets`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Idempotency-Key": state.requestKey },
    });
    if (response.status === 201) ticket = await response.json();
  } catch {
    response = null;
  } finally {
    state.busy = false;
    $("busy").hidden = true;
  }
  if (ticket) {
    state.requestKey = null;
    showTicket(ticket, service);
    return;
  }
  if (response === null) {
    problem(t("network_error"), true);
    return;
  }
  const message = await errorMessage(response);
  if (response.status === 401) {
    showSetup(message || t("setup_refused"));
    return;
  }
  if (response.status >= 500) {
    problem(message || t("server_error"), true);
    return;
  }
  state.requestKey = null; // refused: a new attempt is a new request
  problem(message || t("server_error"), false);
  loadServices(); // a 409 usually means the service closed or filled up meanwhile
}

function problem(message, retry) {
  $("problem-message").textContent = message;
  $("problem-retry").hidden = !retry;
  $("problem").hidden = false;
}

/** The problem sheet's buttons: try the same service again, or back to the services. */
export function wireProblem() {
  $("problem-retry").addEventListener("click", () => {
    $("problem").hidden = true;
    if (state.lastService) issue(state.lastService);
  });
  $("problem-back").addEventListener("click", () => {
    $("problem").hidden = true;
    renderStart();
  });
}
