import { describe, it, expect, beforeEach } from "vitest";
import { Harness } from "../chipset/harness.ts";
import { Pit8254, PIT_HZ } from "../../src/emulator/devices/timers/pit-8254.ts";
import { SystemPorts } from "../../src/emulator/devices/chipset/system-ports.ts";

const NS_PER_TICK = 1e9 / PIT_HZ;
let h: Harness;
let pit: Pit8254;
let sys: SystemPorts;

beforeEach(() => {
  h = new Harness();
  pit = new Pit8254(h.ctx);
  sys = new SystemPorts(h.ctx, { pit });
  h.advance(1_000_000); // start away from 0 to catch base-time mistakes
});

function program(channel: number, control: number, count: number): void {
  h.io.out8(0x43, (channel << 6) | control);
  const access = (control >> 4) & 3;
  if (access === 1) h.io.out8(0x40 + channel, count & 0xff);
  else if (access === 2) h.io.out8(0x40 + channel, (count >> 8) & 0xff);
  else {
    h.io.out8(0x40 + channel, count & 0xff);
    h.io.out8(0x40 + channel, (count >> 8) & 0xff);
  }
}

function readCount16(channel: number): number {
  const lo = h.io.in8(0x40 + channel);
  const hi = h.io.in8(0x40 + channel);
  return lo | (hi << 8);
}

function latchAndRead(channel: number): number {
  h.io.out8(0x43, channel << 6);
  return readCount16(channel);
}

function status(channel: number): number {
  h.io.out8(0x43, 0xe0 | (2 << channel)); // read-back, status only
  return h.io.in8(0x40 + channel);
}

describe("8254 PIT channel 0 interrupts", () => {
  it("delivers IRQ 0 at exactly HZ=250 in mode 2 with no drift over 100 s", () => {
    const latch = Math.round(PIT_HZ / 250); // 4773, Linux's LATCH
    const start = h.now;
    program(0, 0x34, latch);
    h.runFor(100e9);
    const edges = h.rising(0);
    const period = latch * NS_PER_TICK;
    expect(edges.length).toBe(Math.floor(100e9 / period));
    // Every edge sits on the grid start + k * period (within the 1 ns scheduling guard).
    edges.forEach((e, i) => {
      expect(Math.abs(e.atNs - (start + (i + 1) * period))).toBeLessThan(2);
    });
    expect(pit.counters.missedIrqEdges).toBe(0);
    expect(pit.counters.lateIrqEdges).toBe(0);
  });

  it("runs the BIOS 18.2 Hz tick in mode 3 with count 0 (65536)", () => {
    program(0, 0x36, 0);
    h.runFor(10e9);
    expect(h.rising(0).length).toBe(Math.floor(10e9 / (65536 * NS_PER_TICK))); // 182
  });

  it("applies a new mode 2 count at the next reload, not at once", () => {
    const t0 = h.now;
    program(0, 0x34, 1000);
    h.runFor(500 * NS_PER_TICK);
    h.io.out8(0x40, 2000 & 0xff);
    h.io.out8(0x40, 2000 >> 8);
    h.runFor(6000 * NS_PER_TICK);
    const times = h.rising(0).map((e) => Math.round((e.atNs - t0) / NS_PER_TICK));
    expect(times).toEqual([1000, 3000, 5000]);
  });

  it("fires once in mode 0 (interrupt on terminal count) and counts on through zero", () => {
    program(0, 0x30, 100);
    expect(status(0) & 0x80).toBe(0); // OUT low while counting
    h.runFor(99.5 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(0);
    h.runFor(1 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(1);
    expect(status(0) & 0x80).toBe(0x80);
    h.runFor(1000 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(1);
    const v = latchAndRead(0);
    expect(v).toBeGreaterThan(0xffff - 1002);
    expect(v).toBeLessThan(0xffff - 995);
  });

  it("reprogramming mode 0 restarts the one-shot (Linux oneshot clockevent)", () => {
    const t0 = h.now;
    program(0, 0x30, 5000);
    h.runFor(1000 * NS_PER_TICK);
    program(0, 0x30, 300);
    h.runFor(10000 * NS_PER_TICK);
    const times = h.rising(0).map((e) => Math.round((e.atNs - t0) / NS_PER_TICK));
    expect(times).toEqual([1300]);
  });

  it("stops a mode 0 count when the first byte of a new count is written", () => {
    program(0, 0x30, 100);
    h.io.out8(0x40, 50); // LSB only: counting is suspended
    h.runFor(1000 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(0);
    h.io.out8(0x40, 0); // MSB: count 50 starts
    h.runFor(60 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(1);
  });

  it("sends every edge that came due when the machine ticks late, and stays on the grid", () => {
    const t0 = h.now;
    program(0, 0x34, 1000);
    h.tickDue();
    h.advance(3500 * NS_PER_TICK); // a long CPU slice
    h.tickDue();
    expect(h.rising(0).length).toBe(3);
    expect(pit.counters.lateIrqEdges).toBe(2);
    h.runFor(1000 * NS_PER_TICK);
    const last = h.rising(0).at(-1)!;
    expect(Math.round((last.atNs - t0) / NS_PER_TICK)).toBe(4000);
    h.advance(1000 * 1000 * NS_PER_TICK); // 1000 periods late: at most 250 edges are sent
    h.tickDue();
    expect(h.rising(0).length).toBe(4 + 250);
    expect(pit.counters.missedIrqEdges).toBe(750);
  });

  it("delivers mode 4 at N+1 and nothing after", () => {
    const t0 = h.now;
    program(0, 0x38, 200);
    h.runFor(1000 * NS_PER_TICK);
    const times = h.rising(0).map((e) => Math.round((e.atNs - t0) / NS_PER_TICK));
    expect(times).toEqual([201]);
  });

  it("treats modes 6 and 7 as 2 and 3", () => {
    h.io.out8(0x43, 0x3c); // mode 6
    expect(status(0) & 0x0e).toBe(0x04);
    h.io.out8(0x43, 0x3e); // mode 7
    expect(status(0) & 0x0e).toBe(0x06);
  });
});

describe("8254 PIT counting, latches and read-back", () => {
  it("counts down at 1.193182 MHz and reads LSB then MSB", () => {
    program(2, 0x34, 0); // channel 2 mode 2, gate low at power-on: held
    h.io.out8(0x61, 0x01); // gate on
    const first = readCount16(2);
    expect(first).toBe(0); // 65536 reads as 0 right after load
    h.advance(1000 * NS_PER_TICK + 1);
    expect(readCount16(2)).toBe(65536 - 1000);
  });

  it("latches a count that stays frozen until both bytes are read; a second latch is ignored", () => {
    program(0, 0x34, 10000);
    h.advance(100 * NS_PER_TICK + 1);
    h.io.out8(0x43, 0x00);
    h.advance(500 * NS_PER_TICK);
    h.io.out8(0x43, 0x00); // ignored
    expect(readCount16(0)).toBe(9900);
    expect(readCount16(0)).toBe(9400); // latch released: live again
  });

  it("LSB-only and MSB-only access modes", () => {
    program(0, 0x14, 200); // LSB only, mode 2
    h.advance(50 * NS_PER_TICK + 1);
    expect(h.io.in8(0x40)).toBe(150);
    program(0, 0x24, 0x3000); // MSB only
    h.advance(0x100 * NS_PER_TICK + 1);
    expect(h.io.in8(0x40)).toBe(0x2f);
  });

  it("read-back returns status then count, with OUT, null count and mode", () => {
    h.io.out8(0x43, 0x34); // channel 0 mode 2, no count yet
    expect(status(0)).toBe(0x80 | 0x40 | 0x34);
    h.io.out8(0x40, 100);
    h.io.out8(0x40, 0);
    h.advance(10 * NS_PER_TICK + 1);
    h.io.out8(0x43, 0xc2); // latch status and count of channel 0
    expect(h.io.in8(0x40)).toBe(0x80 | 0x34); // OUT high, count loaded
    expect(readCount16(0)).toBe(90);
    // Mode 0 OUT is low until terminal count.
    program(1, 0x30, 50);
    expect(status(1) & 0x80).toBe(0);
  });

  it("counts in BCD", () => {
    program(0, 0x35, 0x0100); // mode 2, BCD 100
    h.advance(1 * NS_PER_TICK + 1);
    expect(readCount16(0)).toBe(0x0099);
    h.advance(89 * NS_PER_TICK);
    expect(readCount16(0)).toBe(0x0010);
    program(0, 0x31, 0x0000); // mode 0, BCD 0 = 10000
    h.advance(1 * NS_PER_TICK + 1);
    expect(readCount16(0)).toBe(0x9999);
    const t0 = h.rising(0).length;
    h.runFor(10000 * NS_PER_TICK);
    expect(h.rising(0).length).toBe(t0 + 1);
  });

  it("mode 3 counts by two with OUT high for the first half (even and odd counts)", () => {
    program(0, 0x36, 10);
    h.advance(1); // t = 0
    const even: number[] = [];
    const evenOut: boolean[] = [];
    for (let i = 0; i < 10; i++) {
      even.push(latchAndRead(0));
      evenOut.push((status(0) & 0x80) !== 0);
      h.advance(NS_PER_TICK);
    }
    expect(even).toEqual([10, 8, 6, 4, 2, 10, 8, 6, 4, 2]);
    expect(evenOut).toEqual([true, true, true, true, true, false, false, false, false, false]);
    program(0, 0x36, 7);
    h.advance(1);
    const odd: number[] = [];
    const oddOut: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      odd.push(latchAndRead(0));
      oddOut.push((status(0) & 0x80) !== 0);
      h.advance(NS_PER_TICK);
    }
    expect(odd).toEqual([7, 6, 4, 2, 7, 4, 2]);
    expect(oddOut).toEqual([true, true, true, true, false, false, false]);
  });
});

describe("8254 channel 2 and port 0x61", () => {
  it("gate and OUT2: Linux's pit_calibrate_tsc polling loop sees OUT2 rise after the latch", () => {
    const latch = Math.floor(PIT_HZ / (1000 / 10)); // 10 ms
    h.io.out8(0x61, (h.io.in8(0x61) & ~0x02) | 0x01);
    h.io.out8(0x43, 0xb0); // channel 2, mode 0
    h.io.out8(0x42, latch & 0xff);
    h.io.out8(0x42, latch >> 8);
    const t0 = h.now;
    let polls = 0;
    while ((h.io.in8(0x61) & 0x20) === 0 && polls < 1e6) {
      h.advance(1000); // 1 us per poll iteration
      polls++;
    }
    const elapsed = h.now - t0;
    expect(elapsed).toBeGreaterThanOrEqual(latch * NS_PER_TICK);
    expect(elapsed).toBeLessThan(latch * NS_PER_TICK + 1001);
  });

  it("quick_pit_calibrate: the MSB of a 0xFFFF mode 0 count drops once per 256 clocks", () => {
    h.io.out8(0x61, (h.io.in8(0x61) & ~0x02) | 0x01);
    h.io.out8(0x43, 0xb0);
    h.io.out8(0x42, 0xff);
    h.io.out8(0x42, 0xff);
    h.io.in8(0x42);
    h.io.in8(0x42);
    h.advance(NS_PER_TICK / 2); // sample mid-clock
    const msbs: number[] = [];
    for (let i = 0; i < 5; i++) {
      h.io.in8(0x42); // LSB
      msbs.push(h.io.in8(0x42));
      h.advance(256 * NS_PER_TICK);
    }
    expect(msbs).toEqual([0xff, 0xfe, 0xfd, 0xfc, 0xfb]);
  });

  it("pauses a mode 0 count while the gate is low", () => {
    h.io.out8(0x61, 0x01);
    program(2, 0x30, 1000);
    h.advance(100 * NS_PER_TICK + 1);
    h.io.out8(0x61, 0x00);
    h.advance(5000 * NS_PER_TICK);
    h.io.out8(0x61, 0x01);
    expect(readCount16(2)).toBe(900);
  });

  it("mode 1 and mode 5 start on a gate rising edge", () => {
    h.io.out8(0x61, 0x00);
    program(2, 0x32, 100); // mode 1
    expect(h.io.in8(0x61) & 0x20).toBe(0x20); // OUT high until triggered
    h.advance(1000 * NS_PER_TICK);
    h.io.out8(0x61, 0x01); // trigger
    expect(h.io.in8(0x61) & 0x20).toBe(0); // OUT low during the one-shot
    h.advance(100 * NS_PER_TICK + 1);
    expect(h.io.in8(0x61) & 0x20).toBe(0x20);
    // Retrigger restarts the one-shot.
    h.io.out8(0x61, 0x00);
    h.io.out8(0x61, 0x01);
    expect(h.io.in8(0x61) & 0x20).toBe(0);
    h.io.out8(0x61, 0x00);
    program(2, 0x3a, 50); // mode 5
    h.io.out8(0x61, 0x01);
    h.advance(50 * NS_PER_TICK + 1);
    expect(h.io.in8(0x61) & 0x20).toBe(0); // strobe low for one clock at terminal count
    h.advance(NS_PER_TICK);
    expect(h.io.in8(0x61) & 0x20).toBe(0x20);
  });

  it("reports the speaker tone and refresh toggle", () => {
    program(2, 0xb6, 1193); // ~1 kHz square wave
    h.io.out8(0x61, 0x03);
    expect(sys.speakerToneHz()).toBeCloseTo(PIT_HZ / 1193, 6);
    h.io.out8(0x61, 0x01);
    expect(sys.speakerToneHz()).toBe(0);
    const a = h.io.in8(0x61) & 0x10;
    h.advance(15085);
    expect(h.io.in8(0x61) & 0x10).not.toBe(a);
    expect(h.io.in8(0x61) & 0xc0).toBe(0);
  });

  it("saves and restores mid-count and continues identically", () => {
    program(0, 0x34, 4773);
    program(2, 0xb0, 30000);
    h.io.out8(0x61, 0x01);
    h.runFor(12345678);
    h.io.out8(0x43, 0x00); // leave a latch pending
    const saved = structuredClone(pit.saveState());
    const clock = h.clock.saveState();

    const h2 = new Harness();
    const pit2 = new Pit8254(h2.ctx);
    h2.clock.loadState(clock);
    pit2.loadState(saved);
    expect(pit2.saveState()).toEqual(pit.saveState());
    h.runFor(50e6);
    h2.runFor(50e6);
    const rel = (hh: Harness) => hh.rising(0).map((e) => e.atNs).filter((t) => t > 12345678 + 1_000_000);
    expect(rel(h2)).toEqual(rel(h));
    expect(h2.io.in8(0x40)).toBe(h.io.in8(0x40));
    expect(h2.io.in8(0x42)).toBe(h.io.in8(0x42));
    expect(() => pit2.loadState({ type: "pit-8254", version: 1, fields: { ...saved.fields, channels: [] } })).toThrow(/channels/);
  });
});
