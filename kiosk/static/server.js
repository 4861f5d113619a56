// Talking to the server: API requests with the device token and the citizen's language,
// and loading the office's services (again every few seconds while it cannot be reached).
import { t } from "./format.js";
import { show, showSetup } from "./screens.js";
import { renderStart } from "./service-menu.js";
import { $, TIMING, office, state } from "./state.js";

export async function api(path, options = {}) {
  const url = new URL(path, window.location.origin);
  url.searchParams.set("lang", state.lang);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMING.request * 1000);
  try {
    return await fetch(url, {
      ...options,
      signal: abort.signal,
      cache: "no-store",
      headers: {
        Authorization: `Bearer ${state.token}`,
        Accept: "application/json",
        ...(options.body ? { "Content-Type": "application/json" } : {}),
        ...(options.headers || {}),
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

export async function errorMessage(response) {
  try {
    const body = await response.json();
    return (body && body.error && body.error.message) || "";
  } catch {
    return "";
  }
}

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
