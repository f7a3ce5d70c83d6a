// NICs as cards of a whole machine: where they sit on the PCI bus, what their MAC defaults to, and
// a machine snapshot carrying a card's ring into a freshly built machine.

import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { frame, padded } from "./harness.ts";

function bios(): Uint8Array {
  const b = new Uint8Array(128 * 1024);
  b[b.length - 16] = 0xea;
  return b;
}

const config = (cards: MachineConfig["cards"]): MachineConfig => ({ memoryMiB: 16, bios: bios(), boot: { kind: "firmware", order: ["floppy"] }, cards: [{ type: "floppy", drive: 0, image: new Uint8Array(1474560) }, ...cards] });

/** Config read of bus 0 device `dev` through mechanism #1. */
function cfg32(m: ReturnType<typeof createMachine>, dev: number, off: number): number {
  m.io.out32(0xcf8, (0x80000000 | (dev << 11) | off) >>> 0);
  return m.io.in32(0xcfc) >>> 0;
}

describe("NIC cards in a machine", () => {
  it("puts each card on its PCI slot with its ids, class and INTA#", () => {
    const m = createMachine(config([{ type: "ne2k-pci" }, { type: "virtio-net", id: "nic-2" }]));
    expect(cfg32(m, 3, 0)).toBe(0x802910ec);
    expect(cfg32(m, 4, 0)).toBe(0x10001af4);
    expect(cfg32(m, 3, 8) >>> 8).toBe(0x020000);
    expect(cfg32(m, 4, 0x2c) >>> 16).toBe(1);
    expect((cfg32(m, 4, 0x3c) >>> 8) & 0xff).toBe(1);
    expect(m.nics.map((n) => n.card)).toEqual(["ne2k-pci@3", "nic-2"]);
    // Default MACs: locally administered 52:54:00, different per card, the same on every build.
    const [a, b] = m.nics.map((n) => [...n.port.mac]);
    expect(a!.slice(0, 3)).toEqual([0x52, 0x54, 0x00]);
    expect(a).not.toEqual(b);
    expect([...createMachine(config([{ type: "ne2k-pci" }])).nics[0]!.port.mac]).toEqual(a);
  });

  it("refuses a multicast MAC, a bad slot and two cards on one slot, naming the field", () => {
    expect(() => createMachine(config([{ type: "virtio-net", mac: "01:00:5e:00:00:01" }]))).toThrow(/cards\[1\]\.mac: .*multicast/);
    expect(() => createMachine(config([{ type: "virtio-net", mac: "52:54:00:zz:00:01" }]))).toThrow(/cards\[1\]\.mac/);
    expect(() => createMachine(config([{ type: "virtio-net", pciSlot: 2 }]))).toThrow(/cards\[1\]\.pciSlot/);
    expect(() => createMachine(config([{ type: "virtio-net" }, { type: "virtio-net" }]))).toThrow(/duplicate PCI slot 4/);
  });

  it("restores a machine snapshot into a fresh machine: the NE2000's ring and registers come back", () => {
    const cards: MachineConfig["cards"] = [{ type: "ne2k-pci", mac: "52:54:00:00:00:07" }];
    const m = createMachine(config(cards));
    // Place BAR0 at 0xC000, enable I/O, start the chip with a ring at 0x4C-0x80 taking broadcasts.
    m.io.out32(0xcf8, 0x80001810);
    m.io.out32(0xcfc, 0xc000);
    m.io.out32(0xcf8, 0x80001804);
    m.io.out32(0xcfc, 1);
    const set = (r: number, v: number) => m.io.out8(0xc000 + r, v);
    set(0, 0x21);
    set(1, 0x4c);
    set(2, 0x80);
    set(3, 0x7f);
    set(0, 0x61);
    set(7, 0x4c);
    set(0, 0x22);
    set(0x0c, 0x04);
    const f = frame(new Uint8Array(6).fill(0xff), Uint8Array.of(2, 0, 0, 0, 0, 1), 40, 5);
    expect(m.nics[0]!.port.receive(f)).toBe(true);
    const saved = m.saveState();
    const n = createMachine(config(cards));
    n.loadState(saved);
    // Read the frame back through the restored BAR: header then data.
    const get = (r: number) => n.io.in8(0xc000 + r);
    const out = (r: number, v: number) => n.io.out8(0xc000 + r, v);
    out(0x0a, 64);
    out(0x0b, 0);
    out(0x08, 0);
    out(0x09, 0x4c);
    out(0, 0x0a);
    const bytes = Array.from({ length: 64 }, () => get(0x10));
    expect(bytes.slice(0, 4)).toEqual([0x21, 0x4d, 64, 0]);
    expect(bytes.slice(4)).toEqual([...padded(f, 60)]);
    expect(get(0x07) & 0x01).toBe(0x01);
  });
});
