// Segment registers and descriptor tables: reading descriptors from the GDT/LDT, the checks a
// segment load makes in protected mode, and the descriptor caches (base, limit, attributes).

import type { CPU } from "./cpu.ts";
import { CS, SS, EXC_GP, EXC_NP, EXC_SS } from "./constants.ts";
import { VM } from "./flags.ts";
import { noteSegBase, updateSegLimits } from "./seg-limits.ts";

/** Access-byte bits as stored in segAttr. */
export const ATTR_ACCESSED = 0x01;
export const ATTR_RW = 0x02; // data: writable; code: readable
export const ATTR_DC = 0x04; // data: expand-down; code: conforming
export const ATTR_CODE = 0x08;
export const ATTR_S = 0x10; // code/data (1) or system (0)
export const ATTR_PRESENT = 0x80;
export const ATTR_DB = 0x4000;
export const ATTR_G = 0x8000;

export function setSegmentCache(c: CPU, seg: number, sel: number, base: number, limit: number, attr: number): void {
  c.segSel[seg] = sel;
  c.segBase[seg] = base;
  c.segLimit[seg] = limit;
  c.segAttr[seg] = attr;
  updateSegLimits(c, seg);
}

/** Real mode and virtual-8086 mode: base = selector * 16. In real mode the limit and attributes
 *  stay as cached (a 4 GiB limit loaded in protected mode survives: "unreal mode"); a segment a
 *  null selector left unusable becomes an ordinary 64 KiB read/write data segment again. */
export function loadSegmentRealMode(c: CPU, seg: number, sel: number): void {
  sel &= 0xffff;
  c.segSel[seg] = sel;
  c.segBase[seg] = sel << 4;
  noteSegBase(c, seg);
  if ((c.flags & VM) !== 0) {
    c.segLimit[seg] = 0xffff;
    c.segAttr[seg] = seg === CS ? 0xfb : 0xf3;
    updateSegLimits(c, seg);
  } else if ((c.segAttr[seg] & ATTR_PRESENT) === 0) {
    c.segLimit[seg] = 0xffff;
    c.segAttr[seg] = 0x93;
    updateSegLimits(c, seg);
  }
  if (seg === CS || seg === SS) c.updateCpuMode();
}

export function descriptorBase(lo: number, hi: number): number {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
}

export function descriptorLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? (raw << 12) | 0xfff : raw;
}

export function descriptorAttr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}

/** Linear address of the descriptor for `sel` in the GDT or LDT, or -1 when beyond the table limit. */
export function descriptorAddress(c: CPU, sel: number): number {
  const index = sel & 0xfff8;
  if ((sel & 4) !== 0) {
    if ((c.ldtSel & 0xfffc) === 0 || index + 7 > c.ldtLimit >>> 0) return -1;
    return (c.ldtBase + index) | 0;
  }
  if (index + 7 > c.gdtLimit) return -1;
  return (c.gdtBase + index) | 0;
}

/** Reads the descriptor for `sel` into c.descLo/c.descHi; #GP(selector) (or `vector`) if outside its table. */
export function readDescriptor(c: CPU, sel: number, vector = EXC_GP): void {
  const addr = descriptorAddress(c, sel);
  if (addr === -1) c.raise(vector, sel & 0xfffc);
  c.descAddr = addr;
  c.descLo = c.sysRd32(addr);
  c.descHi = c.sysRd32((addr + 4) | 0);
}

/** Sets the accessed bit of the descriptor last read, as the CPU does on a segment load. */
export function markAccessed(c: CPU): void {
  if ((c.descHi & 0x100) === 0) {
    c.descHi |= 0x100;
    c.sysWr8((c.descAddr + 5) | 0, (c.descHi >>> 8) & 0xff);
  }
}

/** MOV/POP/LDS... to DS, ES, FS, GS or SS, in any mode. */
export function loadSegment(c: CPU, seg: number, sel: number): void {
  sel &= 0xffff;
  if ((c.cr0 & 1) === 0 || (c.flags & VM) !== 0) {
    loadSegmentRealMode(c, seg, sel);
    return;
  }
  if (seg === SS) {
    if ((sel & 0xfffc) === 0) c.gp(0);
    readDescriptor(c, sel);
    const hi = c.descHi;
    const dpl = (hi >>> 13) & 3;
    const type = (hi >>> 8) & 0x1f;
    // Must be a writable data segment with RPL = DPL = CPL.
    if ((sel & 3) !== c.cpl || dpl !== c.cpl || (type & 0x1a) !== 0x12) c.gp(sel & 0xfffc);
    if ((hi & 0x8000) === 0) c.raise(EXC_SS, sel & 0xfffc);
    markAccessed(c);
    setSegmentCache(c, SS, sel, descriptorBase(c.descLo, c.descHi), descriptorLimit(c.descLo, c.descHi), descriptorAttr(c.descHi));
    c.updateCpuMode();
    return;
  }
  if ((sel & 0xfffc) === 0) {
    // Null selector: loads fine; marked not present, so every access through it is #GP(0) (seg-limits.ts).
    setSegmentCache(c, seg, sel, 0, 0, 0);
    return;
  }
  readDescriptor(c, sel);
  const hi = c.descHi;
  const type = (hi >>> 8) & 0x1f;
  const dpl = (hi >>> 13) & 3;
  // Data, or readable code.
  if ((type & 0x10) === 0 || (type & 0x0a) === 0x08) c.gp(sel & 0xfffc);
  // Data and non-conforming code: RPL and CPL must not exceed DPL.
  if ((type & 0x0c) !== 0x0c && ((sel & 3) > dpl || c.cpl > dpl)) c.gp(sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
  markAccessed(c);
  setSegmentCache(c, seg, sel, descriptorBase(c.descLo, c.descHi), descriptorLimit(c.descLo, c.descHi), descriptorAttr(c.descHi));
}

/** Loads CS from the descriptor in c.descLo/descHi with the given selector; CPL becomes `cpl`. */
export function loadCodeSegment(c: CPU, sel: number, cpl: number): void {
  markAccessed(c);
  setSegmentCache(c, CS, (sel & 0xfffc) | cpl, descriptorBase(c.descLo, c.descHi), descriptorLimit(c.descLo, c.descHi), descriptorAttr(c.descHi));
  c.cpl = cpl;
  c.updateCpuMode();
}

/** After a return to an outer privilege level: data segments the new CPL may not use become null. */
export function nullInaccessibleSegments(c: CPU): void {
  for (const seg of [0, 3, 4, 5]) {
    const attr = c.segAttr[seg];
    if ((c.segSel[seg] & 0xfffc) === 0) continue;
    const dpl = (attr >>> 5) & 3;
    const conformingCode = (attr & 0x0c) === 0x0c;
    if ((attr & 0x10) === 0 || (!conformingCode && dpl < c.cpl)) setSegmentCache(c, seg, 0, 0, 0, 0);
  }
}

/** Checks a code-segment descriptor (in c.descHi) as a far JMP/CALL target; returns nothing or faults. */
export function checkCodeTarget(c: CPU, sel: number, hi: number): void {
  const dpl = (hi >>> 13) & 3;
  if ((hi & 0x800) === 0 || (hi & 0x1000) === 0) c.gp(sel & 0xfffc);
  if ((hi & 0x400) !== 0) {
    if (dpl > c.cpl) c.gp(sel & 0xfffc); // conforming
  } else if ((sel & 3) > c.cpl || dpl !== c.cpl) c.gp(sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
}

/** Reads the inner-level stack pointer for privilege `dpl` from the current TSS into c.tssSs/tssEsp. */
export function readTssStack(c: CPU, dpl: number): void {
  const type = (c.trAttr & 0xf);
  if ((type & 8) !== 0) {
    const off = 4 + dpl * 8;
    if (off + 7 > c.trLimit >>> 0) c.raise(10, c.trSel & 0xfffc);
    c.tssEsp = c.sysRd32((c.trBase + off) | 0);
    c.tssSs = c.sysRd16((c.trBase + off + 4) | 0);
  } else {
    const off = 2 + dpl * 4;
    if (off + 3 > c.trLimit >>> 0) c.raise(10, c.trSel & 0xfffc);
    c.tssEsp = c.sysRd16((c.trBase + off) | 0);
    c.tssSs = c.sysRd16((c.trBase + off + 2) | 0);
  }
}

/** Validates a new SS (from a TSS or a return) for privilege `cpl`; leaves its descriptor in c.descLo/Hi. */
export function checkStackSegment(c: CPU, sel: number, cpl: number, vector: number): void {
  if ((sel & 0xfffc) === 0) c.raise(vector, 0);
  readDescriptor(c, sel, vector);
  const hi = c.descHi;
  const type = (hi >>> 8) & 0x1f;
  if ((sel & 3) !== cpl || ((hi >>> 13) & 3) !== cpl || (type & 0x1a) !== 0x12) c.raise(vector, sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_SS, sel & 0xfffc);
}

/** Loads SS from the descriptor in c.descLo/descHi. */
export function loadStackSegment(c: CPU, sel: number): void {
  markAccessed(c);
  setSegmentCache(c, SS, sel, descriptorBase(c.descLo, c.descHi), descriptorLimit(c.descLo, c.descHi), descriptorAttr(c.descHi));
  c.updateCpuMode();
}
