// Shared test scaffolding: a DeviceContext over a real IOBus/PhysicalMemory with a fake wall clock,
// an IRQ recorder, and the machine's own PCI bus.

import { VirtualClock, type TimedDevice } from "../../src/emulator/clock.ts";
import type { DeviceContext, IrqLines } from "../../src/emulator/device.ts";
import { PciHostBus } from "../../src/emulator/devices/chipset/pci-bus.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";

export class IrqRecorder implements IrqLines {
  readonly levels = new Map<number, boolean>();
  readonly events: [number, boolean][] = [];
  setIrq(line: number, level: boolean): void {
    this.levels.set(line, level);
    this.events.push([line, level]);
  }
  level(line: number): boolean {
    return this.levels.get(line) ?? false;
  }
}

export interface TestPlatform {
  ctx: DeviceContext;
  io: IOBus;
  memory: PhysicalMemory;
  clock: VirtualClock;
  irq: IrqRecorder;
  bus: PciHostBus;
  timers: TimedDevice[];
  resets: string[];
  powerOffs: [number, string][];
  /** Advances the fake wall clock by `ms` milliseconds. */
  advanceMs(ms: number): void;
}

export function makePlatform(ramMiB = 2): TestPlatform {
  let wall = 0;
  const clock = new VirtualClock(() => wall);
  clock.start();
  const io = new IOBus();
  const memory = new PhysicalMemory(ramMiB << 20, { shared: false });
  const irq = new IrqRecorder();
  const timers: TimedDevice[] = [];
  const resets: string[] = [];
  const powerOffs: [number, string][] = [];
  const base = {
    io,
    memory,
    irq,
    clock,
    log: () => {},
    addTimer: (d: TimedDevice) => void timers.push(d),
    rescheduleTimer: () => {},
    requestReset: (r: string) => void resets.push(r),
    requestPowerOff: (s: number, r: string) => void powerOffs.push([s, r]),
  };
  const bus = new PciHostBus(base);
  const ctx: DeviceContext = { ...base, pci: bus };
  return { ctx, io, memory, clock, irq, bus, timers, resets, powerOffs, advanceMs: (ms) => void (wall += ms) };
}

/** Config mechanism #1 read through the ports, as a guest does it. */
export function pciRead(io: IOBus, dev: number, fn: number, offset: number, size: 1 | 2 | 4 = 4): number {
  io.out32(0xcf8, (0x80000000 | (dev << 11) | (fn << 8) | (offset & 0xfc)) >>> 0);
  const port = 0xcfc + (offset & 3);
  return size === 1 ? io.in8(port) : size === 2 ? io.in16(port) : io.in32(port) >>> 0;
}

export function pciWrite(io: IOBus, dev: number, fn: number, offset: number, value: number, size: 1 | 2 | 4 = 4): void {
  io.out32(0xcf8, (0x80000000 | (dev << 11) | (fn << 8) | (offset & 0xfc)) >>> 0);
  const port = 0xcfc + (offset & 3);
  if (size === 1) io.out8(port, value);
  else if (size === 2) io.out16(port, value);
  else io.out32(port, value);
}
