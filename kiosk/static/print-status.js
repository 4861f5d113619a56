// Whether the ticket printed: followed through the kiosk's socket (print_status), with a
// poll or two of the print job as a fallback, so a printer fault is always told to the
// citizen; and the printed ticket's image once the printer made one.
import { extendCountdown } from "./countdown.js";
import { t } from "./format.js";
import { $, TIMING, api, state } from "./state.js";

const FAULTS = {
  paper_out: "fault_paper_out",
  offline: "fault_offline",
  not_found: "fault_offline",
  timeout: "fault_timeout",
  agent_not_connected: "fault_agent_not_connected",
  stale: "fault_stale",
  unknown: "fault_unknown",
  no_printer: "fault_no_printer",
};

const statuses = new Map(); // print job id → the latest print_status (it may beat the HTTP answer)

/** A print_status from the socket, for this ticket's job or one still to be answered. */
export function receiveStatus(job) {
  if (!job || typeof job.id !== "number") return;
  statuses.set(job.id, job);
  if (statuses.size > 50) statuses.delete(statuses.keys().next().value);
  applyJob(job);
}

/** Starts following the print job of a ticket just shown (state.jobId is its id). */
export function followPrint(ticket) {
  if (!ticket.print) {
    setPrint({ kind: "fault", reason: "no_printer" });
    return;
  }
  applyJob(statuses.get(ticket.print.id) || ticket.print);
  for (const [i, seconds] of TIMING.polls.entries()) {
    state.timers.push(setTimeout(() => poll(i === TIMING.polls.length - 1), seconds * 1000));
  }
}

/** The socket is back after a drop: the status may have been sent while we were away. */
export function recheckPrint() {
  if (state.ticket && !state.printFinal) state.timers.push(setTimeout(() => poll(false), 300));
}

function applyJob(job) {
  if (!state.ticket || !job || job.id !== state.jobId) return;
  if (job.state === "printed") {
    state.printFinal = true;
    setPrint({ kind: "printed", preview: Boolean(job.preview) });
  } else if (job.state === "failed" || job.state === "stale") {
    state.printFinal = true;
    setPrint({ kind: "fault", reason: job.reason || job.state });
  } else if (!state.printFinal) {
    // Still pending; with a reason (no print agent) the citizen should not wait for paper.
    setPrint(job.reason ? { kind: "fault", reason: job.reason } : { kind: "pending" });
  }
}

async function poll(last) {
  if (!state.ticket || state.printFinal || state.jobId == null) return;
  const jobId = state.jobId;
  try {
    const response = await api(`/api/v1/print-jobs/${jobId}`);
    if (response.ok) applyJob(await response.json());
  } catch {
    // the socket may still tell; the last poll below tells the citizen either way
  }
  if (last && state.ticket && state.jobId === jobId && !state.printFinal && state.print.kind === "pending") {
    setPrint({ kind: "fault", reason: "unknown" });
  }
}

function setPrint(print) {
  state.print = print;
  if (print.kind === "fault") extendCountdown(TIMING.fault);
  renderPrint();
}

export function renderPrint() {
  const print = state.print;
  const box = $("print-state");
  box.dataset.state = print.kind;
  box.dataset.reason = print.reason || "";
  $("print-icon").setAttribute("href", { pending: "#i-printer", printed: "#i-check", fault: "#i-warning" }[print.kind]);
  const advice = $("print-advice");
  if (print.kind === "pending") {
    $("print-main").textContent = t("print_pending");
    advice.hidden = true;
  } else if (print.kind === "printed") {
    $("print-main").textContent = t("print_printed");
    advice.hidden = true;
  } else {
    $("print-main").textContent = t(FAULTS[print.reason] || "fault_other");
    advice.textContent = t("print_advice");
    advice.hidden = false;
  }
  const preview = $("preview");
  if (print.kind === "printed" && print.preview && state.ticket) {
    const path = new URL(state.ticket.status_url, window.location.origin).pathname;
    const src = `${path}/ticket.png`;
    const image = $("ticket-preview");
    if (image.getAttribute("src") !== src) image.src = src;
    image.alt = t("printed_ticket");
    preview.hidden = false;
  } else {
    preview.hidden = true;
  }
}
