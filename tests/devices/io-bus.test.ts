// The port I/O bus: claiming, merging a device's registrations, refusing another device's ports,
// splitting wide accesses over byte handlers, unclaimed ports, and remapping without growth.

import { describe, expect, it } from "vitest";
import { IOBus } from "../../src/emulator/io-bus.ts";

describe("IOBus", () => {
  it("routes claimed ports to their handlers and answers unclaimed ones with all-ones", () => {
    const bus = new IOBus();
    const writes: [number, number][] = [];
    bus.register(0x60, 2, { in8: (p) => p - 0x50, out8: (p, v) => writes.push([p, v]) }, "kbd");
    expect(bus.in8(0x61)).toBe(0x11);
    bus.out8(0x60, 0x1ab); // masked to a byte
    expect(writes).toEqual([[0x60, 0xab]]);
    expect(bus.in8(0x62)).toBe(0xff);
    expect(bus.in32(0x1234)).toBe(-1);
    expect(bus.ownerOf(0x60)).toBe("kbd");
    expect(bus.ownerOf(0x62)).toBeUndefined();
    expect(bus.counters).toEqual({ reads: 3, writes: 1, unclaimedReads: 2, unclaimedWrites: 0 });
  });

  it("splits 16- and 32-bit accesses over byte handlers", () => {
    const bus = new IOBus();
    bus.register(0x100, 4, { in8: (p) => p & 0xff }, "dev");
    expect(bus.in16(0x100)).toBe(0x0100);
    expect(bus.in32(0x100) >>> 0).toBe(0x03020100);
    expect(bus.counters.reads).toBe(6); // a split access counts the byte reads it made
  });

  it("keeps a device's earlier handlers when it registers the same ports again; refuses another device", () => {
    const bus = new IOBus();
    bus.register(0x1f0, 8, { in8: () => 1 }, "ide");
    bus.register(0x1f0, 1, { in16: () => 0xbeef }, "ide");
    expect(bus.in8(0x1f0)).toBe(1);
    expect(bus.in16(0x1f0)).toBe(0xbeef);
    expect(bus.in8(0x1f7)).toBe(1);
    expect(() => bus.register(0x1f4, 8, { in8: () => 2 }, "other")).toThrow(/0x1f4 already claimed by ide/);
    expect(() => bus.register(0xfff0, 0x20, {}, "x")).toThrow(/invalid port range/);
  });

  it("a guest remapping a region many times leaves the bus bounded and correct", () => {
    const bus = new IOBus();
    bus.register(0x3f8, 8, { in8: () => 0x55 }, "uart");
    let base = -1;
    for (let i = 0; i < 100_000; i++) {
      if (base >= 0) bus.unregister(base, 64, "pm");
      base = 0x4000 + (i % 50) * 0x40;
      const at = base;
      bus.register(at, 64, { in8: (p) => (p - at) & 0xff, out8: () => {} }, "pm");
    }
    expect(bus.slotsInUse).toBe(2);
    expect(bus.in8(base + 5)).toBe(5);
    expect(bus.in8(base - 1)).toBe(0xff);
    expect(bus.in8(0x3f9)).toBe(0x55);
  });
});
