import { describe, expect, it } from "vitest";
import { CARD_TYPES, guessMedia, type CardOf, type CardTypeName } from "../../src/emulator/cards/registry.ts";
import { createMachine } from "../../src/emulator/machine.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";

function bios(): Uint8Array {
  const b = new Uint8Array(128 * 1024);
  b[b.length - 16] = 0xea; // a far jump at the reset vector is all validation asks for
  return b;
}

function vgaBios(): Uint8Array {
  const r = new Uint8Array(512);
  r[0] = 0x55;
  r[1] = 0xaa;
  return r;
}

/** One card of every type, in slots that do not collide (a new type must add its sample here). */
const SAMPLES: { [T in CardTypeName]: CardOf<T> } = {
  serial: { type: "serial", index: 0 },
  vga: { type: "vga" },
  floppy: { type: "floppy", drive: 0, image: new Uint8Array(1474560) },
  "ide-disk": { type: "ide-disk", channel: 0, slave: false, image: new Uint8Array(512 * 64) },
  "ide-cdrom": { type: "ide-cdrom", channel: 1, slave: false, image: new Uint8Array(2048 * 16) },
  ps2: { type: "ps2" },
  "debug-exit": { type: "debug-exit" },
  debugcon: { type: "debugcon" },
  "ne2k-pci": { type: "ne2k-pci", mac: "52:54:00:00:00:01" },
  "virtio-net": { type: "virtio-net", mac: "52:54:00:00:00:02", pciSlot: 5 },
};

function machineWith(cards: MachineConfig["cards"]) {
  return createMachine({ memoryMiB: 16, bios: bios(), vgaBios: vgaBios(), boot: { kind: "firmware", order: ["floppy"] }, cards: [SAMPLES.floppy, ...cards] });
}

describe("card registry", () => {
  it("lists every card type once, each with a slot, a name and a validator", () => {
    const names = CARD_TYPES.map((t) => t.type);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const t of CARD_TYPES) {
      const sample = SAMPLES[t.type];
      expect(t.slot(sample)).toMatch(/\S/);
      expect(() => t.validate(sample, "card", { memoryMiB: 16, bios: bios(), vgaBios: vgaBios(), boot: { kind: "firmware", order: ["floppy"] }, cards: [] })).not.toThrow();
    }
  });

  it("builds a machine with one card of every type, each device answering where a guest looks for it", () => {
    const m = machineWith(Object.values(SAMPLES).filter((c) => c.type !== "floppy"));
    // COM1's scratch register keeps what is written (unclaimed ports read all-ones).
    m.io.out8(0x3ff, 0x5a);
    expect(m.io.in8(0x3ff)).toBe(0x5a);
    expect(m.serial.length).toBe(1);
    expect(m.vga).not.toBeNull();
    expect(m.keyboard).not.toBeNull();
    // CMOS register 0x10: drive A: is a 1.44M drive, B: absent.
    m.io.out8(0x70, 0x10);
    expect(m.io.in8(0x71)).toBe(0x40);
    // ATA status of the primary master (the disk) and the secondary master (the CD-ROM): present, not 0xFF.
    expect(m.io.in8(0x1f7)).not.toBe(0xff);
    expect(m.io.in8(0x177)).not.toBe(0xff);
    const debugcon: number[] = [];
    m.onDebugcon((b) => debugcon.push(b));
    m.io.out8(0xe9, 0x41);
    expect(debugcon).toEqual([0x41]);
    expect(m.nics.map((n) => [n.card, n.model])).toEqual([["ne2k-pci@3", "ne2k-pci"], ["virtio-net@5", "virtio-net"]]);
    m.io.out8(0xf4, 0x10);
    m.runSlice({ maxInstructions: 100 });
    expect(m.state).toBe("powered-off");
    expect(m.exitStatus).toBe(0x21);
  });

  it("without the cards, their ports stay unclaimed", () => {
    const m = machineWith([]);
    m.io.out8(0x3ff, 0x5a);
    expect(m.io.in8(0x3ff)).toBe(0xff);
    expect(m.io.in8(0x1f7)).toBe(0xff);
    expect(m.vga).toBeNull();
    expect(m.keyboard).toBeNull();
  });

  it("guesses an image file's media from its name, then its size", () => {
    expect(guessMedia("debian.iso", 700e6)).toBe("cdrom");
    expect(guessMedia("FREEDOS.IMG", 1474560)).toBe("floppy");
    expect(guessMedia("boot.bin", 512)).toBe("floppy");
    expect(guessMedia("hdd.img", 64 << 20)).toBe("disk");
    expect(guessMedia("unknown.dsk", 10 << 20)).toBe("disk");
  });
});
