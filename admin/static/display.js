// The wall display settings page: the scrolling message, the voice, its languages, volume
// and quiet hours. Read from and saved to the API with the session cookie (apiFetch adds
// the CSRF token); each field's mistake is said next to it in the page's language, first
// here and, for anything the server still refuses, from its answer's details.
import { apiError, apiFetch } from "/static/nobat-api.js";

const root = document.getElementById("admin");
const { lang, office } = root.dataset;
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const PATH = `/api/v1/offices/${encodeURIComponent(office)}/display-settings`;
const CLOCK = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const LATIN = (text) => text.replace(/[۰-۹]/g, (d) => String("۰۱۲۳۴۵۶۷۸۹".indexOf(d)));
const form = $("display-form");

/** For each field the API may refuse: the box its error goes in, and the page's sentence. */
const REFUSED = {
  message: ["message", "message_long"],
  voice: ["languages", "languages_required"],
  languages: ["languages", "languages_required"],
  volume: ["volume", "volume_range"],
  quiet_hours: ["quiet", "time_format"],
};

function say(box, message) {
  const line = $(`${box}-error`);
  line.textContent = message || "";
  line.hidden = !message;
}

function show(settings) {
  form.message.value = settings.message || "";
  form.voice.checked = settings.voice;
  for (const box of form.querySelectorAll("input[name=languages]")) {
    box.checked = settings.languages.includes(box.value);
  }
  form.volume.value = settings.volume;
  form.quiet_from.value = settings.quiet_hours ? settings.quiet_hours.from : "";
  form.quiet_until.value = settings.quiet_hours ? settings.quiet_hours.until : "";
}

/** The form as the API takes it, or null after saying what is wrong with each field. */
function read() {
  const volume = Number(LATIN(form.volume.value.trim()));
  const languages = [...form.querySelectorAll("input[name=languages]:checked")].map((b) => b.value);
  const from = LATIN(form.quiet_from.value.trim());
  const until = LATIN(form.quiet_until.value.trim());
  const message = form.message.value.trim();
  const problems = {
    message: message.length > 300 ? TEXT.message_long : "",
    languages: form.voice.checked && !languages.length ? TEXT.languages_required : "",
    volume: form.volume.value.trim() && Number.isInteger(volume) && volume >= 0 && volume <= 100
      ? "" : TEXT.volume_range,
    quiet: quietProblem(from, until),
  };
  for (const [box, problem] of Object.entries(problems)) say(box, problem);
  if (Object.values(problems).some(Boolean)) return null;
  return {
    message: message || null,
    voice: form.voice.checked,
    languages,
    volume,
    quiet_hours: from ? { from, until } : null,
  };
}

function quietProblem(from, until) {
  if (!from !== !until) return TEXT.quiet_both;
  if (from && !(CLOCK.test(from) && CLOCK.test(until))) return TEXT.time_format;
  return "";
}

async function load() {
  const answer = await apiFetch(PATH, { lang }).catch(() => null);
  if (!answer || !answer.ok) {
    $("load-error").textContent = answer && answer.status === 401 ? TEXT.refused : TEXT.loading_failed;
    $("load-error").hidden = false;
    return;
  }
  show(await answer.json());
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("status").textContent = "";
  const body = read();
  if (!body) return;
  form.setAttribute("aria-busy", "true");
  const answer = await apiFetch(PATH, { method: "PATCH", body, lang }).catch(() => null);
  form.setAttribute("aria-busy", "false");
  if (answer && answer.ok) {
    show(await answer.json());
    $("status").textContent = TEXT.saved;
    return;
  }
  if (answer && answer.status === 422) {
    const { details } = await apiError(answer);
    for (const field of Object.keys(details || {})) {
      const [box, words] = REFUSED[field] || ["message", "failed"];
      say(box, TEXT[words]);
    }
    return;
  }
  $("status").textContent = answer && answer.status === 401 ? TEXT.refused : TEXT.failed;
});

load();
