// Nobat live client: one module for the kiosk, counter, display and dashboard pages.
//
// It connects with the device's or user's token (a signed-in browser needs none: its
// session cookie goes with the connection), keeps the office's board from the
// snapshot and the numbered events that follow, applies events strictly in order
// (an early one waits briefly for those before it), fetches a fresh snapshot when a
// gap does not fill or after a reconnect, and reports its state so pages can show
// a visible "connection lost" banner instead of a stale board. Events move the
// counts but not the wait estimates (those need the server's service times), so a
// page that shows estimates asks for a fresh board a while after events arrive.
import { io } from "/assets/socket.io-client/socket.io.esm.min.js";

export const EVENTS = [
  "issued", "called", "reinstated", "recalled", "started", "parked", "resumed", "done",
  "no_show", "transferred", "cancelled", "expired", "counter", "reprinted",
];

// What each event does to the counter's current ticket (the rest leave it).
const AT_COUNTER = new Set(["called", "reinstated", "recalled", "started", "resumed"]);
const LEFT_COUNTER = new Set(["done", "no_show", "transferred", "expired", "parked"]);

const GAP_WAIT_MS = 500;

export class LiveOffice {
  /**
   * @param {object} options
   * @param {string} [options.token] device or staff token (none: the browser's sign-in)
   * @param {string} [options.office] office code (administrators name one)
   * @param {(board: object) => void} [options.onBoard]  called after every change
   * @param {(event: object, board: object) => void} [options.onEvent]  each applied event
   * @param {(state: string, detail?: string) => void} [options.onState]
   *        "connecting" | "live" | "lost" | "refused"
   * @param {string} [options.url] server URL (default: this page's origin)
   * @param {number} [options.estimatesMaxAgeMs] refetch the board at most this long after
   *        an event, so that its wait estimates follow the queue (default: never)
   */
  constructor(options) {
    this.options = options;
    this.board = null;
    this.seq = -1;
    this.buffer = new Map();
    this.gapTimer = null;
    this.estimatesTimer = null;
    this.state = "connecting";
    this.socket = null;
  }

  start() {
    const { token, office, url } = this.options;
    this.socket = io(url || undefined, {
      auth: { ...(token ? { token } : {}), ...(office ? { office } : {}) },
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 10000,
      randomizationFactor: 0.5,
      timeout: 8000,
    });
    this.socket.on("connect", () => this.setState("live"));
    this.socket.on("disconnect", () => this.setState("lost"));
    this.socket.on("connect_error", (error) => {
      // The server refuses bad credentials at connect; anything else is the network.
      this.setState(this.socket.active ? "lost" : "refused", error.message);
    });
    this.socket.on("snapshot", (board) => this.takeSnapshot(board));
    for (const name of EVENTS) this.socket.on(name, (event) => this.receive(event));
    return this;
  }

  stop() {
    clearTimeout(this.gapTimer);
    clearTimeout(this.estimatesTimer);
    if (this.socket) this.socket.disconnect();
  }

  setState(state, detail) {
    this.state = state;
    if (this.options.onState) this.options.onState(state, detail);
  }

  takeSnapshot(board) {
    if (board.seq < this.seq) return;
    clearTimeout(this.estimatesTimer);
    this.estimatesTimer = null;
    this.board = board;
    this.seq = board.seq;
    this.drain();
    if (this.options.onBoard) this.options.onBoard(this.board);
  }

  receive(event) {
    if (event.seq <= this.seq) return;
    this.buffer.set(event.seq, event);
    this.drain();
  }

  drain() {
    for (const seq of this.buffer.keys()) if (seq <= this.seq) this.buffer.delete(seq);
    let changed = false;
    while (this.buffer.has(this.seq + 1)) {
      const event = this.buffer.get(this.seq + 1);
      this.buffer.delete(event.seq);
      this.seq = event.seq;
      applyEvent(this.board, event);
      changed = true;
      if (this.options.onEvent) this.options.onEvent(event, this.board);
    }
    if (changed && this.options.onBoard) this.options.onBoard(this.board);
    const maxAge = this.options.estimatesMaxAgeMs;
    if (changed && maxAge && !this.estimatesTimer) {
      // One fresh board per period while the office is busy; none while it is quiet.
      this.estimatesTimer = setTimeout(() => {
        this.estimatesTimer = null; // a refresh that fails is tried again after the next event
        this.refresh();
      }, maxAge);
    }
    clearTimeout(this.gapTimer);
    this.gapTimer = this.buffer.size ? setTimeout(() => this.refresh(), GAP_WAIT_MS) : null;
  }

  /** Ask the server for a fresh board (after a gap that did not fill). */
  refresh() {
    this.socket.timeout(8000).emit("snapshot", (error, board) => {
      if (!error && board && !board.error) this.takeSnapshot(board);
    });
  }

  /** Join a counter or kiosk room of this office; resolves to the server's answer. */
  join(room) {
    return this.socket.timeout(8000).emitWithAck("join", { room });
  }
}

/** Apply one event to a board (the same rules as the server's snapshot). */
export function applyEvent(board, event) {
  if (!board) return;
  board.seq = event.seq;
  const ticket = event.ticket;
  if (event.type === "counter") {
    const counter = board.counters.find((c) => c.id === event.counter.id);
    if (counter) Object.assign(counter, event.counter);
    return;
  }
  const service = board.services.find((s) => s.code === ticket.service);
  const wasWaiting = event.type === "called" || event.type === "cancelled"
    || (event.type === "expired" && ticket.counter == null);
  if (service && event.type === "issued") service.waiting += 1;
  if (service && wasWaiting) service.waiting = Math.max(0, service.waiting - 1);
  const counter = ticket.counter != null && board.counters.find((c) => c.id === ticket.counter);
  if (AT_COUNTER.has(event.type)) {
    if (counter) counter.ticket = ticket;
    board.recent_calls = [ticket, ...board.recent_calls.filter((t) => t.id !== ticket.id)].slice(0, 10);
  } else if (LEFT_COUNTER.has(event.type)) {
    if (counter && counter.ticket && counter.ticket.id === ticket.id) counter.ticket = null;
    board.recent_calls = board.recent_calls.map((t) => (t.id === ticket.id ? ticket : t));
  }
}
