// A deterministic mini-machine for chipset tests: real IOBus and PhysicalMemory, a VirtualClock that
// only moves when the test advances it, and a timer loop that ticks devices exactly at their deadlines
// (what the machine's run loop does between instruction slices).

import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";
import { VirtualClock, type TimedDevice } from "../../src/emulator/clock.ts";
import type { DeviceContext, IrqLines, PciBus } from "../../src/emulator/device.ts";

export interface IrqEvent {
  line: number;
  level: boolean;
  atNs: number;
}

export class Harness {
  readonly io = new IOBus();
  readonly memory = new PhysicalMemory(2 << 20, { shared: false });
  readonly clock = new VirtualClock(() => 0);
  readonly timers: TimedDevice[] = [];
  readonly deadlines = new Map<TimedDevice, number>();
  readonly irqEvents: IrqEvent[] = [];
  readonly resets: string[] = [];
  readonly powerOffs: { status: number; reason: string }[] = [];
  readonly logs: string[] = [];
  /** Where setIrq goes; defaults to recording only. */
  irqSink: IrqLines | null = null;
  readonly ctx: DeviceContext;

  constructor() {
    const irq: IrqLines = {
      setIrq: (line, level) => {
        this.irqEvents.push({ line, level, atNs: this.clock.now() });
        if (this.irqSink) this.irqSink.setIrq(line, level);
      },
    };
    const pci: PciBus = {
      addFunction: () => {
        throw new Error("no PCI in chipset tests");
      },
      setIntx: () => {},
    };
    this.ctx = {
      io: this.io,
      memory: this.memory,
      irq,
      clock: this.clock,
      pci,
      log: (level, source, message) => {
        this.logs.push(`${level} ${source}: ${message}`);
      },
      addTimer: (d) => {
        this.timers.push(d);
        this.deadlines.set(d, 0);
      },
      rescheduleTimer: (d) => {
        this.deadlines.set(d, this.clock.now());
      },
      requestReset: (reason) => {
        this.resets.push(reason);
      },
      requestPowerOff: (status, reason) => {
        this.powerOffs.push({ status, reason });
      },
    };
  }

  get now(): number {
    return this.clock.now();
  }

  /** Ticks every device whose deadline has come. */
  tickDue(): void {
    const now = this.clock.now();
    for (const d of this.timers) {
      if ((this.deadlines.get(d) ?? 0) <= now) this.deadlines.set(d, d.tick(now));
    }
  }

  /** Advances virtual time to `targetNs`, ticking devices at their exact deadlines on the way.
   *  `onStep` runs after each tick batch (a stand-in for the CPU handling interrupts). */
  runUntil(targetNs: number, onStep?: () => void): void {
    this.tickDue();
    if (onStep) onStep();
    for (let guard = 0; guard < 10_000_000; guard++) {
      let next = Infinity;
      for (const d of this.timers) next = Math.min(next, this.deadlines.get(d) ?? Infinity);
      if (next > targetNs) break;
      if (next > this.clock.now()) this.clock.advance(next - this.clock.now());
      this.tickDue();
      if (onStep) onStep();
    }
    if (targetNs > this.clock.now()) this.clock.advance(targetNs - this.clock.now());
    this.tickDue();
    if (onStep) onStep();
  }

  runFor(ns: number, onStep?: () => void): void {
    this.runUntil(this.clock.now() + ns, onStep);
  }

  /** Advances time without ticking (a CPU busy in a long slice). */
  advance(ns: number): void {
    this.clock.advance(ns);
  }

  rising(line: number): IrqEvent[] {
    return this.irqEvents.filter((e) => e.line === line && e.level);
  }
}

/** A CPU stand-in: records INTR and NMIs; `serviceAll` acknowledges like an IF=1 CPU would. */
export class FakeCpu {
  intr = false;
  nmis = 0;
  readonly intrChanges: boolean[] = [];
  setIntrLine(level: boolean): void {
    this.intr = level;
    this.intrChanges.push(level);
  }
  raiseNmi(): void {
    this.nmis++;
  }
}
