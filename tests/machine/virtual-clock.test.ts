// The virtual clock follows wall time while running, stands still while paused, and is held at the
// machine's next timer deadline so that a host that falls behind (a slow chunk, a descheduled
// thread) cannot make the guest skip timer periods.

import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/emulator/clock.ts";

function fakeWall() {
  let ms = 1000;
  return { wall: () => ms, move: (d: number) => (ms += d) };
}

describe("VirtualClock", () => {
  it("follows wall time while running and stops while paused", () => {
    const w = fakeWall();
    const c = new VirtualClock(w.wall);
    c.start();
    w.move(2);
    expect(c.now()).toBe(2e6);
    c.pause();
    w.move(5);
    expect(c.now()).toBe(2e6);
    c.start();
    w.move(1);
    expect(c.now()).toBe(3e6);
  });

  it("never passes the held deadline, and goes on from it after settle()", () => {
    const w = fakeWall();
    const c = new VirtualClock(w.wall);
    c.start();
    c.holdAt(4e6); // a timer due at 4 ms
    w.move(3);
    expect(c.now()).toBe(3e6); // before the deadline: wall time
    w.move(30); // the host stalls for 30 ms
    expect(c.now()).toBe(4e6); // held: the guest sees the deadline, not 33 ms
    c.settle(); // the machine runs its timers here; the 29 ms the host lost are dropped
    c.holdAt(8e6);
    expect(c.now()).toBe(4e6);
    w.move(1);
    expect(c.now()).toBe(5e6);
    expect(c.wallNow()).toBe(1034);
  });

  it("is monotonic across holds and settles", () => {
    const w = fakeWall();
    const c = new VirtualClock(w.wall);
    c.start();
    let last = 0;
    for (let i = 0; i < 100; i++) {
      c.holdAt(last + 1e6);
      w.move((i * 7) % 5);
      const t = c.now();
      expect(t).toBeGreaterThanOrEqual(last);
      c.settle();
      expect(c.now()).toBe(t);
      last = t;
    }
  });
});
