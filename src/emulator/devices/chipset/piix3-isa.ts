// PIIX3 PCI-to-ISA bridge (PCI 01.0, 8086:7000): the PIRQ A-D route registers (0x60-0x63) that steer
// PCI interrupts onto ISA IRQs, and the reset control register at port 0xCF9.

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import { StateLayout, type SavedState, range, typed } from "../../state.ts";
import { pciConfigHeader, type PciHostBus } from "./pci-bus.ts";

/** PCI address of this function (the ACPI tables describe its route registers). */
export const PIIX3_DEVICE = 1;
export const PIIX3_FUNCTION = 0;
/** PIRQ A-D route registers (one byte each: ISA IRQ in bits 0-3, bit 7 = routing disabled). */
export const PIRQ_ROUTE_REGISTERS = 0x60;
export const PIRQ_ROUTE_DISABLED = 0x80;
const PIRQRC = PIRQ_ROUTE_REGISTERS;
const ROUTE_DISABLED = PIRQ_ROUTE_DISABLED;
const RESET_CONTROL_PORT = 0xcf9;
/** Reset control bits: 1 = system (hard) reset, 2 = reset CPU (0→1 edge starts it), 3 = full reset. */
const RC_SYS_RST = 0x02;
const RC_RST_CPU = 0x04;
const RC_FULL_RST = 0x08;

export interface Piix3Options {
  bus: PciHostBus;
}

export class Piix3Isa implements Device {
  readonly name = "piix3-isa";
  readonly pci: PciFunction;
  private resetControl = 0;

  constructor(private readonly ctx: DeviceContext, options: Piix3Options) {
    const config = pciConfigHeader({ vendor: 0x8086, device: 0x7000, classCode: 0x060100, revision: 0x00 });
    config.fill(ROUTE_DISABLED, PIRQRC, PIRQRC + 4);
    this.pci = {
      name: "piix3 ISA bridge",
      device: PIIX3_DEVICE,
      fn: PIIX3_FUNCTION,
      config,
      configWritten: (offset, size) => {
        if (offset < PIRQRC + 4 && offset + size > PIRQRC) options.bus.pirqRoutingChanged();
      },
    };
    ctx.pci.addFunction(this.pci);
    options.bus.setPirqRouter((pirq) => {
      const v = this.pci.config[PIRQRC + pirq];
      return v & ROUTE_DISABLED ? -1 : v & 0x0f;
    });
    ctx.io.register(RESET_CONTROL_PORT, 1, {
      in8: () => this.resetControl,
      out8: (_p, v) => this.writeResetControl(v),
    }, this.name);
  }

  private writeResetControl(v: number): void {
    const rising = (v & RC_RST_CPU) !== 0 && (this.resetControl & RC_RST_CPU) === 0;
    this.resetControl = v & (RC_SYS_RST | RC_FULL_RST);
    if (rising) this.ctx.requestReset(`port 0xCF9 write 0x${v.toString(16)}`);
  }

  /** PIRQ A-D routing as the guest programmed it (-1 = disabled), for monitoring and tests. */
  pirqRoute(pirq: number): number {
    const v = this.pci.config[PIRQRC + (pirq & 3)];
    return v & ROUTE_DISABLED ? -1 : v & 0x0f;
  }

  reset(): void {
    this.resetControl = 0;
    this.pci.config.fill(ROUTE_DISABLED, PIRQRC, PIRQRC + 4);
  }

  private static readonly STATE = new StateLayout<Piix3Isa>("piix3-isa", 1, {
    resetControl: range(0, RC_SYS_RST | RC_FULL_RST),
    pirq: typed(Uint8Array, 4, {
      get: (d: Piix3Isa) => d.pci.config.subarray(PIRQRC, PIRQRC + 4),
      set: (d: Piix3Isa, v: Uint8Array) => d.pci.config.set(v, PIRQRC),
    }),
  });

  saveState(): SavedState {
    return Piix3Isa.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Piix3Isa.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Piix3Isa.STATE.load(this, state);
  }
}
