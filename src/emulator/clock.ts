// One virtual clock for every guest timer (PIT, RTC, APIC timer, TSC, ACPI PM timer). It follows wall
// time while the machine runs and stands still while it is paused, so a restored snapshot resumes
// with its timers where they were.

import { expectState, numberField, type SavedState, type Stateful } from "./state.ts";

export type WallClock = () => number; // milliseconds, monotonic

const defaultWallClock: WallClock = () => performance.now();

export class VirtualClock implements Stateful {
  /** Virtual nanoseconds at the moment the clock was last started or paused. */
  private baseNs = 0;
  /** Wall milliseconds at that moment, while running. */
  private wallAtBase = 0;
  private running = false;

  constructor(private readonly wall: WallClock = defaultWallClock) {}

  /** Current virtual time in nanoseconds (a float; exact to well below a microsecond for years). */
  now(): number {
    if (!this.running) return this.baseNs;
    return this.baseNs + (this.wall() - this.wallAtBase) * 1e6;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.wallAtBase = this.wall();
    this.running = true;
  }

  pause(): void {
    if (!this.running) return;
    this.baseNs = this.now();
    this.running = false;
  }

  /** Moves virtual time forward while paused or halted with nothing to do (e.g. deterministic tests,
   *  or skipping an idle period when the host chose not to sleep). */
  advance(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`clock: cannot advance by ${ns} ns`);
    this.baseNs += ns;
  }

  saveState(): SavedState {
    return { type: "clock", version: 1, fields: { nowNs: this.now() } };
  }

  loadState(state: SavedState): void {
    const f = expectState(state, "clock", 1);
    const wasRunning = this.running;
    this.running = false;
    this.baseNs = numberField(f, "clock", "nowNs");
    if (wasRunning) this.start();
  }
}

/** A device whose state changes with time. The machine calls `tick` when virtual time reaches the
 *  deadline it last returned (or earlier); the device does its work and returns its next deadline in
 *  virtual ns, or Infinity when it has none. */
export interface TimedDevice {
  tick(nowNs: number): number;
}
