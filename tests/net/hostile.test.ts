// A hostile guest: random writes and reads on every port of both NICs (including reset, remote
// DMA, transmit and queue notify), rings placed at random guest pages over random RAM contents,
// BARs moved around, and runt, oversized and random frames from the wire. Nothing may throw or hang,
// and the devices' state keeps its fixed size (no growth the guest controls).

import { describe, expect, it } from "vitest";
import { Ne2kPci } from "../../src/emulator/devices/net/ne2k-pci.ts";
import { VirtioNet } from "../../src/emulator/devices/net/virtio-net.ts";
import { xorshift32 } from "../xorshift.ts";
import { IO_BASE, MAC, bench } from "./harness.ts";

const ITERATIONS = 20_000;

function stateBytes(s: unknown): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) n += v.byteLength;
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
    else n += 8;
  };
  walk(s);
  return n;
}

function hammer(dev: { pci: { bars?: ({ onMap(base: number): void } | undefined)[] }; wire: { receive(f: Uint8Array): boolean }; saveState(): unknown }, io: { in8(p: number): number; in16(p: number): number; in32(p: number): number; out8(p: number, v: number): void; out16(p: number, v: number): void; out32(p: number, v: number): void }, memory: { ram: Uint8Array; ramSize: number }, seed: number): { sizeBefore: number; sizeAfter: number } {
  const rnd = xorshift32(seed);
  const sizeBefore = stateBytes(dev.saveState());
  let base = IO_BASE;
  for (let i = 0; i < ITERATIONS; i++) {
    const r = rnd();
    const port = base + (rnd() & 31);
    const value = rnd();
    switch (r % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        io.out8(port, value);
        break;
      case 5:
        io.out16(port & ~1, value);
        break;
      case 6:
        io.out32(port & ~3, value);
        break;
      case 7:
        io.in8(port);
        io.in16(port & ~1);
        io.in32(port & ~3);
        break;
      case 8: {
        // A frame of any length from 0 to 2000 bytes, to any address.
        const f = new Uint8Array(rnd() % 2000);
        for (let k = 0; k < f.length; k += 4) f[k] = rnd();
        if (rnd() & 1) f.fill(0xff, 0, 6);
        dev.wire.receive(f);
        break;
      }
      case 9: {
        // Scribble over guest RAM where rings and buffers may be.
        const at = rnd() % (memory.ramSize - 256);
        for (let k = 0; k < 256; k++) memory.ram[at + k] = rnd();
        break;
      }
      case 10: {
        // Queue address registers with random page numbers (virtio), random remote DMA setups (NE2000).
        io.out16(base + 0x0e, rnd() & 3);
        io.out32(base + 0x08, rnd() % 4 === 0 ? rnd() : rnd() % (memory.ramSize >>> 12));
        io.out8(base + 0x12, 7);
        io.out16(base + 0x10, rnd() & 1);
        break;
      }
      case 11:
        if (rnd() % 64 === 0) {
          base = 0x1000 + (rnd() % 0x700) * 32;
          dev.pci.bars![0]!.onMap(base);
        }
        break;
      default:
        io.out8(base + (rnd() & 15), value); // registers again, the densest part
    }
  }
  return { sizeBefore, sizeAfter: stateBytes(dev.saveState()) };
}

describe("NICs under a hostile guest", () => {
  it("NE2000 PCI: random port traffic and frames, no throw, no growth", () => {
    const b = bench((ctx) => new Ne2kPci(ctx, { name: "ne2k-pci@3", pciDevice: 3, mac: MAC, linkUp: true }));
    const r = hammer(b.dev, b.ctx.io, b.ctx.memory, 0x1234567);
    expect(r.sizeAfter).toBe(r.sizeBefore);
    for (const f of b.sent) expect(f.length >= 14 && f.length <= 1514).toBe(true);
    expect(b.ctx.io.slotsInUse).toBeLessThan(16);
    // After the storm, a reset and a plain byte-wide transmit work as on a fresh card.
    const io = b.ctx.io;
    b.dev.pci.bars![0]!.onMap(IO_BASE);
    io.in8(IO_BASE + 0x1f);
    io.out8(IO_BASE, 0x21);
    io.out8(IO_BASE + 0x0e, 0x48);
    io.out8(IO_BASE + 0x0d, 0x00);
    io.out8(IO_BASE + 0x0a, 64);
    io.out8(IO_BASE + 0x0b, 0);
    io.out8(IO_BASE + 0x08, 0);
    io.out8(IO_BASE + 0x09, 0x40);
    io.out8(IO_BASE, 0x12);
    const f = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    for (const x of f) io.out8(IO_BASE + 0x10, x);
    io.out8(IO_BASE + 0x04, 0x40);
    io.out8(IO_BASE + 0x05, 64);
    io.out8(IO_BASE + 0x06, 0);
    io.out8(IO_BASE, 0x26);
    expect(b.sent.at(-1)).toEqual(f);
  });

  it("virtio-net: random registers, rings at random pages over random memory, no throw, no growth", () => {
    const b = bench((ctx) => new VirtioNet(ctx, { name: "virtio-net@4", pciDevice: 4, mac: MAC, linkUp: true }));
    const r = hammer(b.dev, b.ctx.io, b.ctx.memory, 0x7654321);
    expect(r.sizeAfter).toBe(r.sizeBefore);
    for (const f of b.sent) expect(f.length >= 14 && f.length <= 1514).toBe(true);
    expect(b.ctx.logs.some((l) => /virtio-net@4 (rx|tx) queue/.test(l))).toBe(true); // malformed rings were noticed
    expect(b.ctx.io.slotsInUse).toBeLessThan(16);
  });
});
