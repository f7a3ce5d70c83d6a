// The CPU's saved state: every register and latch as a declared field (the x87/SIMD units nested
// inside as their own saved states).

import type { CPU } from "./cpu.ts";
import { bool, f64, i32, part, range, StateLayout, typed, u16 } from "../state.ts";
import { updateSegLimits } from "./seg-limits.ts";

/** Version 2 added PAE: `efer` and the cached PDPTEs `pdpte` (zero in a version-1 state: no PAE then). */
export const CPU_STATE = new StateLayout<CPU>(
  "cpu",
  2,
  {
    regs: typed(Int32Array, 8, { get: (c: CPU) => c.r32, set: (c: CPU, v: Int32Array) => c.r32.set(v) }),
    eip: i32(),
    segSel: typed(Uint16Array, 6),
    segBase: typed(Int32Array, 6),
    segLimit: typed(Int32Array, 6),
    segAttr: typed(Int32Array, 6),
    gdtBase: i32(),
    gdtLimit: u16(),
    idtBase: i32(),
    idtLimit: u16(),
    ldtSel: u16(),
    ldtBase: i32(),
    ldtLimit: i32(),
    ldtAttr: i32(),
    trSel: u16(),
    trBase: i32(),
    trLimit: i32(),
    trAttr: i32(),
    cr0: i32(),
    cr2: i32(),
    cr3: i32(),
    cr4: i32(),
    pdpte: typed(Int32Array, 8, { since: 2, default: new Int32Array(8) }),
    efer: i32({ since: 2, default: 0 }),
    dr: typed(Int32Array, 8),
    cpl: range(0, 3),
    sysenterCs: i32(),
    sysenterEsp: i32(),
    sysenterEip: i32(),
    apicBase: i32(),
    tscOffset: f64(),
    mtrr: typed(Int32Array, 64),
    patLo: i32(),
    patHi: i32(),
    miscEnable: i32(),
    // After cr0 and cpl: setEflags masks by mode.
    eflags: i32({ get: (c: CPU) => c.getEflags(), set: (c: CPU, v: number) => c.setEflags(v) }),
    halted: bool(),
    intrLine: bool(),
    nmiPending: bool(),
    nmiBlocked: bool(),
    shadow: bool(),
    instructionCount: f64({ min: 0 }),
    x87: part(),
    simd: part(),
  },
  {
    rule: (f) => ((f.efer as number) & ~0x800 ? `field "efer" has reserved bits set: ${String(f.efer)}` : null),
    afterLoad: (c: CPU) => {
      for (let seg = 0; seg < 6; seg++) updateSegLimits(c, seg);
      c.deliveringVector = -1;
      c.eventPending = true;
      c.updateCpuMode();
      c.updateBreakpoints();
      c.flushTlb(false);
    },
  },
);
