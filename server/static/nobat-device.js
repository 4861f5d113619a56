// A device page's credential (kiosk, wall display): the device token it keeps in this
// browser. It arrives once, without ever being in a URL the server sees:
// - by pairing: the page shows a six-digit code, a manager of the office enters it on the
//   devices page, and the page's own poll, which presents a random secret made here and
//   never shown, receives the token;
// - or by a one-time #link= (`nobat device link`), whose code is in the fragment, which
//   browsers never send.
// An address with ?token= is no longer honoured: it is removed from the address bar
// (and so from this tab's history) and ignored (docs/decisions.md, "Device pairing").
import { apiFetch, errorMessage } from "/static/nobat-api.js";

/** The kept device token, or null. A ?token= in the address is dropped, unused. */
export function deviceToken(storageKey) {
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.toString());
  }
  return window.localStorage.getItem(storageKey);
}

/**
 * The device token, after trading a one-time link given once as #link=… for one.
 *
 * Once the server has answered, the fragment is removed from the address bar, so a
 * reload never spends it again. Without a link this is deviceToken. Rejects with the
 * server's message when the link is refused (used, expired, unknown).
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

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** 32 random bytes as base64url: the pairing secret only this browser holds. */
function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Pair this page: show a code (``onCode(code, expiresAt)``) until a manager approves it,
 * then keep and return the device token. A code that expires is replaced by a new one.
 * ``onProblem(message)`` hears why no code can be shown for now (it keeps trying).
 *
 * The pending request (its secret and code) lives in sessionStorage, so a reload shows
 * the same code rather than asking for another (the server bounds how many may wait).
 */
export async function pairDevice({ storageKey, kind, office, lang, onCode, onProblem = () => {} }) {
  const pendingKey = `${storageKey}.pairing`;
  for (;;) {
    let pending = JSON.parse(window.sessionStorage.getItem(pendingKey) || "null");
    if (!pending || Date.parse(pending.expiresAt) <= Date.now()) {
      const secret = newSecret();
      let response;
      try {
        response = await apiFetch("/api/v1/devices/pairings", {
          method: "POST", body: { office, kind, secret }, lang,
        });
      } catch {
        onProblem(null);
        await sleep(5000);
        continue;
      }
      if (!response.ok) {
        onProblem(await errorMessage(response));
        await sleep(response.status === 429 ? 60000 : 10000);
        continue;
      }
      const made = await response.json();
      pending = { secret, code: made.code, expiresAt: made.expires_at, every: made.poll_seconds };
      window.sessionStorage.setItem(pendingKey, JSON.stringify(pending));
    }
    onCode(pending.code, pending.expiresAt);
    const token = await waitForApproval(pending, lang);
    if (token) {
      window.sessionStorage.removeItem(pendingKey);
      window.localStorage.setItem(storageKey, token);
      return token;
    }
    window.sessionStorage.removeItem(pendingKey);  // expired or refused: ask for a new code
  }
}

/** Poll until approved (the token), or until the code is no good (null). */
async function waitForApproval(pending, lang) {
  while (Date.parse(pending.expiresAt) > Date.now()) {
    await sleep((pending.every || 2) * 1000);
    let response;
    try {
      response = await apiFetch("/api/v1/devices/pairings/poll", {
        method: "POST", body: { secret: pending.secret }, lang,
      });
    } catch {
      continue;  // the server is out of reach for a moment: the code still stands
    }
    if (response.status >= 400 && response.status < 500) return null;
    if (!response.ok) continue;
    const answer = await response.json();
    if (answer.state === "paired") return answer.token;
  }
  return null;
}

/**
 * The server refused the kept token (or it was revoked): forget it and start again,
 * which shows a pairing code. ``reason`` is shown above the code after the reload.
 */
export function forgetDeviceToken(storageKey, reason = "") {
  window.localStorage.removeItem(storageKey);
  if (reason) window.sessionStorage.setItem(`${storageKey}.refused`, reason);
}

/** Why the last token was forgotten (once), or "". */
export function refusalReason(storageKey) {
  const reason = window.sessionStorage.getItem(`${storageKey}.refused`) || "";
  window.sessionStorage.removeItem(`${storageKey}.refused`);
  return reason;
}
