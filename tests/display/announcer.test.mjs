// The wall display's announcer (display/static/announcer.js) with a stand-in audio element:
// run by tests/display/test_announcer.py through node's own test runner.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Announcer } from "../../display/static/announcer.js";

globalThis.localStorage = {
  items: new Map(),
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  },
  setItem(key, value) {
    this.items.set(key, String(value));
  },
};

/** Plays each clip for a few milliseconds; refuses to play while `blocked`; fails "bad" URLs. */
class FakeAudio extends EventTarget {
  constructor() {
    super();
    this.src = "";
    this.volume = 1;
    this.blocked = false;
    this.playingNow = 0;
    this.overlaps = 0;
    this.volumes = [];
  }

  play() {
    if (this.blocked) {
      const error = new Error("autoplay");
      error.name = "NotAllowedError";
      return Promise.reject(error);
    }
    if (this.src.includes("bad")) {
      const error = new Error("no source");
      error.name = "NotSupportedError";
      return Promise.reject(error);
    }
    this.playingNow += 1;
    if (this.playingNow > 1) this.overlaps += 1;
    this.volumes.push(this.volume);
    setTimeout(() => {
      this.playingNow -= 1;
      this.dispatchEvent(new Event("ended"));
    }, 3);
    return Promise.resolve();
  }

  pause() {}
}

function announcer(audio, extra = {}) {
  const log = [];
  const blocked = [];
  const result = new Announcer({
    audio,
    onClip: (url, what) => log.push([url, what]),
    onBlocked: (value) => blocked.push(value),
    createAudio: () => ({}),
    storageKey: "test.sound",
    ...extra,
  });
  return { result, log, blocked };
}

function call(n, volume = 0.8) {
  return { clips: [`/chime?${n}`, `/number/${n}`, `/counter/${n}`], volume };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

test("a burst of ten calls is spoken in order, one clip at a time", async () => {
  const audio = new FakeAudio();
  const { result, log } = announcer(audio);
  for (let n = 1; n <= 10; n += 1) result.enqueue(call(n));
  await settle();
  const expected = [];
  for (let n = 1; n <= 10; n += 1) {
    for (const url of call(n).clips) expected.push([url, "start"], [url, "end"]);
  }
  assert.deepEqual(log, expected);
  assert.equal(audio.overlaps, 0);
});

test("a call that went stale before its turn is dropped", async () => {
  const audio = new FakeAudio();
  const { result, log } = announcer(audio);
  result.enqueue(call(1));
  result.enqueue(call(2), () => true);
  result.enqueue(call(3), () => false);
  await settle();
  const spoken = log.filter(([, what]) => what === "start").map(([url]) => url);
  assert.deepEqual(spoken, [...call(1).clips, ...call(3).clips]);
});

test("a blocked display keeps the latest calls and speaks them once unlocked", async () => {
  const audio = new FakeAudio();
  audio.blocked = true;
  const { result, log, blocked } = announcer(audio, { maxQueue: 10 });
  assert.equal(result.soundWasEnabled, false);
  for (let n = 1; n <= 12; n += 1) result.enqueue(call(n));
  await settle();
  assert.deepEqual(blocked, [true]);
  assert.deepEqual(log, []);
  assert.equal(result.queue.length, 10);
  audio.blocked = false;
  result.unlock();
  await settle();
  assert.deepEqual(blocked, [true, false]);
  const spoken = log.filter(([, what]) => what === "start").map(([url]) => url);
  const expected = [];
  for (let n = 3; n <= 12; n += 1) expected.push(...call(n).clips);
  assert.deepEqual(spoken, expected);
  assert.equal(result.soundWasEnabled, true);
});

test("a clip that fails to load is skipped, the rest is spoken", async () => {
  const audio = new FakeAudio();
  const { result, log } = announcer(audio);
  result.enqueue({ clips: ["/chime", "/bad", "/counter"], volume: 1 });
  result.enqueue(call(2));
  await settle();
  assert.deepEqual(log.slice(0, 5), [
    ["/chime", "start"],
    ["/chime", "end"],
    ["/bad", "skip"],
    ["/counter", "start"],
    ["/counter", "end"],
  ]);
  assert.equal(log.filter(([, what]) => what === "start").length, 5);
});

test("each call plays at its own volume; an empty one plays nothing", async () => {
  const audio = new FakeAudio();
  const { result, log } = announcer(audio);
  result.enqueue({ clips: [], volume: 1 });
  result.enqueue({ clips: ["/a"], volume: 0.3 });
  result.enqueue({ clips: ["/b"], volume: 7 });
  await settle();
  assert.deepEqual(audio.volumes, [0.3, 1]);
  assert.equal(log.length, 4);
});

test("the next clips are loaded ahead", () => {
  const audio = new FakeAudio();
  audio.blocked = true;
  const made = [];
  const { result } = announcer(audio, {
    createAudio: () => {
      const element = {};
      made.push(element);
      return element;
    },
  });
  result.enqueue(call(1));
  result.enqueue(call(2));
  assert.deepEqual(
    made.map((element) => element.src),
    [...call(1).clips, ...call(2).clips],
  );
  assert.ok(made.every((element) => element.preload === "auto"));
});
