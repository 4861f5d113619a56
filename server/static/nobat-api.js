// Nobat API client for every page: the caller's credential, the page's language, a time
// limit, and the one error shape.
//
// A device page (kiosk, display) presents its token as a bearer; a staff page presents
// nothing of its own: the browser sends the HttpOnly session cookie, and every change
// carries the page's CSRF token (from <meta name="csrf-token">), without which the
// server refuses it. Error messages come from the server in the page's language.

const DEFAULT_TIMEOUT_MS = 12000;

/** The signed-in page's CSRF token, or "" on device pages. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/**
 * One request to the API; resolves to the fetch Response (any status), rejects when the
 * server cannot be reached or does not answer within the time limit.
 *
 * @param {string} path  e.g. "/api/v1/counters/3/next"
 * @param {object} [options]
 * @param {string} [options.method]
 * @param {object} [options.body]  sent as JSON
 * @param {string} [options.token]  a device's bearer token (staff pages: none, the cookie)
 * @param {string} [options.lang]  the page's language, for the server's messages
 * @param {object} [options.headers]
 * @param {number} [options.timeoutMs]
 */
export async function apiFetch(path, options = {}) {
  const { method = "GET", body, token, lang, headers = {}, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const url = new URL(path, window.location.origin);
  if (lang) url.searchParams.set("lang", lang);
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  else if (method !== "GET" && csrfToken()) sent["X-CSRF-Token"] = csrfToken();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    return await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      cache: "no-store",
      credentials: "same-origin",
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The `{"error": {"code", "message"}}` of a refusal (empty strings when it has none). */
export async function apiError(response) {
  try {
    const body = await response.json();
    const error = (body && body.error) || {};
    return { code: error.code || "", message: error.message || "", details: error.details };
  } catch {
    return { code: "", message: "" };
  }
}

/** The server's sentence for a refusal, or "" (the page then says something itself). */
export async function errorMessage(response) {
  return (await apiError(response)).message;
}

/** A random Idempotency-Key: one per request a page may have to send again. */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
