// One virtual clock for every guest timer (PIT, RTC, APIC timer, TSC, ACPI PM timer). It follows wall
// time while the machine runs and stands still while it is paused, so a restored snapshot resumes
// with its timers where they were.

import { f64, StateLayout, type SavedState, type Stateful } from "./state.ts";
import { hostNow } from "./host.ts";

export type WallClock = () => number; // milliseconds, monotonic

const defaultWallClock: WallClock = hostNow;

export class VirtualClock implements Stateful {
  /** Virtual nanoseconds at the moment the clock was last started or paused. */
  private baseNs = 0;
  /** Wall milliseconds at that moment, while running. */
  private wallAtBase = 0;
  private running = false;
  /** Virtual time stops here until the machine has handled its timers (see holdAt). */
  private holdNs = Infinity;

  constructor(private readonly wall: WallClock = defaultWallClock) {}

  /** Current virtual time in nanoseconds (a float; exact to well below a microsecond for years). */
  now(): number {
    if (!this.running) return this.baseNs;
    const t = this.baseNs + (this.wall() - this.wallAtBase) * 1e6;
    return t < this.holdNs ? t : this.holdNs;
  }

  /** The host's wall clock in milliseconds (for measuring host speed, not guest time). */
  wallNow(): number {
    return this.wall();
  }

  /** Virtual time will not pass `ns` (the next timer deadline) until the machine calls settle() and
   *  runs its timers. When the host falls behind (a slow chunk, a descheduled thread, a late wake-up)
   *  the guest then sees every timer period instead of periods skipped in one jump: periodic timer
   *  interrupts are not lost and clocksources derived from them stay in step with the TSC. */
  holdAt(ns: number): void {
    this.holdNs = ns;
  }

  /** Drops the wall time that passed while virtual time was held, so it goes on from the hold point
   *  (the guest falls behind wall time by what the host could not give it). */
  settle(): void {
    if (!this.running) return;
    const wallNow = this.wall();
    const t = this.baseNs + (wallNow - this.wallAtBase) * 1e6;
    if (t > this.holdNs) {
      this.baseNs = this.holdNs;
      this.wallAtBase = wallNow;
    }
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

  /** A restored snapshot's virtual time; the clock keeps running if it was. */
  private restoreNow(ns: number): void {
    const wasRunning = this.running;
    this.running = false;
    this.baseNs = ns;
    this.holdNs = Infinity;
    if (wasRunning) this.start();
  }

  private static readonly STATE = new StateLayout<VirtualClock>("clock", 1, {
    nowNs: f64({ min: 0, get: (c: VirtualClock) => c.now(), set: (c: VirtualClock, ns: number) => c.restoreNow(ns) }),
  });

  saveState(): SavedState {
    return VirtualClock.STATE.save(this);
  }

  checkState(state: SavedState): void {
    VirtualClock.STATE.check(state);
  }

  loadState(state: SavedState): void {
    VirtualClock.STATE.load(this, state);
  }
}

/** A device whose state changes with time. The machine calls `tick` when virtual time reaches the
 *  deadline it last returned (or earlier); the device does its work and returns its next deadline in
 *  virtual ns, or Infinity when it has none. */
export interface TimedDevice {
  tick(nowNs: number): number;
}
