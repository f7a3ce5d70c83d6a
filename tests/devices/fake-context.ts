// A DeviceContext for device unit tests: a real IOBus and PhysicalMemory, a paused virtual clock the
// test advances by hand, and recorders for IRQ levels, PCI functions, timers and reset requests.

import { VirtualClock, type TimedDevice } from "../../src/emulator/clock.ts";
import type { DeviceContext, PciBus, PciFunction } from "../../src/emulator/device.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";

export interface TestContext extends DeviceContext {
  readonly levels: boolean[];
  /** Every change of level, in order: [line, level]. */
  readonly irqLog: [number, boolean][];
  /** Number of low→high transitions per line. */
  readonly raises: number[];
  readonly pciFunctions: PciFunction[];
  readonly timers: TimedDevice[];
  readonly resets: string[];
  readonly logs: string[];
  /** Advances virtual time by ns and ticks every timer whose deadline passed. */
  advance(ns: number): void;
}

export function makeTestContext(ramMiB = 4): TestContext {
  const io = new IOBus();
  const memory = new PhysicalMemory(ramMiB << 20, { shared: false });
  const clock = new VirtualClock(() => 0);
  const levels: boolean[] = new Array(16).fill(false);
  const raises: number[] = new Array(16).fill(0);
  const irqLog: [number, boolean][] = [];
  const pciFunctions: PciFunction[] = [];
  const timers: TimedDevice[] = [];
  const deadlines = new Map<TimedDevice, number>();
  const resets: string[] = [];
  const logs: string[] = [];
  const pci: PciBus = {
    addFunction: (fn) => void pciFunctions.push(fn),
    setIntx: () => {},
  };
  const tickDue = () => {
    for (let round = 0; round < 1000; round++) {
      let any = false;
      for (const t of timers) {
        const d = deadlines.get(t) ?? 0;
        if (d <= clock.now()) {
          deadlines.set(t, t.tick(clock.now()));
          any = true;
        }
      }
      if (!any) return;
      if ([...deadlines.values()].every((d) => d > clock.now())) return;
    }
  };
  const ctx: TestContext = {
    io,
    memory,
    clock,
    pci,
    irq: {
      setIrq(line, level) {
        if (level && !levels[line]) raises[line]++;
        if (levels[line] !== level) irqLog.push([line, level]);
        levels[line] = level;
      },
    },
    log: (level, source, message) => void logs.push(`${level} ${source}: ${message}`),
    addTimer: (t) => {
      timers.push(t);
      deadlines.set(t, t.tick(clock.now()));
    },
    rescheduleTimer: (t) => void deadlines.set(t, t.tick(clock.now())),
    requestReset: (reason) => void resets.push(reason),
    requestPowerOff: () => {},
    levels,
    irqLog,
    raises,
    pciFunctions,
    timers,
    resets,
    logs,
    advance(ns: number) {
      clock.advance(ns);
      tickDue();
    },
  };
  return ctx;
}
