// The office's services on the start screen: loaded, and again every few seconds while
// the server cannot be reached.
import { errorMessage } from "/static/nobat-api.js";
import { t } from "./format.js";
import { show, showSetup } from "./screens.js";
import { renderStart } from "./service-menu.js";
import { $, TIMING, api, office, state } from "./state.js";

let retryTimer = null;

export async function loadServices() {
  clearTimeout(retryTimer);
  let response;
  try {
    response = await api(`/api/v1/offices/${encodeURIComponent(office.code)}/services`);
  } catch {
    unreachable();
    return;
  }
  if (response.status === 401 || response.status === 403) {
    showSetup((await errorMessage(response)) || t("setup_refused"));
    return;
  }
  if (!response.ok) {
    unreachable();
    return;
  }
  let services;
  try {
    services = await response.json();
  } catch {
    unreachable();
    return;
  }
  state.unreachable = false;
  $("banner").hidden = true;
  const signature = JSON.stringify(services);
  const changed = signature !== state.signature || !state.loaded;
  state.services = services;
  state.signature = signature;
  state.loaded = true;
  if (changed && ["loading", "start", "closed"].includes(state.screen)) renderStart();
}

function unreachable() {
  state.unreachable = true;
  if (!state.loaded) {
    show("loading");
    $("loading-text").textContent = t("server_unreachable");
  } else {
    $("banner").textContent = t("server_unreachable");
    $("banner").hidden = false;
  }
  retryTimer = setTimeout(loadServices, TIMING.retry * 1000);
}
