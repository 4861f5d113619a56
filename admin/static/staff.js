// The office's staff page: its clerks and managers, each added or changed in a dialog; a
// new member's password, and a new password on request, shown once to hand over.
import { apiError, apiFetch } from "/static/nobat-api.js";
import { el, named } from "/static/nobat-dom.js";
import { emptied, openDialog, row, save, say, text } from "/admin/static/forms.js";

const root = document.getElementById("admin");
const { lang, office } = root.dataset;
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const BASE = `/api/v1/offices/${encodeURIComponent(office)}`;
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;
const t = (key, vars = {}) => TEXT[key].replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
const nameOf = (user) => user.full_name || user.username;

let offices = [];

async function load() {
  const [answer, mine] = await Promise.all([
    apiFetch(`${BASE}/setup`, { lang }).catch(() => null),
    apiFetch("/api/v1/offices", { lang }).catch(() => null),
  ]);
  if (!answer || !answer.ok) {
    $("load-error").textContent = TEXT.loading_failed;
    $("load-error").hidden = false;
    return;
  }
  offices = mine && mine.ok ? await mine.json() : [];
  show((await answer.json()).users);
}

function button(label, className, onClick, ariaLabel) {
  const node = el("button", className, label);
  node.type = "button";
  node.setAttribute("aria-label", ariaLabel);
  node.addEventListener("click", onClick);
  return node;
}

function show(users) {
  const rows = $("user-rows");
  emptied(rows, 5, TEXT.none_yet, users.length);
  for (const user of users) {
    const actions = el("span", "actions-cell");
    actions.append(
      button(TEXT.change, "quiet", () => edit(user), t("change_named", { name: nameOf(user) })),
      button(TEXT.new_password, "quiet", () => resetPassword(user), t("new_password_named", { name: nameOf(user) })),
    );
    const tr = row([
      named("", nameOf(user)),
      el("code", "", user.username),
      TEXT[`role_${user.role}`],
      user.active ? TEXT.may_sign_in : TEXT.disabled,
      actions,
    ]);
    tr.dataset.username = user.username;
    rows.append(tr);
  }
}

function regionChoices(region) {
  const box = $("user-region");
  box.replaceChildren();
  for (const o of offices.filter((o) => o.code !== office)) {
    const label = el("label");
    const check = el("input");
    check.type = "checkbox";
    check.name = "region";
    check.value = o.code;
    check.checked = region.includes(o.code);
    label.append(check, " ", named("", lang === "fa" ? o.name_fa : o.name_en));
    box.append(label);
  }
  $("user-region-box").hidden = !box.children.length;
}

function edit(user) {
  const form = $("user-form");
  openDialog($("user-dialog"), form, () => {
    $("user-title").textContent = user ? t("edit_user", { name: nameOf(user) }) : TEXT.add_user;
    form.elements.username.readOnly = Boolean(user);
    form.elements.username.value = user ? user.username : "";
    form.elements.full_name.value = user ? user.full_name : "";
    form.elements.role.value = user ? user.role : "clerk";
    form.elements.active.checked = user ? user.active : true;
    regionChoices(user ? user.offices.slice(1) : []);
  });
}

function showPassword(username, password) {
  $("password-for").textContent = t("password_for", { name: username });
  $("password").textContent = password;
  $("password-dialog").showModal();
}

$("add-user").addEventListener("click", () => edit(null));

$("user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const username = text(form, "username") || "";
  if (!USERNAME.test(username)) {
    say(form, "username", TEXT.username_format);
    return;
  }
  const body = {
    full_name: text(form, "full_name"),
    role: form.elements.role.value,
    region: [...form.querySelectorAll("input[name=region]:checked")].map((box) => box.value),
    active: form.elements.active.checked,
  };
  const path = `${BASE}/users/${encodeURIComponent(username)}`;
  const saved = await save(form, path, body, { lang, failed: TEXT.failed });
  if (!saved) return;
  $("user-dialog").close();
  $("status").textContent = TEXT.saved;
  if (saved.password) showPassword(username, saved.password);
  await load();
});

function resetPassword(user) {
  const dialog = $("reset-dialog");
  $("reset-what").textContent = nameOf(user);
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener(
    "close",
    async () => {
      if (dialog.returnValue !== "reset") return;
      const path = `${BASE}/users/${encodeURIComponent(user.username)}/password`;
      const answer = await apiFetch(path, { method: "POST", lang }).catch(() => null);
      if (answer && answer.ok) {
        showPassword(user.username, (await answer.json()).password);
        return;
      }
      $("status").textContent = (answer && (await apiError(answer)).message) || TEXT.failed;
    },
    { once: true },
  );
}

for (const node of document.querySelectorAll("dialog [data-close]")) {
  node.addEventListener("click", () => node.closest("dialog").close());
}

load();
