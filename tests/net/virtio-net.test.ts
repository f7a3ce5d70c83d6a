import { describe, expect, it } from "vitest";
import type { DeviceContext } from "../../src/emulator/device.ts";
import { VirtioNet } from "../../src/emulator/devices/net/virtio-net.ts";
import { IO_BASE, MAC, PEER, bench, frame, padded } from "./harness.ts";

const make = (ctx: DeviceContext) => new VirtioNet(ctx, { name: "virtio-net@4", pciDevice: 4, mac: MAC, linkUp: true });
const QSIZE = 256;
const RX_PFN = 0x100; // rings at 1 MiB and 1.5 MiB
const TX_PFN = 0x180;
const BUFS = 0x200000; // buffers from 2 MiB
const HDR = 10;

/** A guest driver for the legacy interface, doing what Linux's virtio_pci_legacy + virtio_net do. */
function driver(opts: { features?: number } = {}) {
  const b = bench(make);
  const { io, memory: mem } = b.ctx;
  const ring = (pfn: number) => {
    const desc = pfn * 4096;
    const avail = desc + QSIZE * 16;
    const used = desc + Math.ceil((QSIZE * 16 + 6 + 2 * QSIZE) / 4096) * 4096;
    return { desc, avail, used };
  };
  const rings = [ring(RX_PFN), ring(TX_PFN)];
  const d = {
    ...b,
    io,
    mem,
    rings,
    hostFeatures: 0,
    nextBuf: BUFS,
    setDesc(q: number, i: number, addr: number, len: number, flags: number, next = 0): void {
      const at = rings[q].desc + i * 16;
      mem.write32(at, addr);
      mem.write32(at + 4, 0);
      mem.write32(at + 8, len);
      mem.write16(at + 12, flags);
      mem.write16(at + 14, next);
    },
    offer(q: number, head: number): void {
      const idx = mem.read16(rings[q].avail + 2);
      mem.write16(rings[q].avail + 4 + 2 * (idx % QSIZE), head);
      mem.write16(rings[q].avail + 2, (idx + 1) & 0xffff);
    },
    usedIdx: (q: number) => mem.read16(rings[q].used + 2),
    used: (q: number, n: number) => ({ id: mem.read32(rings[q].used + 4 + 8 * n), len: mem.read32(rings[q].used + 8 + 8 * n) }),
    /** Sends `f` as the two-descriptor chain [virtio_net_hdr][frame] and kicks the TX queue. */
    send(f: Uint8Array, head = 0): void {
      const buf = d.nextBuf;
      d.nextBuf += 0x1000;
      mem.writeBytes(buf, new Uint8Array(HDR));
      mem.writeBytes(buf + 0x100, f);
      d.setDesc(1, head, buf, HDR, 1, head + 1);
      d.setDesc(1, head + 1, buf + 0x100, f.length, 0);
      d.offer(1, head);
      io.out16(IO_BASE + 0x10, 1);
    },
    /** Posts a receive buffer of `len` device-writable bytes as descriptor `i`; returns its address. */
    post(i: number, len = HDR + 1518): number {
      const buf = d.nextBuf;
      d.nextBuf += 0x1000;
      d.setDesc(0, i, buf, len, 2);
      d.offer(0, i);
      return buf;
    },
  };
  // Probe: reset, ACKNOWLEDGE, DRIVER, features, queues, DRIVER_OK.
  io.out8(IO_BASE + 0x12, 0);
  io.out8(IO_BASE + 0x12, 1);
  io.out8(IO_BASE + 0x12, 3);
  d.hostFeatures = io.in32(IO_BASE) >>> 0;
  io.out32(IO_BASE + 4, opts.features ?? d.hostFeatures);
  for (const [q, pfn] of [[0, RX_PFN], [1, TX_PFN]]) {
    io.out16(IO_BASE + 0x0e, q);
    expect(io.in16(IO_BASE + 0x0c)).toBe(QSIZE);
    io.out32(IO_BASE + 0x08, pfn);
  }
  io.out8(IO_BASE + 0x12, 7);
  return d;
}

describe("virtio-net (legacy PCI)", () => {
  it("offers MAC and STATUS only, keeps what the driver accepts of them, and shows MAC and link in its config", () => {
    const d = driver({ features: 0xffffffff });
    expect(d.hostFeatures).toBe((1 << 5) | (1 << 16));
    expect(d.io.in32(IO_BASE + 4) >>> 0).toBe((1 << 5) | (1 << 16));
    expect(Array.from({ length: 6 }, (_, i) => d.io.in8(IO_BASE + 0x14 + i))).toEqual([...MAC]);
    expect(d.io.in16(IO_BASE + 0x1a)).toBe(1);
    expect(d.io.in8(IO_BASE + 0x12)).toBe(7);
    d.io.out16(IO_BASE + 0x0e, 2);
    expect(d.io.in16(IO_BASE + 0x0c)).toBe(0); // no control queue
    expect(d.dev.pci.config.subarray(0, 4)).toEqual(Uint8Array.of(0xf4, 0x1a, 0x00, 0x10));
    expect(d.dev.pci.config[0x2e]).toBe(1); // subsystem 1: network
  });

  it("transmits a descriptor chain, returns it in the used ring and interrupts until the ISR is read", () => {
    const d = driver();
    const f = frame(PEER, MAC, 86);
    d.send(f);
    expect(d.sent).toEqual([f]);
    expect(d.usedIdx(1)).toBe(1);
    expect(d.used(1, 0).id).toBe(0);
    expect(d.intx()).toBe(true);
    expect(d.io.in8(IO_BASE + 0x13)).toBe(1);
    expect(d.intx()).toBe(false);
    expect(d.io.in8(IO_BASE + 0x13)).toBe(0);
  });

  it("drops oversized and runt transmits, still returning their buffers", () => {
    const d = driver();
    d.send(frame(PEER, MAC, 1501), 0);
    d.send(frame(PEER, MAC, 0).subarray(0, 13), 2);
    expect(d.sent).toEqual([]);
    expect(d.usedIdx(1)).toBe(2);
    expect(d.dev.wire.counters.txDropped).toBe(2);
  });

  it("fills a posted receive buffer with header and frame, padding a runt, and interrupts", () => {
    const d = driver();
    const buf = d.post(0);
    expect(d.dev.wire.receive(frame(MAC, PEER, 30))).toBe(true);
    expect(d.usedIdx(0)).toBe(1);
    expect(d.used(0, 0)).toEqual({ id: 0, len: HDR + 60 });
    expect(d.mem.readBytes(buf, HDR)).toEqual(new Uint8Array(HDR));
    expect(d.mem.readBytes(buf + HDR, 60)).toEqual(padded(frame(MAC, PEER, 30), 60));
    expect(d.intx()).toBe(true);
    // No buffer left: dropped and counted.
    expect(d.dev.wire.receive(frame(MAC, PEER, 30))).toBe(false);
    expect(d.dev.wire.counters).toMatchObject({ rxFrames: 1, rxDropped: 1 });
  });

  it("spreads a frame over a header descriptor and a data descriptor (older Linux's layout)", () => {
    const d = driver();
    d.setDesc(0, 5, 0x300000, HDR, 2 | 1, 6);
    d.setDesc(0, 6, 0x300100, 1514, 2);
    d.offer(0, 5);
    const f = frame(MAC, PEER, 1500, 3);
    expect(d.dev.wire.receive(f)).toBe(true);
    expect(d.used(0, 0)).toEqual({ id: 5, len: HDR + 1514 });
    expect(d.mem.readBytes(0x300100, 1514)).toEqual(f);
  });

  it("suppresses the interrupt when the driver sets VRING_AVAIL_F_NO_INTERRUPT", () => {
    const d = driver();
    d.mem.write16(d.rings[1].avail, 1);
    d.send(frame(PEER, MAC, 50));
    expect(d.sent.length).toBe(1);
    expect(d.intx()).toBe(false);
  });

  it("reports link changes with a config interrupt", () => {
    const d = driver();
    d.dev.wire.linkUp = false;
    expect(d.io.in16(IO_BASE + 0x1a)).toBe(0);
    expect(d.intx()).toBe(true);
    expect(d.io.in8(IO_BASE + 0x13)).toBe(2);
    expect(d.dev.wire.receive(frame(MAC, PEER, 50))).toBe(false);
  });

  it("skips malformed chains (a descriptor loop, a buffer outside RAM) without hanging", () => {
    const d = driver();
    d.setDesc(1, 0, BUFS, 64, 1, 0); // points at itself
    d.offer(1, 0);
    d.setDesc(1, 1, 0xfff00000, 64, 0);
    d.offer(1, 1);
    d.io.out16(IO_BASE + 0x10, 1);
    expect(d.sent).toEqual([]);
    expect(d.usedIdx(1)).toBe(2);
    expect(d.ctx.logs.join("\n")).toMatch(/loop/);
    expect(d.ctx.logs.join("\n")).toMatch(/outside RAM/);
    // An available index far ahead of the ring is ignored.
    d.mem.write16(d.rings[1].avail + 2, 0x8000);
    d.io.out16(IO_BASE + 0x10, 1);
    expect(d.usedIdx(1)).toBe(2);
  });

  it("resets when the driver writes status 0", () => {
    const d = driver();
    d.io.out8(IO_BASE + 0x12, 0);
    d.io.out16(IO_BASE + 0x0e, 0);
    expect(d.io.in32(IO_BASE + 0x08)).toBe(0);
    expect(d.io.in32(IO_BASE + 4)).toBe(0);
    expect(d.dev.wire.receive(frame(MAC, PEER, 50))).toBe(false);
  });

  it("saves and restores queue indices and registers: the restored card continues where it was", () => {
    const d = driver();
    d.post(0);
    d.post(1);
    d.dev.wire.receive(frame(MAC, PEER, 40, 1));
    d.send(frame(PEER, MAC, 40));
    const saved = d.dev.saveState();
    // The same guest memory under a fresh device, as a whole-machine restore gives it.
    const e = bench(make);
    e.ctx.memory.ram.set(d.mem.ram);
    e.dev.checkState(saved);
    e.dev.loadState(saved);
    expect(e.intx()).toBe(true);
    expect(e.dev.wire.receive(frame(MAC, PEER, 40, 2))).toBe(true);
    expect(e.ctx.memory.read16(d.rings[0].used + 2)).toBe(2);
    expect(e.ctx.memory.read32(d.rings[0].used + 4 + 8)).toBe(1); // the second posted buffer
    expect(() => e.dev.checkState({ ...saved, fields: { ...saved.fields, queues: [] } })).toThrow(/queues/);
  });
});
