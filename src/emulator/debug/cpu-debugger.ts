// A host debugger attached to one CPU: execution breakpoints (by linear address, checked before an
// instruction; guest memory is never patched), watchpoints (write, read or access, on linear
// ranges), single step and break-in. It arms the CPU's debug path (cpu/debug.ts HostDebugger): while
// anything is armed the CPU runs one instruction at a time through these checks, and run() ends
// with cpu.debugStopped when one of them stops it; machine.runSlice then returns "debugger".

import type { CPU } from "../cpu/cpu.ts";
import type { HostDebugger } from "../cpu/debug.ts";
import { CS } from "../cpu/constants.ts";

export type WatchKind = "write" | "read" | "access";

export interface Watchpoint {
  kind: WatchKind;
  addr: number;
  length: number;
}

/** Why the CPU stopped, for the stop reply. */
export type StopReason =
  | { kind: "breakpoint"; hardware: boolean }
  | { kind: "watchpoint"; watch: Watchpoint }
  | { kind: "step" }
  | { kind: "break-in" };

/** Bounds on what a client may arm (each breakpoint check is a Set lookup, each watched access a
 *  scan of the watchpoints). */
export const MAX_BREAKPOINTS = 1024;
export const MAX_WATCHPOINTS = 32;

export class CpuDebugger implements HostDebugger {
  /** Linear address → true for a hardware (Z1) breakpoint, false for a software (Z0) one. */
  private readonly breakpoints = new Map<number, boolean>();
  private readonly watchpoints: Watchpoint[] = [];
  stepping = false;
  private breakRequested = false;
  /** The instruction the CPU resumes at runs without its breakpoint stopping it again. */
  private skipAt = 0;
  private skipping = false;
  private hit: Watchpoint | null = null;
  /** Linear address of the instruction last let through (a REP restart comes back to it). */
  private lastLin = 0;
  active = false;
  watching = false;
  /** Why the CPU last stopped (set when a check stops it). */
  stopReason: StopReason = { kind: "break-in" };

  constructor(readonly cpu: CPU) {}

  attach(): void {
    this.cpu.hostDebugger = this;
    this.rearm();
  }

  /** Removes every breakpoint and watchpoint and lets the CPU run at full speed again. */
  detach(): void {
    this.breakpoints.clear();
    this.watchpoints.length = 0;
    this.stepping = this.breakRequested = this.skipping = false;
    this.rearm();
    this.cpu.hostDebugger = null;
    this.cpu.updateBreakpoints();
  }

  addBreakpoint(lin: number, hardware: boolean): boolean {
    if (!this.breakpoints.has(lin | 0) && this.breakpoints.size >= MAX_BREAKPOINTS) return false;
    this.breakpoints.set(lin | 0, hardware);
    this.rearm();
    return true;
  }

  removeBreakpoint(lin: number): void {
    this.breakpoints.delete(lin | 0);
    this.rearm();
  }

  addWatchpoint(w: Watchpoint): boolean {
    if (w.length < 1 || this.watchpoints.length >= MAX_WATCHPOINTS) return false;
    this.watchpoints.push({ kind: w.kind, addr: w.addr >>> 0, length: w.length });
    this.rearm();
    return true;
  }

  removeWatchpoint(w: Watchpoint): void {
    const i = this.watchpoints.findIndex((x) => x.kind === w.kind && x.addr === w.addr >>> 0 && x.length === w.length);
    if (i >= 0) this.watchpoints.splice(i, 1);
    this.rearm();
  }

  /** Before the CPU runs again: `step` stops it after one instruction. The instruction at the
   *  current CS:EIP does not stop on its own breakpoint (the client resumes from it). */
  resume(step: boolean): void {
    this.stepping = step;
    this.breakRequested = false;
    this.hit = null;
    this.skipAt = (this.cpu.segBase[CS] + this.cpu.eip) | 0;
    this.skipping = true;
    this.rearm();
  }

  /** Break-in (Ctrl-C): the CPU stops before its next instruction. A CPU asleep in HLT executes
   *  none: the host reports that stop itself (see takeBreakIn). */
  requestBreak(): void {
    this.breakRequested = true;
    this.rearm();
  }

  /** True (once) when a break-in is pending that the CPU has not acted on. */
  takeBreakIn(): boolean {
    if (!this.breakRequested) return false;
    this.breakRequested = false;
    this.stopReason = { kind: "break-in" };
    this.rearm();
    return true;
  }

  private rearm(): void {
    this.active = this.breakpoints.size > 0 || this.stepping || this.breakRequested || this.watchpoints.length > 0;
    this.watching = this.watchpoints.length > 0;
    this.cpu.updateBreakpoints();
  }

  // ---- HostDebugger (called by the CPU's one-instruction path) ----

  breakBefore(lin: number, resumed: boolean): boolean {
    if (this.breakRequested) {
      this.takeBreakIn();
      return true;
    }
    const skip = (this.skipping && lin === this.skipAt) || (resumed && lin === this.lastLin);
    this.skipping = false;
    this.lastLin = lin;
    const hw = skip ? undefined : this.breakpoints.get(lin);
    if (hw === undefined) return false;
    this.stopReason = { kind: "breakpoint", hardware: hw };
    return true;
  }

  breakAfter(): boolean {
    this.skipping = false;
    if (this.hit !== null) {
      this.stopReason = { kind: "watchpoint", watch: this.hit };
      this.hit = null;
      this.stepping = false;
      this.rearm();
      return true;
    }
    if (!this.stepping) return false;
    this.stepping = false;
    this.stopReason = { kind: "step" };
    this.rearm();
    return true;
  }

  pageWatched(page: number): boolean {
    for (const w of this.watchpoints) {
      if (w.addr >>> 12 <= page && ((w.addr + w.length - 1) >>> 12) >= page) return true;
    }
    return false;
  }

  access(lin: number, size: number, write: boolean): void {
    const l = lin >>> 0;
    for (const w of this.watchpoints) {
      if (w.kind === "write" ? !write : w.kind === "read" ? write : false) continue;
      if (l < w.addr + w.length && w.addr < l + size) {
        this.hit = w;
        return;
      }
    }
  }
}
