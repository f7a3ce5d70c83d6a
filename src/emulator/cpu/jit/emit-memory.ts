// Source snippets for operands of compiled instructions: registers (32/16/8-bit views of the one
// register file), effective addresses (32-bit addressing, segment base read at run time) and
// memory through the same software-TLB fast path as cpu.ts (tlb[lin >>> 12] against the
// block's readMask `rm` / writeMask `wm`), falling back to c.rd*/c.wr* exactly where cpu.ts does.
// Generated code uses the block-local scratch variables lin, e, p.

import { REG8_INDEX } from "../constants.ts";
import type { Insn } from "./decode.ts";

export type Size = 8 | 16 | 32;

export function reg(size: Size, i: number): string {
  if (size === 32) return `r32[${i}]`;
  if (size === 16) return `r16[${i << 1}]`;
  return `r8[${REG8_INDEX[i]}]`;
}

export function maskOf(size: Size): number {
  return size === 32 ? -1 : size === 16 ? 0xffff : 0xff;
}

export function signShift(size: Size): number {
  return size - 1;
}

/** The offset expression (int32) and default segment of a 32-bit-addressing memory operand. */
export function effectiveOffset(insn: Insn): { off: string; seg: number } {
  const m = insn.modrm;
  const mod = m >> 6;
  const rm = m & 7;
  const terms: string[] = [];
  let seg = 3; // DS
  if (rm === 4) {
    const sib = insn.sib;
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    const scale = sib >> 6;
    if (!(base === 5 && mod === 0)) {
      terms.push(`r32[${base}]`);
      if (base === 4 || base === 5) seg = 2;
    }
    if (index !== 4) terms.push(scale === 0 ? `r32[${index}]` : `(r32[${index}] << ${scale})`);
  } else if (!(rm === 5 && mod === 0)) {
    terms.push(`r32[${rm}]`);
    if (rm === 5) seg = 2;
  }
  if (insn.disp !== 0 || terms.length === 0) terms.push(String(insn.disp));
  if (insn.seg >= 0) seg = insn.seg;
  const off = terms.length === 1 && terms[0].startsWith("r32[") ? terms[0] : `((${terms.join(" + ")}) | 0)`;
  return { off, seg };
}

/** What the snippets need to know of the region being compiled, set by compileBlock (the compiler
 *  is not reentrant):
 *  - `eip`: the instruction being emitted; its EIP goes to c.instrStart on a slow path, before the
 *    call that may fault (the run loop maps it back to an instruction count). Fast paths cannot
 *    fault, so they store nothing.
 *  - `zeroBase` (in): segments whose base is 0 now and may be left out of addresses;
 *    `used` / `assumedZero` (out): the segments the addresses use (compiled code makes no limit
 *    checks, so it runs only while these are flat), and those whose base was left out (it runs
 *    only while that is still 0). Bit n = segment n. */
export const emitContext = { eip: 0, zeroBase: 0, used: 0, assumedZero: 0 };

/** Statement: lin = segment base + `off` (an int32 expression) for segment `seg`. */
export function linOf(seg: number, off: string): string {
  const bit = 1 << seg;
  emitContext.used |= bit;
  if ((emitContext.zeroBase & bit) !== 0) {
    emitContext.assumedZero |= bit;
    return `lin = ${off};`;
  }
  return `lin = (segBase[${seg}] + ${off}) | 0;`;
}

/** Statement: lin = linear address of the ModRM memory operand. */
export function computeLin(insn: Insn): string {
  const { off, seg } = effectiveOffset(insn);
  return linOf(seg, off);
}

/** Memory accesses inline the TLB fast path for aligned RAM (short enough to keep the source
 *  small; in a region function V8 would not inline a call of c.rdN / c.wrN anyway) and call the
 *  CPU's methods otherwise (misaligned, not RAM, not in the TLB, a write to a code page). */

/** Statement: `dst` = the value at linear address `lin`. */
export function readMem(size: Size, dst: string): string {
  const head = "e = tlb[lin >>> 12]; ";
  const at = `c.instrStart = ${emitContext.eip}, `;
  if (size === 8) return `${head}${dst} = (e & rm) === rm ? ram[(e & -4096) ^ lin] : (${at}c.rd8(lin));`;
  if (size === 16) return `${head}${dst} = (e & rm) === rm && (lin & 1) === 0 ? ram16[((e & -4096) ^ lin) >>> 1] : (${at}c.rd16(lin));`;
  return `${head}${dst} = (e & rm) === rm && (lin & 3) === 0 ? ram32[((e & -4096) ^ lin) >>> 2] : (${at}c.rd32(lin));`;
}

/** Statement: store `v` (a variable or constant) at linear address `lin`. `onSlow` follows the
 *  slow-path call: only a slow-path write can reach a page with compiled code (TLB_NOCODE), so
 *  that is where the self-modifying-code exit goes. */
export function writeMem(size: Size, v: string, onSlow = ""): string {
  const head = "e = tlb[lin >>> 12]; ";
  const slow = `else { c.instrStart = ${emitContext.eip}; c.wr${size}(lin, ${v});${onSlow ? " " + onSlow : ""} }`;
  if (size === 8) return `${head}if ((e & wm) === wm) ram[(e & -4096) ^ lin] = ${v}; ${slow}`;
  if (size === 16) return `${head}if ((e & wm) === wm && (lin & 1) === 0) ram16[((e & -4096) ^ lin) >>> 1] = ${v}; ${slow}`;
  return `${head}if ((e & wm) === wm && (lin & 3) === 0) ram32[((e & -4096) ^ lin) >>> 2] = ${v}; ${slow}`;
}

/** Whether the ModRM operand is a register. */
export function isRegForm(insn: Insn): boolean {
  return insn.modrm >= 0xc0;
}

/** Statements loading the E operand into `dst` (computing lin first for memory). */
export function loadE(size: Size, insn: Insn, dst: string): string {
  if (isRegForm(insn)) return `${dst} = ${reg(size, insn.modrm & 7)};`;
  return `${computeLin(insn)} ${readMem(size, dst)}`;
}

/** Statement storing `v` to the E operand; for memory, `lin` must already hold its address
 *  (`onSlow`: see writeMem). */
export function storeE(size: Size, insn: Insn, v: string, onSlow = ""): string {
  if (isRegForm(insn)) return `${reg(size, insn.modrm & 7)} = ${v};`;
  return writeMem(size, v, onSlow);
}
