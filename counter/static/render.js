// Drawing the page from the state: the counter picker, or the chosen counter with its
// citizen, what waits for it and its parked tickets. Every part is redrawn whole, so a
// page left open all day holds the same few nodes.
import { el, named } from "/static/nobat-dom.js";
import { $, fmt, heldByOther, me, number, serverNow, serviceName, state, t } from "./page.js";


function stateText(counter) {
  if (counter.state === "paused" && counter.pause_reason) {
    return t("paused_for", { reason: t(`pause_${counter.pause_reason}`) });
  }
  return t(`state_${counter.state}`);
}

function holderText(counter) {
  if (counter.state === "closed" || !counter.clerk) return t("free");
  return counter.clerk === me.username ? t("held_by_you") : t("held_by", { clerk: counter.clerk });
}

export function renderPicker() {
  const cards = (state.board ? state.board.counters : []).map((counter) => {
    const item = el("li", `counter-card state-${counter.state}`);
    const button = el("button", "pick");
    button.type = "button";
    button.dataset.counter = counter.id;
    button.append(named("name", counter.name), el("span", "state", stateText(counter)));
    button.append(el("span", "holder", holderText(counter)));
    if (counter.ticket) button.append(el("span", "current", number(counter.ticket.number)));
    item.append(button);
    return item;
  });
  $("counter-cards").replaceChildren(...cards);
}

function renderTicket(screen) {
  const ticket = screen.current;
  $("ticket-card").classList.toggle("idle", !ticket);
  $("ticket-number").hidden = !ticket;
  $("ticket-number").textContent = ticket ? number(ticket.number) : "";
  $("ticket-service").textContent = ticket ? serviceName(ticket.service) : "";
  const priority = $("ticket-priority");
  priority.hidden = !(ticket && ticket.priority);
  if (ticket && ticket.priority) {
    const why = ticket.priority_reason ? ` · ${t(`reason_${ticket.priority_reason}`)}` : "";
    priority.textContent = t("priority") + why;
  }
  const from = $("ticket-from");
  from.hidden = !(ticket && screen.current_transferred_from);
  if (!from.hidden) from.textContent = t("transferred_from", { number: number(screen.current_transferred_from) });
  const recalls = $("ticket-recalls");
  recalls.hidden = !(ticket && ticket.recall_count);
  if (!recalls.hidden) recalls.textContent = t("recalls", { n: fmt.digits(ticket.recall_count) });
  $("ticket-status").textContent = ticket ? t(`status_${ticket.status}`) : "";
  const counter = screen.counter;
  let hint = t("press_next");
  if (counter.state === "closed") hint = t("closed_hint");
  if (counter.state === "paused") hint = t("paused_hint");
  $("ticket-empty").textContent = ticket ? "" : `${t("no_citizen")}. ${hint}`;
  renderTimers();
}

/** The clocks that run: since the call, since service began, each queue's longest wait. */
export function renderTimers() {
  const screen = state.screen;
  const now = serverNow();
  const since = (iso) => fmt.duration((now - Date.parse(iso)) / 1000);
  const ticket = screen && screen.current;
  $("timer-called").textContent = ticket && ticket.called_at ? t("called_since", { time: since(ticket.called_at) }) : "";
  $("timer-serving").textContent = ticket && ticket.started_at && ticket.status === "serving"
    ? t("serving_since", { time: since(ticket.started_at) }) : "";
  for (const node of document.querySelectorAll("[data-since]")) {
    node.textContent = t(node.dataset.text, { time: since(node.dataset.since) });
  }
  $("clock").textContent = `${fmt.dateText(new Date(now))} · ${fmt.timeText(new Date(now))}`;
}

function renderQueues(screen) {
  $("queues").replaceChildren(...screen.queues.map((queue) => {
    const item = el("li", `queue${queue.waiting ? "" : " empty"}`);
    item.append(el("span", "letter", queue.letter));
    item.append(named("name", fmt.fa ? queue.name_fa : queue.name_en));
    const tier = queue.tier === 1 ? t("tier_1") : t("tier_n", { n: fmt.digits(queue.tier) });
    item.append(el("span", "tier", tier));
    item.append(el("span", "count", queue.waiting
      ? t("waiting_count", { n: fmt.digits(queue.waiting) }) : t("nobody_waiting")));
    if (queue.oldest_queued_at) {
      const longest = el("span", "longest");
      longest.dataset.since = queue.oldest_queued_at;
      longest.dataset.text = "longest_wait";
      item.append(longest);
    }
    return item;
  }));
  const next = screen.next;
  $("next-up").textContent = next
    ? t("next_up", {
      number: number(next.number),
      service: serviceName(next.service),
      time: fmt.duration((serverNow() - Date.parse(next.issued_at)) / 1000),
    })
    : t("nothing_next");
  $("served-today").textContent = t("served_today", { n: fmt.digits(screen.today.served) });
  $("no-show-today").textContent = t("no_show_today", { n: fmt.digits(screen.today.no_show) });
}

function renderParked(screen) {
  const items = screen.parked.map((ticket) => {
    const item = el("li", "parked-ticket");
    item.append(el("span", "number", number(ticket.number)), named("service", serviceName(ticket.service)));
    const resume = el("button", "", t("resume_button"));
    resume.type = "button";
    resume.dataset.action = "resume";
    resume.dataset.ticket = ticket.id;
    const gone = el("button", "quiet", t("gone_button"));
    gone.type = "button";
    gone.dataset.action = "parked_no_show";
    gone.dataset.ticket = ticket.id;
    item.append(resume, gone);
    return item;
  });
  if (!items.length) items.push(el("li", "empty", t("parked_none")));
  $("parked-list").replaceChildren(...items);
}

/** What each command needs to be possible now (the server checks again). */
export function enabled(action) {
  const screen = state.screen;
  if (!screen || state.busy) return action === "help";
  const counter = screen.counter;
  const ticket = screen.current;
  const mine = !heldByOther(counter);
  switch (action) {
    case "next":
    case "call_number":
      return mine;
    case "recall":
    case "start":
      return mine && Boolean(ticket) && ticket.status === "called";
    case "complete":
    case "no_show":
    case "transfer":
    case "park":
      return mine && Boolean(ticket);
    case "pause":
      return mine && counter.state !== "closed";
    case "open":
      return mine && counter.state !== "open";
    case "close":
      return mine && counter.state !== "closed" && !ticket && !screen.parked.length;
    case "resume":
      return mine && !ticket;
    case "parked_no_show":
      return mine;
    default:
      return true;
  }
}

export function renderButtons() {
  for (const button of document.querySelectorAll("#work [data-action]")) {
    button.disabled = !enabled(button.dataset.action);
  }
  document.getElementById("main").setAttribute("aria-busy", String(state.busy));
}

export function renderWork() {
  const screen = state.screen;
  const counter = screen.counter;
  $("counter-name").textContent = counter.name;
  const pill = $("counter-state");
  pill.textContent = `${stateText(counter)} · ${holderText(counter)}`;
  pill.className = `pill state-${counter.state}`;
  const other = heldByOther(counter);
  $("holder-note").hidden = !other;
  if (other) $("holder-text").textContent = t("held_by_other", { clerk: counter.clerk });
  $("open-label").textContent = counter.state === "paused" ? t("resume_counter") : t("open_counter");
  renderTicket(screen);
  renderQueues(screen);
  renderParked(screen);
  renderButtons();
}

/** The picker when no counter is chosen, else the counter. */
export function render() {
  const working = Boolean(state.counterId && state.screen);
  $("picker").hidden = working;
  $("work").hidden = !working;
  $("counter-title").hidden = !working;
  if (working) renderWork();
  else renderPicker();
}
