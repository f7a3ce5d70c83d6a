// Debug registers: DR0-DR3 breakpoints enabled by DR7 (instruction breakpoints as faults before
// the instruction, data write/read-write breakpoints as traps after it), DR6 status bits.
// While any breakpoint is armed the CPU runs one instruction per event check, so the fast paths
// stay free of debug work; watched pages are kept out of the TLB's direct-RAM path. EFLAGS.RF (suppressing the instruction breakpoints of one instruction)
// is handled by the run loop (cpu.ts) and exception delivery (interrupts.ts).

import type { CPU } from "./cpu.ts";
import { CS } from "./constants.ts";

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

export function updateBreakpoints(c: CPU): void {
  let any = false, data = false;
  for (let n = 0; n < 4; n++) {
    if (!enabled(c, n)) continue;
    any = true;
    if (kind(c, n) === 1 || kind(c, n) === 3) data = true;
  }
  c.debugActive = any;
  c.watchActive = data;
  c.flushTlb(false);
  c.eventPending = true;
}

/** True when linear page `page` holds an armed data breakpoint (its accesses must be checked). */
export function pageWatched(c: CPU, page: number): boolean {
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
