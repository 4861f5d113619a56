/**
 * Spoken calls on a wall display: announcements (a chime and sentences, as clip URLs from
 * GET /api/v1/offices/{office}/tickets/{id}/announcement) play one after another through
 * one audio element, never over or into each other, in the order they were queued.
 *
 * Browsers refuse to play sound before a person has touched the page (autoplay block).
 * Then the announcer says so (onBlocked(true)), keeps the latest announcements, and goes
 * on when unlock() is called from a click or a key (onBlocked(false)). It remembers in
 * localStorage that sound was enabled on this display, so the page can offer the control
 * only where it is needed. A kiosk browser started with
 * --autoplay-policy=no-user-gesture-required is never blocked.
 *
 * Imports nothing: the display page wires it to its own elements.
 */

/** How long one clip may take before it is given up on (a stalled load must not stop calls). */
const CLIP_TIMEOUT_MS = 15000;
/** Upcoming clips kept loading in the background. */
const PRELOAD_AHEAD = 12;

export class Announcer {
  /**
   * @param {object} options
   * @param {HTMLAudioElement} options.audio the one element every clip plays through
   * @param {(blocked: boolean) => void} [options.onBlocked] sound blocked by the browser, or free again
   * @param {(url: string, what: "start"|"end"|"skip") => void} [options.onClip] each clip's life, for tests and logs
   * @param {string} [options.storageKey] where "sound was enabled" is remembered
   * @param {number} [options.maxQueue] announcements kept while waiting; the oldest go first
   * @param {() => HTMLAudioElement|null} [options.createAudio] makes the elements that preload clips
   */
  constructor({
    audio,
    onBlocked = () => {},
    onClip = () => {},
    storageKey = "nobat.sound",
    maxQueue = 10,
    createAudio = () => (typeof Audio === "function" ? new Audio() : null),
  }) {
    this.audio = audio;
    this.onBlocked = onBlocked;
    this.onClip = onClip;
    this.storageKey = storageKey;
    this.maxQueue = maxQueue;
    this.createAudio = createAudio;
    this.queue = [];
    this.playing = false;
    this.blocked = false;
    this.preloaded = new Map();
  }

  /** Whether sound was enabled on this display before (the page may then skip its prompt). */
  get soundWasEnabled() {
    try {
      return localStorage.getItem(this.storageKey) === "1";
    } catch {
      return false;
    }
  }

  /**
   * Queue an announcement ({clips: [url...], volume: 0..1}); isStale() is asked just before
   * it would start (e.g. the ticket was served meanwhile), and a stale one is dropped.
   */
  enqueue(announcement, isStale = () => false) {
    if (!announcement || !Array.isArray(announcement.clips) || !announcement.clips.length) return;
    this.queue.push({ announcement, isStale });
    while (this.queue.length > this.maxQueue) this.queue.shift();
    this.preload();
    this.pump();
  }

  /** Call from a user gesture (click, key): sound is allowed from now on, and remembered. */
  unlock() {
    try {
      localStorage.setItem(this.storageKey, "1");
    } catch {
      // Private browsing: the display asks again next time.
    }
    if (this.blocked) {
      this.blocked = false;
      this.onBlocked(false);
    }
    // Synchronously inside the gesture, so the first play() counts as the person's.
    this.pump();
  }

  async pump() {
    if (this.playing || this.blocked) return;
    this.playing = true;
    try {
      while (this.queue.length && !this.blocked) {
        const item = this.queue[0];
        if (item.isStale()) {
          this.queue.shift();
          continue;
        }
        const finished = await this.speak(item.announcement);
        if (finished) this.queue.shift();
      }
    } finally {
      this.playing = false;
    }
  }

  /** Play every clip of one announcement; false if the browser blocked it (it stays queued). */
  async speak({ clips, volume = 1 }) {
    this.audio.volume = Math.min(1, Math.max(0, Number(volume) || 0));
    for (const url of clips) {
      const outcome = await this.playClip(url);
      if (outcome === "blocked") {
        this.blocked = true;
        this.onBlocked(true);
        return false;
      }
      this.preload();
    }
    return true;
  }

  /** "ended", "skipped" (failed to load or play) or "blocked" (autoplay block). */
  playClip(url) {
    const audio = this.audio;
    return new Promise((resolve) => {
      let started = false;
      let done = false;
      let timer = null;
      const start = () => {
        if (started || done) return;
        started = true;
        this.onClip(url, "start");
      };
      const finish = (outcome) => {
        if (done) return;
        if (outcome === "ended") start();
        done = true;
        clearTimeout(timer);
        audio.removeEventListener("ended", onEnded);
        audio.removeEventListener("error", onError);
        if (outcome === "ended" || (started && outcome === "skipped")) this.onClip(url, "end");
        else if (outcome === "skipped") this.onClip(url, "skip");
        resolve(outcome);
      };
      const onEnded = () => finish("ended");
      const onError = () => finish("skipped");
      audio.addEventListener("ended", onEnded);
      audio.addEventListener("error", onError);
      timer = setTimeout(() => {
        audio.pause();
        finish("skipped");
      }, CLIP_TIMEOUT_MS);
      audio.src = url;
      let played;
      try {
        played = audio.play();
      } catch (error) {
        played = Promise.reject(error);
      }
      Promise.resolve(played).then(
        start,
        (error) => finish(error && error.name === "NotAllowedError" ? "blocked" : "skipped"),
      );
    });
  }

  /** Load the next clips in the background, so that one follows the other without a gap. */
  preload() {
    const upcoming = [];
    for (const { announcement } of this.queue) {
      for (const url of announcement.clips) {
        if (!upcoming.includes(url)) upcoming.push(url);
        if (upcoming.length >= PRELOAD_AHEAD) break;
      }
      if (upcoming.length >= PRELOAD_AHEAD) break;
    }
    for (const url of upcoming) {
      if (this.preloaded.has(url)) continue;
      const element = this.createAudio();
      if (!element) return;
      element.preload = "auto";
      element.src = url;
      this.preloaded.set(url, element);
    }
    for (const url of [...this.preloaded.keys()]) {
      if (this.preloaded.size <= PRELOAD_AHEAD * 2) break;
      if (!upcoming.includes(url)) this.preloaded.delete(url);
    }
  }
}
