// The ticket screen's countdown back to the start: lengthened after a print fault, renewed
// by a touch, and the end of the ticket when it runs out.
import { t } from "./format.js";
import { $, root, state } from "./state.js";

// What the end of the countdown does; given by wireCountdown, as ending a ticket resets the
// whole session, whose module imports this one.
let end;

export function startCountdown(seconds) {
  state.countdown = { total: seconds, endsAt: Date.now() + seconds * 1000 };
  renderCountdown();
}

/** At least `seconds` left from now, and a bar that measures them. */
export function extendCountdown(seconds) {
  const countdown = state.countdown;
  if (!countdown) return;
  if (countdown.total < seconds) countdown.total = seconds;
  countdown.endsAt = Math.max(countdown.endsAt, Date.now() + seconds * 1000);
  renderCountdown();
}

export function renderCountdown() {
  const countdown = state.countdown;
  if (!countdown) return;
  const left = Math.max(0, Math.ceil((countdown.endsAt - Date.now()) / 1000));
  $("countdown-text").textContent = t("returning", { n: left });
  $("countdown-bar").style.width = `${Math.min(100, (100 * left) / countdown.total)}%`;
  root.dataset.countdown = String(left);
  if (left <= 0) end();
}

/** `onEnd` runs when the time is up; a touch on the ticket screen renews it. */
export function wireCountdown(onEnd) {
  end = onEnd;
  $("screen-ticket").addEventListener("pointerdown", (event) => {
    // Someone still reading gets the full time again.
    if (state.countdown && !event.target.closest("#done")) extendCountdown(state.countdown.total);
  });
}
