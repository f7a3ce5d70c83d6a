// ACPI PCI hot-plug controller for bus 0, with the register interface QEMU's PIIX4 gives its ACPI
// BIOS (docs/specs/acpi_pci_hotplug): the DSDT's GPE handler reads which slots gained a card (UP) or
// are asked to give one back (DOWN) and notifies the slot objects; a slot's _EJ0 writes its bit to
// the eject register once the OS has let go of the card. The event reaches the OS as a GPE0 status
// bit of the PIIX4 PM function (SCI).
//
// Registers (32 bits each, from PCI_HOTPLUG_IO_BASE): 0x00 UP (read: pending insertions, cleared by
// the read), 0x04 DOWN (read: pending removal requests, kept until the slot is empty), 0x08 EJECT
// (write: one bit per slot to eject; read: feature bits, none), 0x0C RMV (read: hot-pluggable slots),
// 0x10 SEL (bus selector: only bus 0 exists; another bus reads as empty and ignores ejects).

import type { DeviceContext } from "../../device.ts";
import { StateLayout, u32, type SavedState } from "../../state.ts";

export const PCI_HOTPLUG_IO_BASE = 0xae00;
export const PCI_HOTPLUG_IO_LENGTH = 0x14;
/** GPE0 bit (\_GPE._E01) that signals a hot-plug event. */
export const PCI_HOTPLUG_GPE = 1;
/** Devices 0-2 are the host bridge, the PIIX3 and the display; slots 3-31 take plug-in cards. */
export const FIRST_HOTPLUG_SLOT = 3;
export const LAST_HOTPLUG_SLOT = 31;
/** One bit per hot-pluggable slot. */
export const HOTPLUG_SLOT_MASK = (0xffffffff << FIRST_HOTPLUG_SLOT) >>> 0;

const UP = 0x00;
const DOWN = 0x04;
const EJECT = 0x08;
const RMV = 0x0c;
const SEL = 0x10;

export interface PciHotplugOptions {
  /** Sets a GPE0 status bit (and the SCI when it is enabled). */
  raiseGpe(bit: number): void;
  /** Whether a removable card sits in `slot`. */
  occupied(slot: number): boolean;
  /** The guest ejected the card in `slot` (an occupied hot-plug slot): take it off the machine. */
  eject(slot: number): void;
}

export function isHotplugSlot(slot: number): boolean {
  return Number.isInteger(slot) && slot >= FIRST_HOTPLUG_SLOT && slot <= LAST_HOTPLUG_SLOT;
}

/** Part of the PIIX4 PM function (acpi-pm.ts), which owns its GPE and saves its state. */
export class PciHotplug {
  readonly name = "pci-hotplug";
  /** Slots whose insertion the guest has not read yet. */
  private up = 0;
  /** Slots the host asked the guest to eject. */
  private down = 0;
  private select = 0;

  constructor(ctx: DeviceContext, private readonly options: PciHotplugOptions) {
    ctx.io.register(PCI_HOTPLUG_IO_BASE, PCI_HOTPLUG_IO_LENGTH, {
      in8: (p) => this.read(p - PCI_HOTPLUG_IO_BASE, 1),
      in16: (p) => this.read(p - PCI_HOTPLUG_IO_BASE, 2),
      in32: (p) => this.read(p - PCI_HOTPLUG_IO_BASE, 4),
      out8: (p, v) => this.write(p - PCI_HOTPLUG_IO_BASE, 1, v),
      out16: (p, v) => this.write(p - PCI_HOTPLUG_IO_BASE, 2, v),
      out32: (p, v) => this.write(p - PCI_HOTPLUG_IO_BASE, 4, v),
    }, this.name);
  }

  /** A card was put in `slot`: tell the guest (device check). */
  plugged(slot: number): void {
    const bit = slotBit(slot);
    this.up = (this.up | bit) >>> 0;
    this.down = (this.down & ~bit) >>> 0;
    this.options.raiseGpe(PCI_HOTPLUG_GPE);
  }

  /** Ask the guest to release the card in `slot` (eject request); it goes when the guest ejects it. */
  requestUnplug(slot: number): void {
    this.down = (this.down | slotBit(slot)) >>> 0;
    this.options.raiseGpe(PCI_HOTPLUG_GPE);
  }

  /** The slot is empty now (ejected, or pulled without asking): nothing is pending for it. */
  emptied(slot: number): void {
    const bit = slotBit(slot);
    this.up = (this.up & ~bit) >>> 0;
    this.down = (this.down & ~bit) >>> 0;
  }

  /** Whether the host's removal request for `slot` is still waiting for the guest. */
  unplugPending(slot: number): boolean {
    return (this.down & slotBit(slot)) !== 0;
  }

  private read(offset: number, size: number): number {
    const { reg, shift, lanes } = access(offset, size);
    let value = 0;
    switch (reg) {
      case UP:
        if (this.select !== 0) break;
        value = this.up;
        this.up = (this.up & ~lanes) >>> 0; // the guest has seen these insertions
        break;
      case DOWN:
        value = this.select === 0 ? this.down : 0;
        break;
      case EJECT:
        value = 0; // no optional features
        break;
      case RMV:
        value = this.select === 0 ? HOTPLUG_SLOT_MASK : 0;
        break;
      case SEL:
        value = this.select;
        break;
    }
    const v = (value & lanes) >>> shift;
    return size === 4 ? v | 0 : v;
  }

  private write(offset: number, size: number, value: number): void {
    const { reg, shift, lanes } = access(offset, size);
    const v = ((value << shift) & lanes) >>> 0;
    if (reg === SEL) {
      this.select = ((this.select & ~lanes) | v) >>> 0;
      return;
    }
    if (reg !== EJECT || this.select !== 0) return; // read-only registers, or a bus that does not exist
    // Only occupied hot-plug slots eject; bits for empty or fixed slots are ignored.
    const bits = v & HOTPLUG_SLOT_MASK;
    for (let slot = FIRST_HOTPLUG_SLOT; slot <= LAST_HOTPLUG_SLOT; slot++) {
      if (bits & slotBit(slot) && this.options.occupied(slot)) {
        this.options.eject(slot);
        this.emptied(slot);
      }
    }
  }

  reset(): void {
    // The cards stay in their slots; the guest finds them by enumeration after a reset.
    this.up = 0;
    this.down = 0;
    this.select = 0;
  }

  static readonly STATE = new StateLayout<PciHotplug>("pci-hotplug", 1, {
    up: u32(),
    down: u32(),
    select: u32(),
  }, {
    rule: (f) => {
      const extra = ((f.up as number) | (f.down as number)) & ~HOTPLUG_SLOT_MASK;
      return extra ? `fields "up"/"down" have bits for slots that are not hot-pluggable (0x${(extra >>> 0).toString(16)})` : null;
    },
  });

  /** The state of a controller with nothing pending (what a snapshot from before hot-plug loads). */
  static readonly IDLE_STATE: SavedState = { type: "pci-hotplug", version: 1, fields: { up: 0, down: 0, select: 0 } };
}

/** The 32-bit register an access of `size` bytes at `offset` touches, and the bits it covers. */
function access(offset: number, size: number): { reg: number; shift: number; lanes: number } {
  const shift = (offset & 3) * 8;
  const lanes = size === 4 ? 0xffffffff : (((1 << (size * 8)) - 1) << shift) >>> 0;
  return { reg: offset & ~3, shift, lanes };
}

function slotBit(slot: number): number {
  if (!isHotplugSlot(slot)) throw new RangeError(`pci-hotplug: slot ${slot} is not a hot-plug slot (${FIRST_HOTPLUG_SLOT}-${LAST_HOTPLUG_SLOT})`);
  return (1 << slot) >>> 0;
}
