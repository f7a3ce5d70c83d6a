import { describe, expect, it } from "vitest";
import type { DeviceContext } from "../../src/emulator/device.ts";
import { Ne2kPci } from "../../src/emulator/devices/net/ne2k-pci.ts";
import { IO_BASE, MAC, PEER, bench, frame, padded } from "./harness.ts";

const CMD = IO_BASE;
const DATA = IO_BASE + 0x10;
const RESET = IO_BASE + 0x1f;
const reg = (r: number) => IO_BASE + r;
// What Linux's 8390 driver (ne2k-pci) sets up: TX pages 0x40-0x4B, receive ring 0x4C-0x7F.
const TX_PAGE = 0x40;
const RX_START = 0x4c;
const RX_STOP = 0x80;

const make = (ctx: DeviceContext) => new Ne2kPci(ctx, { name: "ne2k-pci@3", pciDevice: 3, mac: MAC, linkUp: true });

/** A driver doing what Linux's ne2k-pci + lib8390 do, step by step. */
function driver() {
  const b = bench(make);
  const io = b.ctx.io;
  const d = {
    ...b,
    io,
    remoteRead(addr: number, count: number): Uint8Array {
      io.out8(CMD, 0x22);
      io.out8(reg(0x0a), count & 0xff);
      io.out8(reg(0x0b), count >> 8);
      io.out8(reg(0x08), addr & 0xff);
      io.out8(reg(0x09), addr >> 8);
      io.out8(CMD, 0x0a);
      const out = new Uint8Array(count);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const v = io.in32(DATA) >>> 0;
        out.set([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24], i);
      }
      if (count & 2) {
        const v = io.in16(DATA);
        out.set([v & 0xff, v >> 8], i);
        i += 2;
      }
      if (count & 1) out[i] = io.in8(DATA);
      io.out8(reg(0x07), 0x40); // ack RDC
      return out;
    },
    remoteWrite(addr: number, data: Uint8Array): void {
      const count = (data.length + 1) & ~1;
      io.out8(CMD, 0x22);
      io.out8(reg(0x07), 0x40);
      io.out8(reg(0x0a), count & 0xff);
      io.out8(reg(0x0b), count >> 8);
      io.out8(reg(0x08), addr & 0xff);
      io.out8(reg(0x09), addr >> 8);
      io.out8(CMD, 0x12);
      const p = padded(data, count + 4);
      let i = 0;
      for (; i + 4 <= count; i += 4) io.out32(DATA, p[i] | (p[i + 1] << 8) | (p[i + 2] << 16) | (p[i + 3] << 24));
      if (count & 2) io.out16(DATA, p[i] | (p[i + 1] << 8));
    },
    /** NS8390_init(dev, 1) with the address from the PROM. */
    start(rcr = 0x04): void {
      io.out8(CMD, 0x21);
      io.out8(reg(0x0e), 0x49);
      io.out8(reg(0x0a), 0);
      io.out8(reg(0x0b), 0);
      io.out8(reg(0x0c), 0x20);
      io.out8(reg(0x0d), 0x02);
      io.out8(reg(0x04), TX_PAGE);
      io.out8(reg(0x01), RX_START);
      io.out8(reg(0x03), RX_STOP - 1);
      io.out8(reg(0x02), RX_STOP);
      io.out8(reg(0x07), 0xff);
      io.out8(reg(0x0f), 0x00);
      io.out8(CMD, 0x61);
      for (let i = 0; i < 6; i++) io.out8(reg(1 + i), MAC[i]);
      io.out8(reg(0x07), RX_START);
      io.out8(CMD, 0x21);
      io.out8(reg(0x07), 0xff);
      io.out8(reg(0x0f), 0x3f);
      io.out8(CMD, 0x22);
      io.out8(reg(0x0d), 0x00);
      io.out8(reg(0x0c), rcr);
    },
    transmit(f: Uint8Array): void {
      d.remoteWrite(TX_PAGE << 8, f);
      io.out8(reg(0x05), f.length & 0xff);
      io.out8(reg(0x06), f.length >> 8);
      io.out8(CMD, 0x26);
    },
    curr(): number {
      io.out8(CMD, 0x62);
      const c = io.in8(reg(0x07));
      io.out8(CMD, 0x22);
      return c;
    },
    /** ei_receive: takes every frame between BNRY + 1 and CURR, moving BNRY as Linux does. */
    receiveAll(): Uint8Array[] {
      const frames: Uint8Array[] = [];
      for (let guard = 0; guard < 64; guard++) {
        let page = io.in8(reg(0x03)) + 1;
        if (page >= RX_STOP) page = RX_START;
        if (page === d.curr()) break;
        const hdr = d.remoteRead(page << 8, 4);
        const count = hdr[2] | (hdr[3] << 8);
        frames.push(d.remoteRead((page << 8) + 4, count - 4));
        io.out8(reg(0x03), hdr[1] - 1 < RX_START ? RX_STOP - 1 : hdr[1] - 1);
      }
      io.out8(reg(0x07), 0x01); // ack PRX
      return frames;
    },
  };
  return d;
}

describe("NE2000 PCI (RTL8029)", () => {
  it("resets through the reset port and reads the station address PROM by remote DMA", () => {
    const d = driver();
    const { io } = d;
    expect(io.in8(reg(0x0a))).toBe(0x50); // RTL8029 id "PC"
    expect(io.in8(reg(0x0b))).toBe(0x43);
    io.out8(reg(0x07), 0xff);
    io.out8(RESET, io.in8(RESET));
    expect(io.in8(reg(0x07)) & 0x80).toBe(0x80);
    // ne2k_pci_init_one: word-wide, 32 bytes from 0, read with byte accesses.
    io.out8(CMD, 0x21);
    io.out8(reg(0x0e), 0x49);
    io.out8(reg(0x0a), 32);
    io.out8(reg(0x0b), 0);
    io.out8(reg(0x08), 0);
    io.out8(reg(0x09), 0);
    io.out8(CMD, 0x0a);
    const prom = Array.from({ length: 32 }, () => io.in8(DATA));
    expect(prom.slice(0, 6)).toEqual([...MAC]);
    expect(prom.slice(14, 16)).toEqual([0x57, 0x57]);
    expect(io.in8(reg(0x07)) & 0x40).toBe(0x40); // remote DMA complete
    // Byte-wide, the PROM shows each byte twice (how ne.c tells a 16-bit card).
    io.out8(reg(0x0e), 0x48);
    io.out8(reg(0x0a), 12);
    io.out8(reg(0x08), 0);
    io.out8(CMD, 0x0a);
    expect(Array.from({ length: 12 }, () => io.in8(DATA))).toEqual([...MAC].flatMap((b) => [b, b]));
  });

  it("transmits a frame written by remote DMA, raising PTX on INTA#", () => {
    const d = driver();
    d.start();
    const f = frame(PEER, MAC, 100);
    d.transmit(f);
    expect(d.sent).toEqual([f]);
    expect(d.io.in8(reg(0x07)) & 0x02).toBe(0x02);
    expect(d.io.in8(reg(0x04)) & 0x01).toBe(0x01); // TSR: transmitted
    expect(d.intx()).toBe(true);
    d.io.out8(reg(0x07), 0x02);
    expect(d.intx()).toBe(false);
    expect(d.dev.wire.counters).toMatchObject({ txFrames: 1, txBytes: f.length });
  });

  it("drops and counts transmitted frames over 1514 or under 14 bytes", () => {
    const d = driver();
    d.start();
    d.transmit(frame(PEER, MAC, 1501));
    d.transmit(frame(PEER, MAC, 0).subarray(0, 10));
    expect(d.sent).toEqual([]);
    expect(d.dev.wire.counters.txDropped).toBe(2);
    expect(d.io.in8(reg(0x07)) & 0x02).toBe(0x02); // the chip still completes the send
  });

  it("receives a frame into the ring with its header, pads a runt to 60 bytes, and interrupts", () => {
    const d = driver();
    d.start();
    const f = frame(MAC, PEER, 20);
    expect(d.dev.wire.receive(f)).toBe(true);
    expect(d.io.in8(reg(0x07)) & 0x01).toBe(0x01);
    expect(d.intx()).toBe(true);
    expect(d.curr()).toBe(RX_START + 1);
    const hdr = d.remoteRead(RX_START << 8, 4);
    expect([...hdr]).toEqual([0x01, RX_START + 1, 64, 0]); // RSR intact, next page, 60 + 4 bytes
    expect(d.receiveAll()).toEqual([padded(f, 60)]);
    expect(d.intx()).toBe(false);
    expect(d.dev.wire.counters).toMatchObject({ rxFrames: 1, rxBytes: 60, rxDropped: 0 });
  });

  it("wraps a frame around PSTOP, and remote DMA reads it back across the wrap", () => {
    const d = driver();
    d.start();
    // Drain up to near the end: CURR = BNRY + 1 = 0x7E.
    d.io.out8(CMD, 0x62);
    d.io.out8(reg(0x07), RX_STOP - 2);
    d.io.out8(CMD, 0x22);
    d.io.out8(reg(0x03), RX_STOP - 3);
    const f = frame(MAC, PEER, 900, 7);
    expect(d.dev.wire.receive(f)).toBe(true);
    expect(d.curr()).toBe(RX_START + 2); // 0x7E, 0x7F, 0x4C, 0x4D (4 pages)
    expect(d.receiveAll()).toEqual([f]);
  });

  it("filters: its own address, broadcast only with AB, multicast by hash, anything when promiscuous", () => {
    const d = driver();
    d.start(0x00);
    const other = Uint8Array.of(0x52, 0x54, 0, 9, 9, 9);
    const bcast = new Uint8Array(6).fill(0xff);
    const mcast = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
    expect(d.dev.wire.receive(frame(other, PEER, 50))).toBe(false);
    expect(d.dev.wire.receive(frame(bcast, PEER, 50))).toBe(false);
    d.io.out8(reg(0x0c), 0x04);
    expect(d.dev.wire.receive(frame(bcast, PEER, 50))).toBe(true);
    d.io.out8(reg(0x0c), 0x08); // AM with an empty hash table: no
    expect(d.dev.wire.receive(frame(mcast, PEER, 50))).toBe(false);
    d.io.out8(CMD, 0x62);
    for (let i = 0; i < 8; i++) d.io.out8(reg(8 + i), 0xff);
    d.io.out8(CMD, 0x22);
    expect(d.dev.wire.receive(frame(mcast, PEER, 50))).toBe(true);
    d.io.out8(reg(0x0c), 0x10);
    expect(d.dev.wire.receive(frame(other, PEER, 50))).toBe(true);
    expect(d.receiveAll().map((r) => r[0])).toEqual([0xff, 0x01, 0x52]);
    expect(d.io.in8(reg(0x0c))).toBe(0x01); // RSR of the last (unicast) frame: intact, PHY clear
  });

  it("drops frames when the ring is full, with OVW and the missed-packet tally, and takes them again once drained", () => {
    const d = driver();
    d.start();
    let taken = 0;
    for (let i = 0; i < 100 && d.dev.wire.receive(frame(MAC, PEER, 1000, i)); i++) taken++;
    // 52 ring pages, 4 pages per frame, one page kept free: 12 frames.
    expect(taken).toBe(12);
    expect(d.io.in8(reg(0x07)) & 0x10).toBe(0x10);
    expect(d.dev.wire.counters.rxDropped).toBe(1);
    expect(d.io.in8(reg(0x0f))).toBe(1); // CNTR2, cleared by the read
    expect(d.io.in8(reg(0x0f))).toBe(0);
    const got = d.receiveAll();
    expect(got.length).toBe(12);
    expect(got[11]).toEqual(frame(MAC, PEER, 1000, 11));
    expect(d.dev.wire.receive(frame(MAC, PEER, 1000, 99))).toBe(true);
  });

  it("takes nothing while stopped or with the link down", () => {
    const d = driver();
    expect(d.dev.wire.receive(frame(MAC, PEER, 50))).toBe(false);
    d.start();
    d.dev.wire.linkUp = false;
    expect(d.dev.wire.receive(frame(MAC, PEER, 50))).toBe(false);
    expect(d.dev.wire.counters.rxDropped).toBe(2);
  });

  it("saves and restores its registers and ring: the restored card continues where it was", () => {
    const d = driver();
    d.start();
    d.dev.wire.receive(frame(MAC, PEER, 300, 1));
    const saved = d.dev.saveState();
    const e = driver();
    e.dev.checkState(saved);
    e.dev.loadState(saved);
    expect(e.intx()).toBe(true); // PRX pending with IMR set
    e.dev.wire.receive(frame(MAC, PEER, 300, 2));
    expect(e.receiveAll()).toEqual([frame(MAC, PEER, 300, 1), frame(MAC, PEER, 300, 2)]);
    expect(() => e.dev.loadState({ ...saved, fields: { ...saved.fields, ram: new Uint8Array(5) } })).toThrow(/ram/);
  });
});
