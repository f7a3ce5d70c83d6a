// The ACPI PCI hot-plug controller of the PIIX4 PM function, driven the way the DSDT's \_GPE._E01
// and the slots' _EJ0 drive it: GPE0 bit 1 raises the SCI when enabled, UP/DOWN tell which slots to
// notify, EJECT takes a card away only from an occupied hot-plug slot.

import { describe, expect, it } from "vitest";
import { AcpiPm } from "../../src/emulator/devices/chipset/acpi-pm.ts";
import { HOTPLUG_SLOT_MASK, PCI_HOTPLUG_GPE, PCI_HOTPLUG_IO_BASE } from "../../src/emulator/devices/chipset/pci-hotplug.ts";
import { ACPI_ENABLE_VALUE, PM_IO_BASE, SCI_IRQ, SMI_CMD_PORT } from "../../src/emulator/devices/firmware/acpi-tables.ts";
import { makePlatform } from "../machine/helpers.ts";

const UP = PCI_HOTPLUG_IO_BASE;
const DOWN = PCI_HOTPLUG_IO_BASE + 4;
const EJECT = PCI_HOTPLUG_IO_BASE + 8;
const RMV = PCI_HOTPLUG_IO_BASE + 0x0c;
const SEL = PCI_HOTPLUG_IO_BASE + 0x10;
const GPE0_STS = PM_IO_BASE + 0x0c;
const GPE0_EN = PM_IO_BASE + 0x0e;

function build(occupiedSlots: number[] = []) {
  const p = makePlatform();
  const ejected: number[] = [];
  const occupied = new Set(occupiedSlots);
  const pm = new AcpiPm(p.ctx, {
    hotplug: {
      occupied: (s) => occupied.has(s),
      eject: (s) => {
        ejected.push(s);
        occupied.delete(s);
      },
    },
  });
  pm.enableAt(PM_IO_BASE);
  p.io.out8(SMI_CMD_PORT, ACPI_ENABLE_VALUE);
  return { p, pm, ejected, occupied };
}

describe("PCI hot-plug controller", () => {
  it("signals a plugged card through GPE0 bit 1 and the SCI, once the OS enables that GPE", () => {
    const { p, pm } = build([5]);
    pm.hotplug.plugged(5);
    expect(p.io.in16(GPE0_STS)).toBe(1 << PCI_HOTPLUG_GPE);
    expect(p.irq.level(SCI_IRQ)).toBe(false); // not enabled yet: pending
    p.io.out16(GPE0_EN, 1 << PCI_HOTPLUG_GPE);
    expect(p.irq.level(SCI_IRQ)).toBe(true);
    // The GPE handler: UP names slot 5 once (the read consumes it); DOWN is empty.
    expect(p.io.in32(UP) >>> 0).toBe(1 << 5);
    expect(p.io.in32(UP)).toBe(0);
    expect(p.io.in32(DOWN)).toBe(0);
    p.io.out16(GPE0_STS, 1 << PCI_HOTPLUG_GPE); // the OS clears the status: SCI drops
    expect(p.irq.level(SCI_IRQ)).toBe(false);
  });

  it("keeps an unplug request in DOWN until the guest ejects the slot; ejects only occupied hot-plug slots", () => {
    const { p, pm, ejected } = build([7]);
    p.io.out16(GPE0_EN, 1 << PCI_HOTPLUG_GPE);
    pm.hotplug.requestUnplug(7);
    expect(p.irq.level(SCI_IRQ)).toBe(true);
    expect(p.io.in32(DOWN) >>> 0).toBe(1 << 7);
    expect(p.io.in32(DOWN) >>> 0).toBe(1 << 7); // not consumed by reading
    expect(pm.hotplug.unplugPending(7)).toBe(true);
    // Ejects of an empty slot, of the chipset's slots and of every bit at once touch only slot 7.
    p.io.out32(EJECT, 1 << 9);
    p.io.out32(EJECT, (1 << 0) | (1 << 1) | (1 << 2));
    expect(ejected).toEqual([]);
    p.io.out32(EJECT, -1);
    expect(ejected).toEqual([7]);
    expect(p.io.in32(DOWN)).toBe(0);
    expect(pm.hotplug.unplugPending(7)).toBe(false);
    // Byte-wide writes reach the right lane too.
    p.io.out8(EJECT, 1 << 7);
    expect(ejected).toEqual([7]); // slot 7 is empty now
  });

  it("reports the hot-pluggable slots and no features; another bus (SEL) reads empty and ejects nothing", () => {
    const { p, pm, ejected } = build([3]);
    expect(p.io.in32(RMV) >>> 0).toBe(HOTPLUG_SLOT_MASK);
    expect(p.io.in32(EJECT)).toBe(0);
    pm.hotplug.plugged(3);
    p.io.out32(SEL, 1);
    expect(p.io.in32(SEL)).toBe(1);
    expect(p.io.in32(UP)).toBe(0);
    expect(p.io.in32(RMV)).toBe(0);
    p.io.out32(EJECT, 1 << 3);
    expect(ejected).toEqual([]);
    p.io.out32(SEL, 0);
    expect(p.io.in32(UP) >>> 0).toBe(1 << 3); // bus 0's event is still there
    // Writes to the read-only registers change nothing.
    p.io.out32(UP, -1);
    p.io.out32(DOWN, -1);
    expect(p.io.in32(UP)).toBe(0);
    expect(p.io.in32(DOWN)).toBe(0);
  });

  it("saves pending events with the PM function, loads a snapshot made before hot-plug, refuses bits of fixed slots", () => {
    const a = build([4]);
    a.pm.hotplug.plugged(4);
    a.pm.hotplug.requestUnplug(4);
    const saved = a.pm.saveState();
    const b = build([4]);
    b.pm.loadState(saved);
    expect(b.p.io.in32(DOWN) >>> 0).toBe(1 << 4);
    expect(b.p.io.in32(UP) >>> 0).toBe(1 << 4);

    const old = structuredClone(saved);
    old.version = 1;
    delete (old.fields as Record<string, unknown>).hotplug;
    const c = build();
    c.pm.loadState(old);
    expect(c.p.io.in32(DOWN)).toBe(0);

    const bad = structuredClone(saved);
    ((bad.fields.hotplug as { fields: Record<string, number> }).fields).up = 1 << 1;
    expect(() => c.pm.loadState(bad)).toThrow(/pci-hotplug: fields "up"\/"down" have bits for slots that are not hot-pluggable \(0x2\)/);
  });
});
