// The record forms of the administration pages (an office, a service, a counter, a user):
// fill a form from the API's record, send it, and say each field's problem next to it.
//
// The server checks every field (the same checks as a province file) and answers a 422
// whose details give each field's sentences in the page's language, so the page repeats
// no rule of its own beyond turning what people type into what the API takes.
import { apiError, apiFetch } from "/static/nobat-api.js";
import { el } from "/static/nobat-dom.js";

/** Text with Persian and Arabic digits as 0–9 (people type either). */
export function latinDigits(text) {
  return String(text)
    .replace(/[۰-۹]/g, (d) => "۰۱۲۳۴۵۶۷۸۹".indexOf(d))
    .replace(/[٠-٩]/g, (d) => "٠١٢٣٤٥٦٧٨٩".indexOf(d));
}

/** The input's trimmed text, or null when empty (the API's "not given"). */
export function text(form, name) {
  const value = form.elements[name].value.trim();
  return value === "" ? null : value;
}

/** Say `message` in the error line of field `name` (its `[data-field]` box), or clear it. */
export function say(form, name, message) {
  const box = form.querySelector(`[data-field="${name}"]`) || form.querySelector('[data-field="form"]');
  const line = box.querySelector(".error");
  line.textContent = message || "";
  line.hidden = !message;
  for (const input of box.querySelectorAll("input, select, textarea")) {
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }
}

export function clear(form) {
  for (const box of form.querySelectorAll("[data-field]")) say(form, box.dataset.field, "");
}

/**
 * PUT `body` to `path`; the saved answer, or null after saying what went wrong: each
 * field's sentences under it (`fieldOf` renames the API's field to the form's), anything
 * else under the form.
 */
export async function save(form, path, body, { lang, failed, fieldOf = {} }) {
  clear(form);
  form.setAttribute("aria-busy", "true");
  const answer = await apiFetch(path, { method: "PUT", body, lang }).catch(() => null);
  form.setAttribute("aria-busy", "false");
  if (answer && answer.ok) return answer.json();
  const { message, details } = answer ? await apiError(answer) : { message: "" };
  if (answer && answer.status === 422 && details && typeof details === "object") {
    let first = null;
    for (const [field, messages] of Object.entries(details)) {
      const name = fieldOf[field] || field;
      say(form, name, [].concat(messages).join(" "));
      first = first || form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select`);
    }
    if (first) first.focus();
    return null;
  }
  say(form, "form", message || failed);
  return null;
}

/** Open `dialog` with `form` reset and cleared; `fill` sets its fields. */
export function openDialog(dialog, form, fill) {
  form.reset();
  clear(form);
  fill(form);
  dialog.showModal();
}

/** A table row of `contents` (text or nodes), one cell each. */
export function row(contents) {
  const tr = el("tr");
  for (const content of contents) {
    const td = el("td");
    td.append(content);
    tr.append(td);
  }
  return tr;
}

/** Empty `rows` and, when there is nothing to list, say so across its `columns`. */
export function emptied(rows, columns, none, count) {
  rows.replaceChildren();
  if (count) return;
  const td = el("td", "note", none);
  td.colSpan = columns;
  rows.append(el("tr").appendChild(td).parentNode);
}
