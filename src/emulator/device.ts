// What a device module sees of the machine, and what the machine sees of a device. A device is a
// self-contained module: it claims its ports, MMIO ranges, IRQ lines and PCI functions through the
// context, and saves/restores its own named, versioned state.

import type { VirtualClock, TimedDevice } from "./clock.ts";
import type { IOBus } from "./io-bus.ts";
import type { PhysicalMemory } from "./memory.ts";
import type { Stateful } from "./state.ts";

/** Interrupt lines as the devices see them: ISA IRQ 0-15 (routed to the 8259 pair and the I/O APIC)
 *  and PCI INTx via the PIRQ router. Level semantics: raise = line high, lower = line low; an
 *  edge-triggered source raises then lowers. */
export interface IrqLines {
  setIrq(line: number, level: boolean): void;
}

/** The 8259 pair / local APIC side that feeds the CPU's INTR pin. */
export interface CpuInterruptController {
  /** Called by the CPU when INTR is asserted and IF=1. Returns the vector, or -1 when the request
   *  vanished in between (the CPU then just continues). */
  acknowledgeInterrupt(): number;
}

/** One PCI function on bus 0. The PCI bus implementation owns config mechanism #1 and BAR sizing;
 *  devices describe their header and BARs and are told where the guest placed them. */
export interface PciBar {
  /** Size in bytes (power of two; I/O BARs >= 4, memory BARs >= 16). */
  size: number;
  kind: "io" | "mem";
  /** Called with the new base whenever the guest (re)programs the BAR or toggles decoding; -1 = unmapped. */
  onMap(base: number): void;
}

export interface PciFunction {
  readonly name: string;
  /** Device number 0-31 and function 0-7 on bus 0. */
  readonly device: number;
  readonly fn: number;
  /** 256-byte configuration space with vendor/device id, class code, header type, interrupt pin filled in. */
  readonly config: Uint8Array;
  /** BAR0..BAR5 (undefined where unused). */
  readonly bars?: (PciBar | undefined)[];
  /** Optional ROM BAR (offset 0x30) contents, e.g. the VGA BIOS. */
  readonly romImage?: Uint8Array;
  /** Called after the bus has applied a config write (BARs, command register already handled). */
  configWritten?(offset: number, size: number, value: number): void;
  /** Optional: override config reads for live registers (e.g. status bits). */
  configRead?(offset: number, size: number): number | undefined;
}

export interface PciBus {
  addFunction(fn: PciFunction): void;
  /** Interrupt pin INTA#..INTD# (1-4) of a function changed level; routed through PIRQ. */
  setIntx(fn: PciFunction, level: boolean): void;
}

/** The 8237 ISA DMA controller as seen by a DMA-using device (the floppy controller). */
export interface IsaDma {
  /** Moves up to data.length bytes from the device into memory on `channel`; returns bytes moved. */
  writeToMemory(channel: number, data: Uint8Array): number;
  /** Reads up to `length` bytes from memory for the device on `channel`. */
  readFromMemory(channel: number, length: number): Uint8Array;
  /** Bytes the channel still wants to move (current count + 1), 0 when masked or idle. */
  remaining(channel: number): number;
}

export interface Logger {
  (level: "debug" | "info" | "warn" | "error", source: string, message: string): void;
}

export interface DeviceContext {
  readonly io: IOBus;
  readonly memory: PhysicalMemory;
  readonly irq: IrqLines;
  readonly clock: VirtualClock;
  readonly pci: PciBus;
  readonly log: Logger;
  /** Registers a timed device; the machine keeps the earliest deadline. */
  addTimer(device: TimedDevice): void;
  /** Asks the machine to call tick() on this device before the next instruction slice
   *  (after a register write that changed its deadline). */
  rescheduleTimer(device: TimedDevice): void;
  /** Guest asked for a full machine reset (keyboard controller 0xFE, port 0xCF9, triple fault). */
  requestReset(reason: string): void;
  /** Guest asked to power off (ACPI S5) or to exit with a status (isa-debug-exit). */
  requestPowerOff(exitStatus: number, reason: string): void;
}

export interface Device extends Stateful {
  readonly name: string;
  /** Back to power-on state (hard reset). */
  reset(): void;
}
