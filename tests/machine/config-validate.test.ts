import { describe, expect, it } from "vitest";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { floppyMediaImage } from "../../src/emulator/cards/floppy.ts";
import { validateMachineConfig } from "../../src/emulator/machine-config-validate.ts";

function bios(): Uint8Array {
  const b = new Uint8Array(128 * 1024);
  b[b.length - 16] = 0xea;
  return b;
}

const floppy = new Uint8Array(1474560);

function base(): MachineConfig {
  return { memoryMiB: 32, bios: bios(), boot: { kind: "firmware", order: ["floppy"] }, cards: [{ type: "floppy", drive: 0, image: floppy }] };
}

describe("machine config validation", () => {
  it("accepts a plain floppy machine, and short boot-sector images (padded like QEMU)", () => {
    expect(validateMachineConfig(base())).toBeTruthy();
    const c = base();
    c.cards = [{ type: "floppy", drive: 0, image: new Uint8Array(8704) }];
    expect(validateMachineConfig(c)).toBeTruthy();
    const padded = floppyMediaImage(new Uint8Array(8704).fill(1));
    expect(padded.length).toBe(1474560);
    expect(padded[8703]).toBe(1);
    expect(padded[8704]).toBe(0);
    expect(floppyMediaImage(floppy)).toBe(floppy);
  });

  const cases: [string, (c: MachineConfig) => void, RegExp][] = [
    ["RAM out of range", (c) => (c.memoryMiB = 4096), /^memoryMiB: .*4096/],
    ["fractional RAM", (c) => (c.memoryMiB = 1.5), /^memoryMiB/],
    ["BIOS size", (c) => (c.bios = new Uint8Array(1000)), /^bios: must be 128 KiB or 256 KiB, got 1000 bytes/],
    ["BIOS without reset jump", (c) => (c.bios = new Uint8Array(128 * 1024)), /^bios: no jump at the reset vector/],
    ["VGA BIOS signature", (c) => (c.vgaBios = new Uint8Array(1024)), /^vgaBios: no 0x55 0xAA/],
    ["odd floppy size", (c) => (c.cards = [{ type: "floppy", drive: 0, image: new Uint8Array(1000) }]), /^cards\[0\]\.image: 1000 bytes is not a floppy size; accepted: 160K/],
    ["oversized floppy", (c) => (c.cards = [{ type: "floppy", drive: 0, image: new Uint8Array(2949120 + 512) }]), /^cards\[0\]\.image: 2949632 bytes is not a floppy size/],
    ["duplicate COM port", (c) => c.cards.push({ type: "serial", index: 0 }, { type: "serial", index: 0 }), /^cards\[2\]: duplicate serial COM1 \(already cards\[1\]\)/],
    ["duplicate IDE slot", (c) => c.cards.push({ type: "ide-disk", channel: 0, slave: false, image: new Uint8Array(512) }, { type: "ide-cdrom", channel: 0, slave: false, image: null }), /duplicate IDE primary master/],
    ["disk not sector-sized", (c) => c.cards.push({ type: "ide-disk", channel: 0, slave: false, image: new Uint8Array(513) }), /^cards\[1\]\.image: 513 bytes is not a non-empty multiple of 512/],
    ["CD not 2048-sized", (c) => c.cards.push({ type: "ide-cdrom", channel: 1, slave: false, image: new Uint8Array(512) }), /multiple of 2048/],
    ["boot from absent device", (c) => (c.boot = { kind: "firmware", order: ["cdrom"] }), /^boot\.order\[0\]: boots from cdrom but no ide-cdrom card/],
    ["firmware boot without BIOS", (c) => delete c.bios, /^bios: firmware boot needs bios\.bin/],
    ["not a bzImage", (c) => (c.boot = { kind: "linux", kernel: new Uint8Array(4096), cmdline: "" }), /^boot\.kernel: not a Linux bzImage/],
    ["no multiboot header", (c) => (c.boot = { kind: "multiboot", kernel: new Uint8Array(4096), cmdline: "" }), /^boot\.kernel: no Multiboot v1 header/],
    ["unknown card", (c) => c.cards.push({ type: "sound" } as never), /^cards\[1\]\.type: unknown card type "sound"/],
    ["VGA without VGA BIOS under firmware", (c) => c.cards.push({ type: "vga" }), /^cards\[1\]: a VGA card under firmware boot needs vgaBios/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name} with a message naming the field`, () => {
      const c = base();
      mutate(c);
      expect(() => validateMachineConfig(c)).toThrow(message);
    });
  }
});
