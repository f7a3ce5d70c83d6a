// Debug registers: DR0-DR3 breakpoints enabled by DR7 (instruction breakpoints as faults before
// the instruction, data write/read-write breakpoints and, with CR4.DE, I/O read/write breakpoints
// as traps after it), DR6 status bits. While any breakpoint is armed the CPU runs one instruction
// per event check, so the fast paths stay free of debug work; watched pages are kept out of the
// TLB's direct-RAM path. EFLAGS.RF (suppressing the instruction breakpoints of one instruction)
// is handled by the run loop (cpu.ts) and exception delivery (interrupts.ts).
//
// A host debugger (src/emulator/debug/, the GDB stub) arms the same machinery: while it has
// breakpoints, watchpoints or a step pending, debugActive/watchActive are set too, so its checks
// run only on the one-instruction path (never in compiled blocks) and cost nothing otherwise.

import type { CPU } from "./cpu.ts";
import { CS } from "./constants.ts";

const CR4_DE = 0x8;

/** The host debugger's view of the run loop (implemented in src/emulator/debug/cpu-debugger.ts). */
export interface HostDebugger {
  /** Execution breakpoints, a step or a break-in pending: the CPU runs one instruction at a time. */
  readonly active: boolean;
  /** Watchpoints set: data accesses of watched pages are checked. */
  readonly watching: boolean;
  /** A single step is pending: external interrupts wait until it is done (interrupts.ts). */
  readonly stepping: boolean;
  /** Before the instruction at linear address `lin`: true stops the CPU before it runs. `resumed`:
   *  EFLAGS.RF is set (e.g. the next chunk of a REP string instruction, restarted at its start). */
  breakBefore(lin: number, resumed: boolean): boolean;
  /** After one instruction (or the exception it raised): true stops the CPU (watchpoint, step). */
  breakAfter(): boolean;
  /** Whether linear page `page` holds a watchpoint. */
  pageWatched(page: number): boolean;
  /** A data access of `size` bytes at `lin` on a watched page. */
  access(lin: number, size: number, write: boolean): void;
}

/** Enabled breakpoint n: its kind (0 exec, 1 write, 2 I/O, 3 read/write) and length in bytes. */
function enabled(c: CPU, n: number): boolean {
  return ((c.dr[7] >>> (n * 2)) & 3) !== 0;
}
function kind(c: CPU, n: number): number {
  return (c.dr[7] >>> (16 + n * 4)) & 3;
}
function length(c: CPU, n: number): number {
  const l = (c.dr[7] >>> (18 + n * 4)) & 3;
  return l === 0 ? 1 : l === 1 ? 2 : l === 3 ? 4 : 8;
}

/** Recomputes which breakpoints are armed (after MOV DR7, a CR4.DE change, a state load). */
export function updateBreakpoints(c: CPU): void {
  let any = false, data = false, io = false;
  for (let n = 0; n < 4; n++) {
    if (!enabled(c, n)) continue;
    any = true;
    const k = kind(c, n);
    if (k === 1 || k === 3) data = true;
    // R/W = 10b: I/O breakpoint with CR4.DE (undefined without it: not armed here).
    else if (k === 2 && (c.cr4 & CR4_DE) !== 0) io = true;
  }
  const host = c.hostDebugger;
  c.debugActive = any || (host !== null && host.active);
  c.watchActive = data || (host !== null && host.watching);
  c.ioWatchActive = io;
  c.flushTlb(false);
  c.eventPending = true;
}

/** True when linear page `page` holds an armed data breakpoint (its accesses must be checked). */
export function pageWatched(c: CPU, page: number): boolean {
  if (c.hostDebugger !== null && c.hostDebugger.watching && c.hostDebugger.pageWatched(page)) return true;
  for (let n = 0; n < 4; n++) {
    if (!enabled(c, n)) continue;
    const k = kind(c, n);
    if (k !== 1 && k !== 3) continue;
    const a = c.dr[n] & ~(length(c, n) - 1);
    if (a >>> 12 === page || ((a + length(c, n) - 1) >>> 12) === page) return true;
  }
  return false;
}

/** Called on slow-path accesses to watched pages. Records hits in DR6; the trap follows the instruction. */
export function checkDataBreakpoints(c: CPU, lin: number, size: number, write: boolean): void {
  if (c.hostDebugger !== null && c.hostDebugger.watching) c.hostDebugger.access(lin, size, write);
  for (let n = 0; n < 4; n++) {
    if (!enabled(c, n)) continue;
    const k = kind(c, n);
    if (k === 0 || k === 2 || (k === 1 && !write)) continue;
    const len = length(c, n);
    const a = (c.dr[n] & ~(len - 1)) >>> 0;
    const l = lin >>> 0;
    if (l < a + len && a < l + size) {
      c.dr[6] |= 1 << n;
      c.dataBreakpointHit = true;
    }
  }
}

/** IN/OUT/INS/OUTS of `size` bytes at `port` (called while c.ioWatchActive, once the access is
 *  allowed): an I/O breakpoint whose port range overlaps records its hit in DR6; the #DB trap
 *  follows the instruction. */
export function checkIoBreakpoints(c: CPU, port: number, size: number): void {
  if ((c.cr4 & CR4_DE) === 0) return;
  for (let n = 0; n < 4; n++) {
    if (!enabled(c, n) || kind(c, n) !== 2) continue;
    const len = length(c, n);
    const a = c.dr[n] & 0xffff & ~(len - 1);
    if (port < a + len && a < port + size) {
      c.dr[6] |= 1 << n;
      c.dataBreakpointHit = true;
    }
  }
}

/** Before executing at CS:EIP (with EFLAGS.RF clear): true (and DR6 updated) when an instruction
 *  breakpoint matches. */
export function instructionBreakpointHit(c: CPU): boolean {
  const lin = (c.segBase[CS] + c.eip) | 0;
  let hit = false;
  for (let n = 0; n < 4; n++) {
    if (enabled(c, n) && kind(c, n) === 0 && c.dr[n] === lin) {
      c.dr[6] |= 1 << n;
      hit = true;
    }
  }
  return hit;
}
