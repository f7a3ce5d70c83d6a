// Integer arithmetic and logic: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP in every form, INC/DEC, TEST,
// NOT/NEG, MUL/IMUL/DIV/IDIV (#DE), and the group-1/group-3 opcodes.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { EAX, EDX, EXC_DE, REG8_INDEX } from "./constants.ts";
import { ARITH, CF, OF, getCF, setAddFlags, setLogicFlags, setResultFlags, setSubFlags, materializeFlags } from "./flags.ts";
import {
  checkE, checkEW, decodeAddress, decodeModrm, readE16, readE16m, readE32, readE32m, readE8, readE8m, readG16, readG32, readG8, writeE16, writeE32,
  writeE8, writeG16, writeG32, writeG8,
} from "./modrm.ts";

/** op: 0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP. Operands masked to the size; returns the result. */
export function aluOp(c: CPU, op: number, a: number, b: number, shift: number, mask: number): number {
  let r: number;
  switch (op) {
    case 0:
      r = (a + b) & mask;
      setAddFlags(c, a, b, r, shift);
      return r;
    case 1:
      r = (a | b) & mask;
      setLogicFlags(c, r, shift);
      return r;
    case 2: {
      const cf = getCF(c);
      r = (a + b + cf) & mask;
      setAddFlags(c, a, b, r, shift);
      const carry = cf ? r >>> 0 <= a >>> 0 : r >>> 0 < a >>> 0;
      c.flags = (c.flags & ~CF) | (carry ? CF : 0);
      c.lazy = ARITH & ~CF;
      return r;
    }
    case 3: {
      const cf = getCF(c);
      r = (a - b - cf) & mask;
      setSubFlags(c, a, b, r, shift);
      const borrow = cf ? a >>> 0 <= b >>> 0 : a >>> 0 < b >>> 0;
      c.flags = (c.flags & ~CF) | (borrow ? CF : 0);
      c.lazy = ARITH & ~CF;
      return r;
    }
    case 4:
      r = a & b & mask;
      setLogicFlags(c, r, shift);
      return r;
    case 6:
      r = (a ^ b) & mask;
      setLogicFlags(c, r, shift);
      return r;
    default:
      r = (a - b) & mask;
      setSubFlags(c, a, b, r, shift);
      return r;
  }
}

export function inc(c: CPU, a: number, shift: number, mask: number): number {
  const cf = getCF(c);
  const r = (a + 1) & mask;
  setAddFlags(c, a, 1, r, shift);
  c.flags = (c.flags & ~CF) | cf;
  c.lazy = ARITH & ~CF;
  return r;
}

export function dec(c: CPU, a: number, shift: number, mask: number): number {
  const cf = getCF(c);
  const r = (a - 1) & mask;
  setSubFlags(c, a, 1, r, shift);
  c.flags = (c.flags & ~CF) | cf;
  c.lazy = ARITH & ~CF;
  return r;
}

/** Unsigned 32x32 -> 64: low half returned, high half left in c.mulHi. */
export function mul32(c: CPU, a: number, b: number): number {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  c.mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
  return ((ll & 0xffff) | (mid << 16)) | 0;
}

/** Signed 32x32 -> 64: low half returned, high half in c.mulHi. */
export function imul32(c: CPU, a: number, b: number): number {
  const lo = mul32(c, a, b);
  let hi = c.mulHi;
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  c.mulHi = hi;
  return lo;
}

/** Unsigned (hi:lo) / d with hi < d (caller checks); quotient returned, remainder in c.divRem. */
export function div64by32(c: CPU, hi: number, lo: number, d: number): number {
  hi >>>= 0;
  lo >>>= 0;
  d >>>= 0;
  let cur = hi * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / d);
  let rem = cur - q1 * d;
  cur = rem * 65536 + (lo & 0xffff);
  const q2 = Math.floor(cur / d);
  rem = cur - q2 * d;
  c.divRem = rem | 0;
  return (q1 * 65536 + q2) | 0;
}

function mulFlags(c: CPU, low: number, shift: number, overflow: boolean): void {
  setResultFlags(c, low, shift, overflow ? CF | OF : 0);
}

/** Group 3 (F6/F7) reg = 4..7 and the accumulator forms. */
function mulDiv8(c: CPU, op: number, src: number): void {
  const r8 = c.r8;
  switch (op) {
    case 4: {
      const p = r8[0] * src;
      c.r16[0] = p;
      mulFlags(c, p & 0xff, 7, p > 0xff);
      return;
    }
    case 5: {
      const p = ((r8[0] << 24) >> 24) * ((src << 24) >> 24);
      c.r16[0] = p;
      mulFlags(c, p & 0xff, 7, p !== ((p << 24) >> 24));
      return;
    }
    case 6: {
      if (src === 0) c.raise(EXC_DE);
      const ax = c.r16[0];
      const q = Math.floor(ax / src);
      if (q > 0xff) c.raise(EXC_DE);
      r8[0] = q;
      r8[1] = ax % src;
      return;
    }
    default: {
      const d = (src << 24) >> 24;
      if (d === 0) c.raise(EXC_DE);
      const ax = (c.r16[0] << 16) >> 16;
      const q = Math.trunc(ax / d);
      if (q > 127 || q < -128) c.raise(EXC_DE);
      r8[0] = q;
      r8[1] = ax % d;
    }
  }
}

function mulDiv16(c: CPU, op: number, src: number): void {
  const r16 = c.r16;
  switch (op) {
    case 4: {
      const p = r16[0] * src;
      r16[0] = p;
      r16[EDX * 2] = p >>> 16;
      mulFlags(c, p & 0xffff, 15, p > 0xffff);
      return;
    }
    case 5: {
      const p = ((r16[0] << 16) >> 16) * ((src << 16) >> 16);
      r16[0] = p;
      r16[EDX * 2] = p >> 16;
      mulFlags(c, p & 0xffff, 15, p !== ((p << 16) >> 16));
      return;
    }
    case 6: {
      if (src === 0) c.raise(EXC_DE);
      const n = ((r16[EDX * 2] << 16) | r16[0]) >>> 0;
      const q = Math.floor(n / src);
      if (q > 0xffff) c.raise(EXC_DE);
      r16[0] = q;
      r16[EDX * 2] = n % src;
      return;
    }
    default: {
      const d = (src << 16) >> 16;
      if (d === 0) c.raise(EXC_DE);
      const n = (r16[EDX * 2] << 16) | r16[0];
      const q = Math.trunc(n / d);
      if (q > 32767 || q < -32768) c.raise(EXC_DE);
      r16[0] = q;
      r16[EDX * 2] = n % d;
    }
  }
}

function mulDiv32(c: CPU, op: number, src: number): void {
  const r = c.r32;
  switch (op) {
    case 4: {
      const lo = mul32(c, r[EAX], src);
      r[EAX] = lo;
      r[EDX] = c.mulHi;
      mulFlags(c, lo, 31, c.mulHi !== 0);
      return;
    }
    case 5: {
      const lo = imul32(c, r[EAX], src);
      r[EAX] = lo;
      r[EDX] = c.mulHi;
      mulFlags(c, lo, 31, c.mulHi !== lo >> 31);
      return;
    }
    case 6: {
      if (src === 0) c.raise(EXC_DE);
      if (r[EDX] >>> 0 >= src >>> 0) c.raise(EXC_DE);
      const q = div64by32(c, r[EDX], r[EAX], src);
      r[EAX] = q;
      r[EDX] = c.divRem;
      return;
    }
    default: {
      if (src === 0) c.raise(EXC_DE);
      let hi = r[EDX], lo = r[EAX];
      const negN = hi < 0;
      if (negN) {
        lo = (~lo + 1) | 0;
        hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
      }
      const negD = src < 0;
      const d = negD ? -src >>> 0 : src >>> 0;
      if (hi >>> 0 >= d) c.raise(EXC_DE);
      const q = div64by32(c, hi, lo, d) >>> 0;
      const neg = negN !== negD;
      if (neg ? q > 0x80000000 : q > 0x7fffffff) c.raise(EXC_DE);
      r[EAX] = neg ? -q | 0 : q | 0;
      r[EDX] = negN ? -c.divRem | 0 : c.divRem;
    }
  }
}

export function installAlu(t: Handler[]): void {
  for (let op = 0; op < 8; op++) {
    const base = op << 3;
    const writes = op !== 7;
    t[base + 0] = (c) => {
      decodeModrm(c);
      // (A destination that is written is checked for the write up front: readE8m.)
      const r = aluOp(c, op, writes ? readE8m(c) : readE8(c), readG8(c), 7, 0xff);
      if (writes) writeE8(c, r);
    };
    t[base + 1] = (c) => {
      const m = c.fetch8();
      c.modrm = m;
      if (c.o32) {
        const g = c.r32[(m >> 3) & 7];
        if (m >= 0xc0) {
          const i = m & 7;
          const r = aluOp(c, op, c.r32[i], g, 31, -1);
          if (writes) c.r32[i] = r;
        } else {
          decodeAddress(c, m);
          if (writes) checkEW(c, 4);
          else checkE(c, 4);
          const r = aluOp(c, op, c.rd32(c.ea), g, 31, -1);
          if (writes) c.wr32(c.ea, r);
        }
      } else {
        if (m < 0xc0) decodeAddress(c, m);
        const r = aluOp(c, op, writes ? readE16m(c) : readE16(c), readG16(c), 15, 0xffff);
        if (writes) writeE16(c, r);
      }
    };
    t[base + 2] = (c) => {
      decodeModrm(c);
      const r = aluOp(c, op, readG8(c), readE8(c), 7, 0xff);
      if (writes) writeG8(c, r);
    };
    t[base + 3] = (c) => {
      const m = c.fetch8();
      c.modrm = m;
      if (c.o32) {
        const g = (m >> 3) & 7;
        let src: number;
        if (m >= 0xc0) src = c.r32[m & 7];
        else {
          decodeAddress(c, m);
          checkE(c, 4);
          src = c.rd32(c.ea);
        }
        const r = aluOp(c, op, c.r32[g], src, 31, -1);
        if (writes) c.r32[g] = r;
      } else {
        if (m < 0xc0) decodeAddress(c, m);
        const r = aluOp(c, op, readG16(c), readE16(c), 15, 0xffff);
        if (writes) writeG16(c, r);
      }
    };
    t[base + 4] = (c) => {
      const r = aluOp(c, op, c.r8[0], c.fetch8(), 7, 0xff);
      if (writes) c.r8[0] = r;
    };
    t[base + 5] = (c) => {
      if (c.o32) {
        const r = aluOp(c, op, c.r32[EAX], c.fetch32(), 31, -1);
        if (writes) c.r32[EAX] = r;
      } else {
        const r = aluOp(c, op, c.r16[0], c.fetch16(), 15, 0xffff);
        if (writes) c.r16[0] = r;
      }
    };
  }

  // Group 1: 80 Eb,Ib; 81 Ev,Iv; 82 (= 80); 83 Ev,Ib sign-extended.
  const group1Byte: Handler = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    const a = op !== 7 ? readE8m(c) : readE8(c);
    const r = aluOp(c, op, a, c.fetch8(), 7, 0xff);
    if (op !== 7) writeE8(c, r);
  };
  t[0x80] = group1Byte;
  t[0x82] = group1Byte;
  t[0x81] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    if (c.o32) {
      const a = op !== 7 ? readE32m(c) : readE32(c);
      const r = aluOp(c, op, a, c.fetch32(), 31, -1);
      if (op !== 7) writeE32(c, r);
    } else {
      const a = op !== 7 ? readE16m(c) : readE16(c);
      const r = aluOp(c, op, a, c.fetch16(), 15, 0xffff);
      if (op !== 7) writeE16(c, r);
    }
  };
  t[0x83] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    if (c.o32) {
      const a = op !== 7 ? readE32m(c) : readE32(c);
      const r = aluOp(c, op, a, c.fetchS8(), 31, -1);
      if (op !== 7) writeE32(c, r);
    } else {
      const a = op !== 7 ? readE16m(c) : readE16(c);
      const r = aluOp(c, op, a, c.fetchS8() & 0xffff, 15, 0xffff);
      if (op !== 7) writeE16(c, r);
    }
  };

  // INC/DEC r16/r32
  for (let reg = 0; reg < 8; reg++) {
    t[0x40 + reg] = (c) => {
      if (c.o32) c.r32[reg] = inc(c, c.r32[reg], 31, -1);
      else c.r16[reg << 1] = inc(c, c.r16[reg << 1], 15, 0xffff);
    };
    t[0x48 + reg] = (c) => {
      if (c.o32) c.r32[reg] = dec(c, c.r32[reg], 31, -1);
      else c.r16[reg << 1] = dec(c, c.r16[reg << 1], 15, 0xffff);
    };
  }

  // TEST
  t[0x84] = (c) => {
    decodeModrm(c);
    setLogicFlags(c, readE8(c) & readG8(c), 7);
  };
  t[0x85] = (c) => {
    decodeModrm(c);
    if (c.o32) setLogicFlags(c, readE32(c) & readG32(c), 31);
    else setLogicFlags(c, readE16(c) & readG16(c), 15);
  };
  t[0xa8] = (c) => setLogicFlags(c, c.r8[0] & c.fetch8(), 7);
  t[0xa9] = (c) => {
    if (c.o32) setLogicFlags(c, c.r32[EAX] & c.fetch32(), 31);
    else setLogicFlags(c, c.r16[0] & c.fetch16(), 15);
  };

  // Group 3
  t[0xf6] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    // NOT and NEG write their operand (checked for the write up front).
    const a = op === 2 || op === 3 ? readE8m(c) : readE8(c);
    switch (op) {
      case 0: case 1: setLogicFlags(c, a & c.fetch8(), 7); return;
      case 2: writeE8(c, ~a & 0xff); return;
      case 3: writeE8(c, aluOp(c, 5, 0, a, 7, 0xff)); return;
      default: mulDiv8(c, op, a);
    }
  };
  t[0xf7] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    const rmw = op === 2 || op === 3;
    if (c.o32) {
      const a = rmw ? readE32m(c) : readE32(c);
      switch (op) {
        case 0: case 1: setLogicFlags(c, a & c.fetch32(), 31); return;
        case 2: writeE32(c, ~a); return;
        case 3: writeE32(c, aluOp(c, 5, 0, a, 31, -1)); return;
        default: mulDiv32(c, op, a);
      }
    } else {
      const a = rmw ? readE16m(c) : readE16(c);
      switch (op) {
        case 0: case 1: setLogicFlags(c, a & c.fetch16(), 15); return;
        case 2: writeE16(c, ~a & 0xffff); return;
        case 3: writeE16(c, aluOp(c, 5, 0, a, 15, 0xffff)); return;
        default: mulDiv16(c, op, a);
      }
    }
  };

  // Group 4: FE /0 INC Eb, /1 DEC Eb.
  t[0xfe] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    if (op === 0) writeE8(c, inc(c, readE8m(c), 7, 0xff));
    else if (op === 1) writeE8(c, dec(c, readE8m(c), 7, 0xff));
    else c.ud();
  };

  // IMUL Gv, Ev (0F AF is installed by the decoder through imulGvEv), IMUL Gv,Ev,Iv / Ib.
  t[0x69] = (c) => {
    decodeModrm(c);
    if (c.o32) {
      const a = readE32(c);
      imulInto(c, a, c.fetch32());
    } else {
      const a = readE16(c);
      imulInto(c, a, c.fetch16());
    }
  };
  t[0x6b] = (c) => {
    decodeModrm(c);
    if (c.o32) {
      const a = readE32(c);
      imulInto(c, a, c.fetchS8());
    } else {
      const a = readE16(c);
      imulInto(c, a, c.fetchS8());
    }
  };
  void REG8_INDEX;
  void materializeFlags;
}

/** IMUL Gv = a * b (truncated), CF=OF when the full product does not fit. */
function imulInto(c: CPU, a: number, b: number): void {
  if (c.o32) {
    // The double product is exact whenever it fits in 32 bits, so "fits" is a plain comparison.
    const lo = Math.imul(a, b);
    writeG32(c, lo);
    mulFlags(c, lo, 31, (a | 0) * (b | 0) !== lo);
  } else {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    writeG16(c, p);
    mulFlags(c, p & 0xffff, 15, p !== ((p << 16) >> 16));
  }
}

export const imulGvEv: Handler = (c) => {
  decodeModrm(c);
  if (c.o32) imulInto(c, readG32(c), readE32(c));
  else imulInto(c, readG16(c), readE16(c));
};
