// Taking a ticket: the request to the server, and the problem sheet when no ticket came
// (with a retry when the server may yet issue it).
import { errorMessage, newKey } from "/static/nobat-api.js";
import { t } from "./format.js";
import { showSetup } from "./screens.js";
import { renderStart } from "./service-menu.js";
import { loadServices } from "./services.js";
import { $, api, office, state } from "./state.js";
import { showTicket } from "./ticket-screen.js";

// A key per ticket request, kept for its retries: if an answer was lost on the way, the
// server hands back the same ticket instead of a second number. The key stands for one
// citizen's one request: any other body gets a new key, since the server refuses a key
// sent with another request (and answering it with the earlier ticket would hand one
// citizen another's number).
function requestKeyFor(body) {
  const request = JSON.stringify(body);
  if (state.requestFor !== request || !state.requestKey) {
    state.requestKey = newKey();
    state.requestFor = request;
  }
  return state.requestKey;
}

/** The request is over (a ticket, a refusal, Back, or the session's end): the next is new. */
export function forgetRequest() {
  state.requestKey = null;
  state.requestFor = null;
}

export async function issue(service) {
  if (state.busy || !service.available) return;
  state.busy = true;
  state.lastService = service;
  $("busy").hidden = false;
  const body = {
    service: service.code,
    priority: Boolean(state.priority),
    priority_reason: state.priority,
    language: state.lang,
  };
  const key = requestKeyFor(body);
  let response;
  let ticket = null;
  try {
    response = await api(`/api/v1/offices/${encodeURIComponent(office.code)}/tickets`, {
      method: "POST",
      body,
      headers: { "Idempotency-Key": key },
    });
    if (response.status === 201) ticket = await response.json();
  } catch {
    response = null;
  } finally {
    state.busy = false;
    $("busy").hidden = true;
  }
  if (ticket) {
    forgetRequest();
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
  if (response.status >= 500 || response.status === 429) {
    // Not issued, and may be later (a 429 says when): the same request, with its key.
    problem(message || t("server_error"), true);
    return;
  }
  forgetRequest(); // refused: a new attempt is a new request
  problem(message || t("server_error"), false);
  loadServices(); // a 409 usually means the service closed or filled up meanwhile
}

function problem(message, retry) {
  $("problem-message").textContent = message;
  $("problem-retry").hidden = !retry;
  $("problem").hidden = false;
}

/** The problem sheet's buttons: try the same request again (same key), or back to the services. */
export function wireProblem() {
  $("problem-retry").addEventListener("click", () => {
    $("problem").hidden = true;
    if (state.lastService) issue(state.lastService);
  });
  $("problem-back").addEventListener("click", () => {
    // Given up: whoever taps next (perhaps the next citizen) makes a new request.
    forgetRequest();
    $("problem").hidden = true;
    renderStart();
  });
}
