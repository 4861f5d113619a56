// The ticket screen: the number, the people ahead, the wait, the time and the QR code to
// follow the turn by phone, with the print status and the countdown under it.
import { el } from "/static/nobat-dom.js";
import { renderCountdown, startCountdown } from "./countdown.js";
import { dateTimeText, digits, fa, t } from "./format.js";
import { followPrint, renderPrint } from "./print-status.js";
import { closeOverlays, show } from "./screens.js";
import { $, TIMING, clearTimers, state } from "./state.js";

export function showTicket(ticket, service) {
  clearTimers();
  state.ticket = ticket;
  state.service = service;
  state.priority = null;
  state.jobId = ticket.print ? ticket.print.id : null;
  state.print = { kind: "pending" };
  state.printFinal = false;
  closeOverlays();
  show("ticket");
  $("preview").hidden = true;
  $("ticket-preview").removeAttribute("src");
  $("ticket-qr").src = `/kiosk/qr.svg?data=${encodeURIComponent(ticket.status_url)}`;
  startCountdown(TIMING.ticket);
  followPrint(ticket);
  renderTicket();
}

export function renderTicket() {
  const ticket = state.ticket;
  if (!ticket) return;
  $("ticket-number").textContent = digits(ticket.number);
  $("ticket-service").textContent = fa() ? state.service.name_fa : state.service.name_en;
  const chip = $("ticket-priority");
  chip.hidden = !ticket.priority;
  if (ticket.priority) {
    const reason = ticket.priority_reason ? t(`reason_${ticket.priority_reason}`) : "";
    chip.replaceChildren(el("strong", "", t("priority_chosen", { reason })), el("span", "", t("priority_verified")));
  }
  const ahead = ticket.people_ahead;
  $("ticket-ahead").textContent = ahead == null ? "—"
    : ahead === 0 ? t("you_are_next") : ticket.people_ahead_text;
  // The server words the wait, as it does for the printed ticket, the wall and the phone.
  $("ticket-eta").textContent = ticket.eta_text;
  const issued = new Date(ticket.issued_at);
  $("ticket-time").textContent = Number.isNaN(issued.getTime()) ? "" : dateTimeText(issued);
  $("ticket-qr").alt = t("scan_to_follow");
  renderPrint();
  renderCountdown();
}
