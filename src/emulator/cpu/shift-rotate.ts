// Shifts and rotates: ROL/ROR/RCL/RCR/SHL/SHR/SAL/SAR by 1, CL or imm8 (count masked to 5 bits),
// and the double-precision SHLD/SHRD.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { ECX, REG8_INDEX } from "./constants.ts";
import { CF, OF, getCF, materializeFlags, setResultFlags } from "./flags.ts";
import { decodeModrm, readE16m, readE32m, readE8m, readG16, readG32, writeE16, writeE32, writeE8 } from "./modrm.ts";

/** Applies shift/rotate `op` to v (masked to `bits`) by the already 5-bit-masked count (> 0). */
export function shiftOp(c: CPU, op: number, v: number, count: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const shift = bits - 1;
  let r: number;
  switch (op) {
    case 0: { // ROL
      const n = count % bits;
      r = n === 0 ? v : ((v << n) | ((v & mask) >>> (bits - n))) & mask;
      setRotateFlags(c, r & 1, ((r >>> shift) ^ r) & 1);
      return r;
    }
    case 1: { // ROR
      const n = count % bits;
      r = n === 0 ? v : (((v & mask) >>> n) | (v << (bits - n))) & mask;
      setRotateFlags(c, (r >>> shift) & 1, ((r >>> shift) ^ (r >>> (shift - 1))) & 1);
      return r;
    }
    case 2: { // RCL
      const n = bits === 32 ? count : count % (bits + 1);
      let cf = getCF(c);
      r = v & mask;
      for (let i = 0; i < n; i++) {
        const out = (r >>> shift) & 1;
        r = ((r << 1) | cf) & mask;
        cf = out;
      }
      setRotateFlags(c, cf, ((r >>> shift) & 1) ^ cf);
      return r;
    }
    case 3: { // RCR
      const n = bits === 32 ? count : count % (bits + 1);
      let cf = getCF(c);
      r = v & mask;
      const of = ((r >>> shift) & 1) ^ cf;
      for (let i = 0; i < n; i++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf << shift)) & mask;
        cf = out;
      }
      setRotateFlags(c, cf, of);
      return r;
    }
    case 4:
    case 6: { // SHL/SAL
      let cf: number;
      if (count <= bits) {
        r = (v << count) & mask;
        cf = count === 32 ? v & 1 : ((v & mask) >>> (bits - count)) & 1;
      } else {
        r = 0;
        cf = 0;
      }
      setResultFlags(c, r, shift, (cf ? CF : 0) | ((((r >>> shift) & 1) ^ cf) ? OF : 0));
      return r;
    }
    case 5: { // SHR
      const u = v & mask;
      const cf = count <= bits ? (u >>> (count - 1)) & 1 : 0;
      r = count < 32 ? (u >>> count) & mask : 0;
      setResultFlags(c, r, shift, (cf ? CF : 0) | ((u >>> shift) & 1 ? OF : 0));
      return r;
    }
    default: { // SAR
      const s = bits === 32 ? v | 0 : bits === 16 ? (v << 16) >> 16 : (v << 24) >> 24;
      const n = count > shift ? shift + 1 : count;
      const cf = (s >> (n - 1 > 31 ? 31 : n - 1)) & 1;
      r = (n >= bits ? s >> shift : s >> n) & mask;
      setResultFlags(c, r, shift, (cf ? CF : 0));
      return r;
    }
  }
}

function setRotateFlags(c: CPU, cf: number, of: number): void {
  materializeFlags(c);
  c.flags = (c.flags & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
}

function shld(c: CPU, d: number, s: number, n: number, bits: number): number {
  let r: number, cf: number;
  if (bits === 32) {
    r = (d << n) | (s >>> (32 - n));
    cf = (d >>> (32 - n)) & 1;
  } else {
    // 16-bit: shift the 48-bit-ish pattern d:s:d (counts above 16 are undefined on hardware).
    const hi = ((d << 16) | s) >>> 0;
    if (n <= 16) {
      r = ((hi << n) >>> 16) & 0xffff;
      cf = (d >>> (16 - n)) & 1;
    } else {
      const k = n - 16;
      r = (((s << k) | (d >>> (16 - k))) & 0xffff);
      cf = (s >>> (16 - k)) & 1;
    }
  }
  const shift = bits - 1;
  setResultFlags(c, r, shift, (cf ? CF : 0) | ((((r ^ d) >>> shift) & 1) ? OF : 0));
  return r;
}

function shrd(c: CPU, d: number, s: number, n: number, bits: number): number {
  let r: number, cf: number;
  if (bits === 32) {
    r = (d >>> n) | (s << (32 - n));
    cf = (d >>> (n - 1)) & 1;
  } else {
    const v = ((s << 16) | d) >>> 0;
    if (n <= 16) {
      r = (v >>> n) & 0xffff;
      cf = (v >>> (n - 1)) & 1;
    } else {
      const k = n - 16;
      r = ((s >>> k) | (d << (16 - k))) & 0xffff;
      cf = (s >>> (k - 1)) & 1;
    }
  }
  const shift = bits - 1;
  setResultFlags(c, r, shift, (cf ? CF : 0) | ((((r ^ d) >>> shift) & 1) ? OF : 0));
  return r;
}

// The destination is checked for the write when it is read (readE*m), even for a count of 0.
export function installShiftRotate(t: Handler[]): void {
  // kind: 0 = by 1, 1 = by CL, 2 = by imm8
  const byte = (kind: number): Handler => (c) => {
    decodeModrm(c);
    const v = readE8m(c);
    const count = (kind === 0 ? 1 : kind === 1 ? c.r8[REG8_INDEX[ECX]] : c.fetch8()) & 31;
    if (count === 0) return;
    writeE8(c, shiftOp(c, (c.modrm >> 3) & 7, v, count, 8));
  };
  const word = (kind: number): Handler => (c) => {
    decodeModrm(c);
    if (c.o32) {
      const v = readE32m(c);
      const count = (kind === 0 ? 1 : kind === 1 ? c.r8[REG8_INDEX[ECX]] : c.fetch8()) & 31;
      if (count === 0) return;
      writeE32(c, shiftOp(c, (c.modrm >> 3) & 7, v, count, 32));
    } else {
      const v = readE16m(c);
      const count = (kind === 0 ? 1 : kind === 1 ? c.r8[REG8_INDEX[ECX]] : c.fetch8()) & 31;
      if (count === 0) return;
      writeE16(c, shiftOp(c, (c.modrm >> 3) & 7, v, count, 16));
    }
  };
  t[0xc0] = byte(2);
  t[0xc1] = word(2);
  t[0xd0] = byte(0);
  t[0xd1] = word(0);
  t[0xd2] = byte(1);
  t[0xd3] = word(1);
}

export function installShiftRotate0F(t: Handler[]): void {
  const dbl = (left: boolean, byCl: boolean): Handler => (c) => {
    decodeModrm(c);
    if (c.o32) {
      const d = readE32m(c);
      const n = (byCl ? c.r8[REG8_INDEX[ECX]] : c.fetch8()) & 31;
      if (n === 0) return;
      writeE32(c, left ? shld(c, d, readG32(c), n, 32) : shrd(c, d, readG32(c), n, 32));
    } else {
      const d = readE16m(c);
      const n = (byCl ? c.r8[REG8_INDEX[ECX]] : c.fetch8()) & 31;
      if (n === 0) return;
      writeE16(c, left ? shld(c, d, readG16(c), n, 16) : shrd(c, d, readG16(c), n, 16));
    }
  };
  t[0xa4] = dbl(true, false);
  t[0xa5] = dbl(true, true);
  t[0xac] = dbl(false, false);
  t[0xad] = dbl(false, true);
}
