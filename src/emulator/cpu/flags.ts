// EFLAGS bits and lazy arithmetic flags. ALU instructions do not compute CF/PF/AF/ZF/SF/OF; they
// record the operation kind, operand size and operands/result, and the flags are derived only when
// something reads them (Jcc, PUSHF, ADC...). `lazy` says which of the six come from that record;
// the others live in `flags` as plain bits.

import type { CPU } from "./cpu.ts";

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;

export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Bits a 32-bit EFLAGS image may hold on this i686 model (bit 1 always reads as 1). */
export const EFLAGS_IMPLEMENTED = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

/** Lazy record kinds. */
export const LF_ADD = 0; // res = op1 + op2 (+carry, CF then kept eagerly)
export const LF_SUB = 1; // res = op1 - op2 (-borrow, CF then kept eagerly)
export const LF_RESULT = 2; // only PF/ZF/SF derive from res; CF/OF/AF are eager

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 0;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? 0 : PF;
}

export function getCF(c: CPU): number {
  if ((c.lazy & CF) === 0) return c.flags & CF;
  if (c.lfKind === LF_ADD) return c.lfRes >>> 0 < c.lfOp1 >>> 0 ? 1 : 0;
  if (c.lfKind === LF_SUB) return c.lfOp1 >>> 0 < c.lfOp2 >>> 0 ? 1 : 0;
  return 0;
}

export function getZF(c: CPU): boolean {
  if ((c.lazy & ZF) === 0) return (c.flags & ZF) !== 0;
  return c.lfRes === 0;
}

export function getSF(c: CPU): boolean {
  if ((c.lazy & SF) === 0) return (c.flags & SF) !== 0;
  return ((c.lfRes >>> c.lfShift) & 1) !== 0;
}

export function getPF(c: CPU): boolean {
  if ((c.lazy & PF) === 0) return (c.flags & PF) !== 0;
  return PARITY[c.lfRes & 0xff] !== 0;
}

export function getOF(c: CPU): boolean {
  if ((c.lazy & OF) === 0) return (c.flags & OF) !== 0;
  if (c.lfKind === LF_ADD) return (((c.lfOp1 ^ c.lfRes) & (c.lfOp2 ^ c.lfRes)) >>> c.lfShift & 1) !== 0;
  if (c.lfKind === LF_SUB) return (((c.lfOp1 ^ c.lfOp2) & (c.lfOp1 ^ c.lfRes)) >>> c.lfShift & 1) !== 0;
  return false;
}

export function getAF(c: CPU): boolean {
  if ((c.lazy & AF) === 0) return (c.flags & AF) !== 0;
  if (c.lfKind === LF_RESULT) return false;
  return ((c.lfOp1 ^ c.lfOp2 ^ c.lfRes) & 0x10) !== 0;
}

/** The six arithmetic flags as EFLAGS bits. */
export function arithFlags(c: CPU): number {
  const m = c.lazy;
  let f = c.flags & ARITH & ~m;
  if (m === 0) return f;
  if (m & CF) f |= getCF(c);
  if (m & PF && getPF(c)) f |= PF;
  if (m & AF && getAF(c)) f |= AF;
  if (m & ZF && c.lfRes === 0) f |= ZF;
  if (m & SF && getSF(c)) f |= SF;
  if (m & OF && getOF(c)) f |= OF;
  return f;
}

/** Folds the lazy record into `flags` so the six bits can be edited directly. */
export function materializeFlags(c: CPU): void {
  if (c.lazy === 0) return;
  c.flags = (c.flags & ~ARITH) | arithFlags(c);
  c.lazy = 0;
}

/** Evaluates condition code 0-15 (the low nibble of Jcc/SETcc/CMOVcc). */
export function testCondition(c: CPU, cc: number): boolean {
  // Fast path: straight after CMP/SUB (all six flags lazy), compare the operands directly.
  if (c.lazy === ARITH && c.lfKind === LF_SUB) {
    const a = c.lfOp1, b = c.lfOp2;
    let r: boolean;
    switch (cc >> 1) {
      case 1: r = a >>> 0 < b >>> 0; break;
      case 2: r = c.lfRes === 0; break;
      case 3: r = a >>> 0 <= b >>> 0; break;
      case 4: r = ((c.lfRes >>> c.lfShift) & 1) !== 0; break;
      case 6: {
        const s = 31 - c.lfShift;
        r = a << s < b << s;
        break;
      }
      case 7: {
        const s = 31 - c.lfShift;
        r = a << s <= b << s;
        break;
      }
      default: return slowCondition(c, cc);
    }
    return (cc & 1) !== 0 ? !r : r;
  }
  return slowCondition(c, cc);
}

function slowCondition(c: CPU, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(c); break;
    case 1: r = getCF(c) !== 0; break;
    case 2: r = getZF(c); break;
    case 3: r = getCF(c) !== 0 || getZF(c); break;
    case 4: r = getSF(c); break;
    case 5: r = getPF(c); break;
    case 6: r = getSF(c) !== getOF(c); break;
    default: r = getZF(c) || getSF(c) !== getOF(c); break;
  }
  return (cc & 1) !== 0 ? !r : r;
}

/** Record helpers. `shift` is 7, 15 or 31; operands and result already masked to the size. */
export function setAddFlags(c: CPU, a: number, b: number, r: number, shift: number): void {
  c.lfKind = LF_ADD;
  c.lfShift = shift;
  c.lfOp1 = a;
  c.lfOp2 = b;
  c.lfRes = r;
  c.lazy = ARITH;
}

export function setSubFlags(c: CPU, a: number, b: number, r: number, shift: number): void {
  c.lfKind = LF_SUB;
  c.lfShift = shift;
  c.lfOp1 = a;
  c.lfOp2 = b;
  c.lfRes = r;
  c.lazy = ARITH;
}

/** AND/OR/XOR/TEST: CF=OF=0, AF undefined (0 here), PF/ZF/SF from the result. */
export function setLogicFlags(c: CPU, r: number, shift: number): void {
  c.flags &= ~(CF | OF | AF | PF | ZF | SF);
  c.lfKind = LF_RESULT;
  c.lfShift = shift;
  c.lfRes = r;
  c.lazy = PF | ZF | SF;
}

/** PF/ZF/SF from the result; CF/OF/AF given eagerly as EFLAGS bits. */
export function setResultFlags(c: CPU, r: number, shift: number, eager: number): void {
  c.flags = (c.flags & ~ARITH) | (eager & (CF | OF | AF));
  c.lfKind = LF_RESULT;
  c.lfShift = shift;
  c.lfRes = r;
  c.lazy = PF | ZF | SF;
}

export const PARITY_TABLE = PARITY;
