// ModRM/SIB decoding (16- and 32-bit addressing) and operand access for the E (r/m) and G (reg)
// operands of the current instruction.

import type { CPU } from "./cpu.ts";
import { DS, SS, REG8_INDEX } from "./constants.ts";
import { checkEa, checkEaWrite, checkSegRead, checkSegWrite } from "./seg-limits.ts";

/** Reads ModRM and, for memory forms, the SIB/displacement; sets c.modrm, c.eaOff, c.eaSeg, c.ea. */
export function decodeModrm(c: CPU): void {
  const m = c.fetch8();
  c.modrm = m;
  if (m < 0xc0) {
    if (c.a32) decodeAddress32(c, m);
    else decodeAddress16(c, m);
  }
}

export function decodeAddress(c: CPU, m: number): void {
  if (c.a32) decodeAddress32(c, m);
  else decodeAddress16(c, m);
}

function decodeAddress32(c: CPU, m: number): void {
  const mod = m >> 6;
  const rm = m & 7;
  const r = c.r32;
  let off: number;
  let seg = DS;
  if (rm === 4) {
    const sib = c.fetch8();
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    if (base === 5 && mod === 0) off = c.fetch32();
    else {
      off = r[base];
      if (base === 4 || base === 5) seg = SS;
    }
    if (index !== 4) off += r[index] << (sib >> 6);
  } else if (rm === 5 && mod === 0) {
    off = c.fetch32();
  } else {
    off = r[rm];
    if (rm === 5) seg = SS;
  }
  if (mod === 1) off += c.fetchS8();
  else if (mod === 2) off += c.fetch32();
  off |= 0;
  if (c.segOvr >= 0) seg = c.segOvr;
  c.eaOff = off;
  c.eaSeg = seg;
  c.ea = (c.segBase[seg] + off) | 0;
  c.eaCheck = c.segCheck[seg];
}

function decodeAddress16(c: CPU, m: number): void {
  const mod = m >> 6;
  const r = c.r32;
  let off: number;
  let seg = DS;
  switch (m & 7) {
    case 0: off = r[3] + r[6]; break;
    case 1: off = r[3] + r[7]; break;
    case 2: off = r[5] + r[6]; seg = SS; break;
    case 3: off = r[5] + r[7]; seg = SS; break;
    case 4: off = r[6]; break;
    case 5: off = r[7]; break;
    case 6:
      if (mod === 0) off = c.fetch16();
      else { off = r[5]; seg = SS; }
      break;
    default: off = r[3]; break;
  }
  if (mod === 1) off += c.fetchS8();
  else if (mod === 2) off += c.fetch16();
  off &= 0xffff;
  if (c.segOvr >= 0) seg = c.segOvr;
  c.eaOff = off;
  c.eaSeg = seg;
  c.ea = (c.segBase[seg] + off) | 0;
  c.eaCheck = c.segCheck[seg];
}

// Memory operands are segment-checked here (c.eaCheck: only for segments that are not flat):
// reads against the segment's read range, writes against its write range (seg-limits.ts).
export function readE8(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r8[REG8_INDEX[m & 7]];
  if (c.eaCheck !== 0) checkEa(c, 1);
  return c.rd8(c.ea);
}
export function writeE8(c: CPU, v: number): void {
  const m = c.modrm;
  if (m >= 0xc0) c.r8[REG8_INDEX[m & 7]] = v;
  else {
    if (c.eaCheck !== 0) checkEaWrite(c, 1);
    c.wr8(c.ea, v);
  }
}
export function readE16(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r16[(m & 7) << 1];
  if (c.eaCheck !== 0) checkEa(c, 2);
  return c.rd16(c.ea);
}
export function writeE16(c: CPU, v: number): void {
  const m = c.modrm;
  if (m >= 0xc0) c.r16[(m & 7) << 1] = v;
  else {
    if (c.eaCheck !== 0) checkEaWrite(c, 2);
    c.wr16(c.ea, v);
  }
}
export function readE32(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r32[m & 7];
  if (c.eaCheck !== 0) checkEa(c, 4);
  return c.rd32(c.ea);
}
export function writeE32(c: CPU, v: number): void {
  const m = c.modrm;
  if (m >= 0xc0) c.r32[m & 7] = v;
  else {
    if (c.eaCheck !== 0) checkEaWrite(c, 4);
    c.wr32(c.ea, v);
  }
}

// The destination of a read-modify-write instruction (ALU ops, INC/DEC, NOT/NEG, shifts, XADD,
// CMPXCHG...) is checked for the write when it is read, so that a segment that may be read but
// not written (read-only data, readable code) faults before the flags or registers change.
export function readE8m(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r8[REG8_INDEX[m & 7]];
  if (c.eaCheck !== 0) checkEaWrite(c, 1);
  return c.rd8(c.ea);
}
export function readE16m(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r16[(m & 7) << 1];
  if (c.eaCheck !== 0) checkEaWrite(c, 2);
  return c.rd16(c.ea);
}
export function readE32m(c: CPU): number {
  const m = c.modrm;
  if (m >= 0xc0) return c.r32[m & 7];
  if (c.eaCheck !== 0) checkEaWrite(c, 4);
  return c.rd32(c.ea);
}

/** Segment check of a `size`-byte memory operand the caller reads through c.ea itself (wide
 *  operands: far pointers, BOUND, descriptor-table registers, and the plain 32-bit MOV/ALU
 *  forms). `align`: the alignment #AC wants (the natural one of `size` by default). */
export function checkE(c: CPU, size: number, align?: number): void {
  if (c.eaCheck !== 0) checkEa(c, size, align);
}

/** The same for an operand the caller writes (or reads and writes) through c.ea. */
export function checkEW(c: CPU, size: number, align?: number): void {
  if (c.eaCheck !== 0) checkEaWrite(c, size, align);
}

export function regField(c: CPU): number {
  return (c.modrm >> 3) & 7;
}
export function readG8(c: CPU): number {
  return c.r8[REG8_INDEX[(c.modrm >> 3) & 7]];
}
export function writeG8(c: CPU, v: number): void {
  c.r8[REG8_INDEX[(c.modrm >> 3) & 7]] = v;
}
export function readG16(c: CPU): number {
  return c.r16[((c.modrm >> 3) & 7) << 1];
}
export function writeG16(c: CPU, v: number): void {
  c.r16[((c.modrm >> 3) & 7) << 1] = v;
}
export function readG32(c: CPU): number {
  return c.r32[(c.modrm >> 3) & 7];
}
export function writeG32(c: CPU, v: number): void {
  c.r32[(c.modrm >> 3) & 7] = v;
}

/** Linear address of `size` bytes at offset `off` in segment `defaultSeg` unless overridden (XLAT,
 *  MOV moffs), after the segment check for a read or a write. */
export function segAddress(c: CPU, defaultSeg: number, off: number, size: number, write = false): number {
  const seg = c.segOvr >= 0 ? c.segOvr : defaultSeg;
  if (c.segCheck[seg] !== 0) {
    if (write) checkSegWrite(c, seg, off, size);
    else checkSegRead(c, seg, off, size);
  }
  return (c.segBase[seg] + off) | 0;
}
