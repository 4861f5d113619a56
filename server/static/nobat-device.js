// A device page's credential (kiosk, wall display): the device token it keeps in this
// browser, given to it once by a one-time #link= (or, for set-ups by hand, ?token=).
import { apiFetch, errorMessage } from "/static/nobat-api.js";

/** A device token given once as ?token=… is kept, and removed from the address bar. */
export function deviceToken(storageKey) {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    window.localStorage.setItem(storageKey, given);
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.toString());
  }
  return window.localStorage.getItem(storageKey);
}

/**
 * The device token, after trading a one-time link given once as #link=… for one.
 *
 * The code sits in the fragment, which browsers never send (no server log, no Referer);
 * once the server has answered it is removed from the address bar, so a reload never
 * spends it again. Without a link this is deviceToken (a kept token, or ?token=…).
 * Rejects with the server's message when the link is refused (used, expired, unknown).
 */
export async function linkedDeviceToken(storageKey) {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const code = fragment.get("link");
  if (code) {
    const lang = document.documentElement.lang || "fa";
    const response = await apiFetch("/api/v1/devices/claim", { method: "POST", body: { code }, lang });
    fragment.delete("link");
    url.hash = fragment.toString();
    window.history.replaceState(null, "", url.toString());
    if (!response.ok) throw new Error((await errorMessage(response)) || response.statusText);
    window.localStorage.setItem(storageKey, (await response.json()).token);
  }
  return deviceToken(storageKey);
}

/** The server refused the kept token: forget it, so the device asks to be set up again. */
export function forgetDeviceToken(storageKey) {
  window.localStorage.removeItem(storageKey);
}
