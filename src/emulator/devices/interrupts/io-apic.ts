// Intel 82093AA-style I/O APIC at 0xFEC00000 (IOREGSEL at +0x00, IOWIN at +0x10): 24 redirection
// entries, version 0x11. Level-triggered entries keep Remote IRR set from delivery until the local
// APIC broadcasts the EOI of their vector; version 0x11 has no EOI register, so Linux clears a stuck
// Remote IRR by switching the entry to edge and back, which is honoured here.
//
// Input lines carry the *asserted* state (the IrqLines contract), so the polarity bit is stored for
// the guest to read back but does not invert anything: the board wires each line with the polarity
// its firmware tables declare. Edges arriving while an entry is masked are lost, as on the chip.

import type { DeviceContext, Device } from "../../device.ts";
import type { MmioHandler } from "../../memory.ts";
import { StateError, type SavedState, StateLayout, range, typed, u8 } from "../../state.ts";

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x00170011; // max redirection entry 23, version 0x11

const RTE_MASKED = 0x10000;
const RTE_LEVEL = 0x8000;
const RTE_REMOTE_IRR = 0x4000;
const RTE_DELIVERY_STATUS = 0x1000;
const RTE_LOW_WRITABLE = 0x1afff; // vector, delivery mode, dest mode, polarity, trigger, mask
const DM_NMI = 4;
const DM_EXTINT = 7;

/** Where the I/O APIC's messages go (the local APIC of the one CPU). */
export interface IoApicWiring {
  /** Sends a fixed / lowest-priority message; returns true when a local APIC accepted it. */
  deliver(dest: number, logical: boolean, vector: number, level: boolean): boolean;
  /** An NMI message for the destination. */
  deliverNmi(dest: number, logical: boolean): void;
  /** An entry's routing changed (mask, mode, destination): ExtINT routes must be re-evaluated. */
  onRoutingChange(): void;
}

export class IoApic implements Device, MmioHandler {
  readonly name = "io-apic";
  id = 0;
  private select = 0;
  /** Redirection table: [2n] = low dword, [2n+1] = high dword (destination in bits 24-31). */
  readonly redirection = new Uint32Array(IOAPIC_PINS * 2);
  /** Asserted input lines, one bit per pin. */
  lines = 0;
  /** Messages sent per pin (for monitoring). */
  readonly deliveries = new Float64Array(IOAPIC_PINS);

  constructor(
    private readonly ctx: DeviceContext,
    private readonly wiring: IoApicWiring,
    base = IOAPIC_DEFAULT_BASE,
  ) {
    this.resetRegisters();
    ctx.memory.mapMmio(base, 0x1000, this);
  }

  private resetRegisters(): void {
    this.select = 0;
    for (let i = 0; i < IOAPIC_PINS; i++) {
      this.redirection[2 * i] = RTE_MASKED;
      this.redirection[2 * i + 1] = 0;
    }
  }

  reset(): void {
    this.id = 0;
    this.lines = 0;
    this.deliveries.fill(0);
    this.resetRegisters();
    this.wiring.onRoutingChange();
  }

  /** Drives input `pin` (0-23) to asserted (`true`) or idle. */
  setLine(pin: number, asserted: boolean): void {
    const bit = 1 << pin;
    const was = (this.lines & bit) !== 0;
    if (asserted) this.lines |= bit;
    else this.lines &= ~bit;
    if (!asserted) return;
    const low = this.redirection[2 * pin];
    if (low & RTE_MASKED) return;
    if (low & RTE_LEVEL) {
      if ((low & RTE_REMOTE_IRR) === 0) this.send(pin);
    } else if (!was) {
      this.send(pin);
    }
  }

  /** The vector of `pin`'s entry when it is unmasked and delivers fixed / lowest priority, else -1. */
  liveVector(pin: number): number {
    const low = this.redirection[2 * pin];
    if (low & RTE_MASKED) return -1;
    const mode = (low >> 8) & 7;
    return mode === 0 || mode === 1 ? low & 0xff : -1;
  }

  /** True when `pin` is an unmasked ExtINT entry aimed at the CPU: the 8259 INTR is routed through. */
  extIntRouted(pin: number, accepts: (dest: number, logical: boolean) => boolean): boolean {
    const low = this.redirection[2 * pin];
    if (low & RTE_MASKED || ((low >> 8) & 7) !== DM_EXTINT) return false;
    return accepts(this.redirection[2 * pin + 1] >>> 24, (low & 0x800) !== 0);
  }

  private send(pin: number): void {
    const low = this.redirection[2 * pin];
    const dest = this.redirection[2 * pin + 1] >>> 24;
    const logical = (low & 0x800) !== 0;
    const mode = (low >> 8) & 7;
    if (mode === DM_NMI) {
      this.deliveries[pin]++;
      this.wiring.deliverNmi(dest, logical);
      return;
    }
    if (mode !== 0 && mode !== 1) return; // ExtINT is a routing; SMI / INIT are not modelled
    const level = (low & RTE_LEVEL) !== 0;
    if (this.wiring.deliver(dest, logical, low & 0xff, level)) {
      this.deliveries[pin]++;
      if (level) this.redirection[2 * pin] = low | RTE_REMOTE_IRR;
    }
  }

  /** The local APIC's EOI broadcast for a level-triggered vector. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const low = this.redirection[2 * pin];
      if ((low & RTE_REMOTE_IRR) === 0 || (low & 0xff) !== vector) continue;
      this.redirection[2 * pin] = low & ~RTE_REMOTE_IRR;
      // Still asserted: the level interrupt is sent again.
      if ((this.lines & (1 << pin)) && (low & RTE_MASKED) === 0 && (low & RTE_LEVEL)) this.send(pin);
    }
  }

  readRegister(index: number): number {
    switch (index) {
      case 0x00:
        return (this.id << 24) >>> 0;
      case 0x01:
        return IOAPIC_VERSION;
      case 0x02:
        return (this.id << 24) >>> 0; // arbitration ID
    }
    if (index >= 0x10 && index < 0x10 + IOAPIC_PINS * 2) return this.redirection[index - 0x10] >>> 0;
    return 0;
  }

  writeRegister(index: number, value: number): void {
    value >>>= 0;
    if (index === 0x00) {
      this.id = (value >>> 24) & 0x0f;
      return;
    }
    if (index < 0x10 || index >= 0x10 + IOAPIC_PINS * 2) return; // version, arbitration: read-only
    const slot = index - 0x10;
    const pin = slot >> 1;
    if (slot & 1) {
      this.redirection[slot] = value & 0xff000000;
    } else {
      const old = this.redirection[slot];
      let low = (value & RTE_LOW_WRITABLE) | (old & RTE_REMOTE_IRR);
      // Remote IRR means nothing for an edge entry; switching to edge clears it.
      if ((low & RTE_LEVEL) === 0) low &= ~RTE_REMOTE_IRR;
      low &= ~RTE_DELIVERY_STATUS;
      this.redirection[slot] = low;
      // An unmasked level entry whose line is asserted is sent now (an edge that came while masked is lost).
      if ((low & RTE_MASKED) === 0 && (low & RTE_LEVEL) && (low & RTE_REMOTE_IRR) === 0 && (this.lines & (1 << pin))) this.send(pin);
    }
    this.wiring.onRoutingChange();
  }

  // ---- MMIO ----

  read32(addr: number): number {
    switch (addr & 0xfff) {
      case 0x00:
        return this.select;
      case 0x10:
        return this.readRegister(this.select) | 0;
    }
    return 0;
  }

  write32(addr: number, value: number): void {
    switch (addr & 0xfff) {
      case 0x00:
        this.select = value & 0xff;
        return;
      case 0x10:
        this.writeRegister(this.select, value);
    }
  }

  read8(addr: number): number {
    return (this.read32(addr & ~3) >>> ((addr & 3) * 8)) & 0xff;
  }

  read16(addr: number): number {
    return (this.read32(addr & ~3) >>> ((addr & 2) * 8)) & 0xffff;
  }

  write8(addr: number, value: number): void {
    const offset = addr & 0xfff;
    if (offset === 0x00) {
      this.select = value & 0xff;
      return;
    }
    if ((offset & ~3) === 0x10) {
      // Narrow write into IOWIN: merge into the selected register.
      const shift = (offset & 3) * 8;
      const current = this.readRegister(this.select);
      this.writeRegister(this.select, (current & ~(0xff << shift)) | ((value & 0xff) << shift));
    }
  }

  write16(addr: number, value: number): void {
    this.write8(addr, value & 0xff);
    this.write8(addr + 1, (value >> 8) & 0xff);
  }

  static readonly STATE = new StateLayout<IoApic>("io-apic", 1, {
    id: range(0, 15),
    select: u8(),
    redirection: typed(Uint32Array, IOAPIC_PINS * 2),
    lines: range(0, (1 << IOAPIC_PINS) - 1),
    deliveries: typed(Float64Array, IOAPIC_PINS),
  }, {
    afterLoad: (i: IoApic) => {
        i.wiring.onRoutingChange();
    },
  });

  saveState(): SavedState {
    return IoApic.STATE.save(this);
  }

  checkState(state: SavedState): void {
    IoApic.STATE.check(state);
  }

  loadState(state: SavedState): void {
    IoApic.STATE.load(this, state);
  }
}
