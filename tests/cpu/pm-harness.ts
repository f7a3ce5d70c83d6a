// Protected-mode test programs with a fixed GDT of segments that are not flat (limits, expand-down,
// types), a TSS, and one HLT per exception vector, so that a test reads which exception ended the
// program (and its frame) off the CPU: tests/cpu/segment-limits.test.ts, tests/cpu/cpu-checks.test.ts.

import { CS, SS, type CpuOptions } from "../../src/emulator/cpu/cpu.ts";
import { assemble, enterFlat, makeMachine, runUntilHalt, type TestMachine } from "./harness.ts";

/** Every program runs in the interpreter, with the block compiler compiling every block, and in
 *  the default mode. */
export const MODES: { name: string; options: CpuOptions }[] = [
  { name: "interpreter", options: { jit: false } },
  { name: "jit threshold 1", options: { jit: true, jitThreshold: 1 } },
  { name: "jit default", options: { jit: true } },
];

// ---- descriptor tables ----
export const GDT = 0x800, TSS = 0x900, IDT = 0x7000;

/** A segment descriptor: 20-bit raw limit, access byte, flags nibble (G=8, D/B=4). */
export function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000);
  return [lo | 0, hi | 0];
}

/** Where run32 loads its program (and CLIM's base), and run16's. */
export const BASE32 = 0x10000, BASE16 = 0x1000;

// Access bytes (accessed bit preset): data read/write, expand-down, read-only; code readable,
// execute-only; DPL 0 or 3.
const DATA0 = 0x93, DATA3 = 0xf3, DOWN3 = 0xf7, CODE0 = 0x9b, CODE3 = 0xfb, RODATA0 = 0x91, RODATA3 = 0xf1, XCODE0 = 0x99;
export const SEGMENTS: Record<number, [number, number]> = {
  0x10: desc(0, 0xfffff, CODE0, 0xc), // flat code (enterFlat's CS selector)
  0x18: desc(0, 0xfffff, DATA0, 0xc), // flat data
  0x20: desc(0, 0xfffff, CODE3, 0xc), // ring-3 code (0x23)
  0x28: desc(0, 0xfffff, DATA3, 0xc), // ring-3 flat data (0x2b)
  0x30: desc(TSS, 0x67, 0x89, 0), // TSS
  0x38: desc(0x200000, 0xfff, DATA3, 0x4), // DLIM: expand-up, limit 0xFFF
  0x40: desc(0x300000, 0xfff, DOWN3, 0x0), // DOWN16: expand-down B=0, offsets 0x1000..0xFFFF
  0x48: desc(0x400000, 0xffffe, DOWN3, 0xc), // DOWN32: expand-down B=1 G=1, offsets 0xFFFFF000..0xFFFFFFFF
  0x50: desc(0x500000, 0xfff, DATA3, 0x4), // SLIM: ring-3 stack, expand-up, limit 0xFFF (0x53)
  0x58: desc(0x600000, 0xfff, DOWN3, 0x4), // SDOWN: ring-3 stack, expand-down B=1, offsets 0x1000.. (0x5b)
  0x60: desc(0, 0xffff, CODE0, 0), // 16-bit code, base 0
  0x68: desc(0, 0xffff, DATA0, 0), // 16-bit data, limit 0xFFFF
  0x70: desc(0, 0xfffff, RODATA3, 0xc), // RO: read-only data, flat, DPL 3 (0x73)
  0x78: desc(0, 0xfffff, XCODE0, 0xc), // XO: execute-only code, flat
  0x80: desc(BASE32, 0xfff, CODE0, 0x4), // CLIM: 32-bit code, base BASE32, limit 0xFFF
  0x88: desc(0x200000, 0xfff, RODATA0, 0x4), // ROLIM: read-only data, base 0x200000, limit 0xFFF
};
/** GDT limit covering SEGMENTS. */
export const GDT_LIMIT = 0x8f;

export function writeTables(m: TestMachine): void {
  const r32 = m.memory.ram32;
  for (const [sel, [lo, hi]] of Object.entries(SEGMENTS)) {
    r32[(GDT + Number(sel)) >>> 2] = lo;
    r32[(GDT + Number(sel) + 4) >>> 2] = hi;
  }
  r32[(TSS + 4) >>> 2] = 0x80000; // ESP0
  r32[(TSS + 8) >>> 2] = 0x18; // SS0
}

// One HLT per exception vector v at offset HANDLER_AT + 2v of the program; the IDT (IVT in real
// mode) points every vector there. A test may point a vector elsewhere (GATE in PRELUDE32).
const HANDLER_AT = 0x10, VECTORS = 32;
export const HANDLERS = `
  jmp near setup
  times ${HANDLER_AT}-($-$$) db 0x90
%rep ${VECTORS}
  hlt
  nop
%endrep
setup:
`;

/** 32-bit protected mode at CPL 0: flat CS/DS/ES/FS/GS/SS, TR loaded, ESP 0x90000. RING3 ss, esp
 *  continues in ring 3 (CS 0x23, data segment registers null; RING3F also takes the EFLAGS).
 *  GATE vector, handler points an IDT entry at a handler of the program (interrupt gate, DPL 3;
 *  clobbers EAX). BREAK_ON address sets an instruction breakpoint there (DR0, enabled by DR7.L0;
 *  clobbers EAX). */
export const PRELUDE32 = `
%macro BREAK_ON 1
  mov eax, %1
  mov dr0, eax
  mov eax, 1
  mov dr7, eax
%endmacro
%macro RING3F 3
  push dword %1
  push dword %2
  push dword %3
  push dword 0x23
  push dword %%user
  iretd
%%user:
%endmacro
%macro RING3 2
  RING3F %1, %2, 2
%endmacro
%macro GATE 2
  mov eax, %2
  mov [${IDT} + (%1) * 8], ax
  mov word [${IDT} + (%1) * 8 + 2], 0x10
  mov word [${IDT} + (%1) * 8 + 4], 0xee00
  shr eax, 16
  mov [${IDT} + (%1) * 8 + 6], ax
%endmacro
${HANDLERS}
  mov ax, 0x30
  ltr ax
`;

export interface Outcome {
  /** The exception vector whose HLT ended the program, or null when it reached its own HLT. */
  vector: number | null;
  errorCode: number;
  /** Faulting instruction (offset in CS), and the stack pointer it left (from the frame). */
  eip: number;
  esp: number;
  /** The pushed CS and EFLAGS (protected mode). */
  cs: number;
  eflags: number;
}

const hasErrorCode = (v: number) => v === 8 || (v >= 10 && v <= 14) || v === 17;

export function outcome(m: TestMachine, base: number, real: boolean): Outcome {
  const c = m.cpu;
  const at = c.eip - 1 - base - HANDLER_AT;
  const vector = at >= 0 && at < 2 * VECTORS && (at & 1) === 0 ? at >> 1 : null;
  if (vector === null) return { vector, errorCode: -1, eip: -1, esp: -1, cs: -1, eflags: -1 };
  const sp = (c.segBase[SS] + (c.r32[4] & c.stackMask)) >>> 0;
  const rd = (a: number) => (real ? m.memory.ram16[a >>> 1] : m.memory.ram32[a >>> 2] >>> 0);
  if (real) return { vector, errorCode: -1, eip: rd(sp), esp: (c.r32[4] + 6) & 0xffff, cs: rd(sp + 2), eflags: rd(sp + 4) };
  const hasError = hasErrorCode(vector);
  const f = sp + (hasError ? 4 : 0);
  const outer = (rd(f + 4) & 3) !== (c.segSel[CS] & 3);
  return {
    vector, errorCode: hasError ? rd(sp) : -1, eip: rd(f), esp: outer ? rd(f + 12) : c.r32[4] + (hasError ? 16 : 12),
    cs: rd(f + 4) & 0xffff, eflags: rd(f + 8),
  };
}

export function machine(options: CpuOptions): TestMachine {
  const m = makeMachine(16, options);
  writeTables(m);
  return m;
}

/** Runs 32-bit code (after PRELUDE32) at CPL 0 until HLT; `setup` may fill memory first. */
export function run32(options: CpuOptions, source: string, setup?: (m: TestMachine) => void, maxInstructions = 2_000_000): { m: TestMachine; o: Outcome } {
  const m = machine(options);
  const code = assemble(PRELUDE32 + source, 32, BASE32);
  m.memory.writeBytes(BASE32, code);
  enterFlat(m, BASE32);
  const c = m.cpu;
  c.gdtBase = GDT;
  c.gdtLimit = GDT_LIMIT;
  for (let v = 0; v < VECTORS; v++) {
    const off = BASE32 + HANDLER_AT + 2 * v;
    m.memory.ram32[(IDT + v * 8) >>> 2] = (0x10 << 16) | (off & 0xffff);
    m.memory.ram32[(IDT + v * 8 + 4) >>> 2] = (off & 0xffff0000) | 0x8e00;
  }
  setup?.(m);
  runUntilHalt(m, maxInstructions);
  return { m, o: outcome(m, BASE32, false) };
}

/** nasm macros of run16's programs. PM16_ENTER: from real mode into 16-bit protected mode (CS 0x60,
 *  interrupts off; the other segment registers keep their real-mode caches). PM16_LEAVE: back to
 *  real mode with CS 0 (the caches loaded in protected mode stay). Both clobber EAX. */
const PRELUDE16 = `
%macro PM16_ENTER 0
  cli
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x60:%%pm
%%pm:
%endmacro
%macro PM16_LEAVE 0
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0:%%real
%%real:
%endmacro
`;

/** Runs 16-bit real-mode code at 0000:1000 (IVT entries at the HLTs, SP 0x8000) until HLT. The
 *  program may use PRELUDE16's macros. */
export function run16(options: CpuOptions, source: string, setup?: (m: TestMachine) => void): { m: TestMachine; o: Outcome } {
  const m = machine(options);
  const code = assemble(PRELUDE16 + HANDLERS + source, 16, BASE16);
  m.memory.writeBytes(BASE16, code);
  const c = m.cpu;
  for (const s of [0, 1, 2, 3, 4, 5]) c.loadSegmentReal(s, 0);
  c.eip = BASE16;
  c.r32[4] = 0x8000;
  c.gdtBase = GDT;
  c.gdtLimit = GDT_LIMIT;
  for (let v = 0; v < VECTORS; v++) {
    m.memory.ram16[v * 2] = BASE16 + HANDLER_AT + 2 * v;
    m.memory.ram16[v * 2 + 1] = 0;
  }
  setup?.(m);
  runUntilHalt(m, 2_000_000);
  return { m, o: outcome(m, BASE16, true) };
}

export const ram = (m: TestMachine, a: number) => m.memory.ram[a];
export const ram32 = (m: TestMachine, a: number) => m.memory.ram32[a >>> 2] >>> 0;
/** The address a program recorded with `mark n`: that of the instruction after the mark (FS must
 *  be a flat segment there). */
export const mark = (m: TestMachine, n: number) => ram32(m, 0x5f0 + 4 * n);
export const MARK = `
%macro mark 1
  mov dword [fs:0x5f0 + 4 * %1], %%here
%%here:
%endmacro
`;
