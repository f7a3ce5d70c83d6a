// Segment checks on data accesses: limits (SDM vol. 3A 5.3), types (5.4/5.5) and alignment (6.15,
// #AC). Every byte of an operand must lie at a valid offset of its segment, else #GP(0), or #SS(0)
// for SS. Expand-up segments allow offsets 0..limit; expand-down data segments limit+1..0xFFFF
// (B=0) or ..0xFFFFFFFF (B=1); a null selector loaded in protected mode allows none. Real and
// virtual-8086 mode check the cached limit too (0xFFFF unless a protected-mode load left a bigger
// one: "unreal mode").
//
// Types: in protected mode (not virtual-8086 mode) a segment allows reads and writes by its cached
// type: writes only through writable data segments (never through code, so never through a CS
// override), reads through data and readable code, not through execute-only code. Each segment
// keeps two ranges, one for reads (segLo..segHi) and one for writes (segWLo..segWHi); a kind of
// access its type forbids has an empty range, so the type costs the checked path nothing extra.
// Loads already refuse what may never be in a register (SS must be writable data, DS/ES/FS/GS
// data or readable code: segmentation.ts), so the access checks matter for read-only data
// segments and for CS overrides.
//
// Alignment: with CR0.AM, EFLAGS.AC and CPL 3 (c.alignCheck) a data access whose linear address is
// not a multiple of its operand's alignment raises #AC(0) (after the limit and type checks).
//
// The checks cost nothing for flat segments (base any, limit 4 GiB, expand-up, readable and
// writable), which is what most OSes run on: each segment register has a precomputed `segCheck`
// flag, set when its cache allows less than all 4 GiB for either kind of access or when alignment
// checking is on, and the access paths test only that flag (c.eaCheck for ModRM operands).
// Compiled blocks run only while the segments they use have the flag clear (segCheckMask).

import type { CPU } from "./cpu.ts";
import { EXC_AC, EXC_GP, EXC_SS, SS } from "./constants.ts";
import { ATTR_CODE, ATTR_DB, ATTR_DC, ATTR_PRESENT, ATTR_RW, ATTR_S } from "./segmentation.ts";

const TOP32 = 0xffffffff;

/** Lowest valid offset of a segment with this limit and these attributes; a null selector
 *  (cache marked not present) gets lo > hi: no valid offset. */
function rangeLo(limit: number, attr: number): number {
  if ((attr & ATTR_PRESENT) === 0) return 1;
  return (attr & (ATTR_S | ATTR_CODE | ATTR_DC)) === (ATTR_S | ATTR_DC) ? limit + 1 : 0;
}

/** Highest valid offset (expand-down: the top of the B-bit's offset space). */
function rangeHi(limit: number, attr: number): number {
  if ((attr & ATTR_PRESENT) === 0) return 0;
  if ((attr & (ATTR_S | ATTR_CODE | ATTR_DC)) === (ATTR_S | ATTR_DC)) return (attr & ATTR_DB) !== 0 ? TOP32 : 0xffff;
  return limit;
}

/** Recomputes segment `seg`'s check flag and valid ranges from its descriptor cache (after every
 *  change of segLimit/segAttr) and from the mode (c.segTypesActive, c.alignCheck: see
 *  updateAllSegChecks). For CS also the fetch limit. */
export function updateSegLimits(c: CPU, seg: number): void {
  const limit = c.segLimit[seg] >>> 0, attr = c.segAttr[seg];
  let lo = rangeLo(limit, attr), hi = rangeHi(limit, attr);
  let wlo = lo, whi = hi;
  if (c.segTypesActive && (attr & ATTR_S) !== 0) {
    // Code is never writable and readable only with R; data is always readable, writable with W.
    if ((attr & ATTR_CODE) !== 0 || (attr & ATTR_RW) === 0) {
      wlo = 1;
      whi = 0;
    }
    if ((attr & (ATTR_CODE | ATTR_RW)) === ATTR_CODE) {
      lo = 1;
      hi = 0;
    }
  }
  c.segLo[seg] = lo;
  c.segHi[seg] = hi;
  c.segWLo[seg] = wlo;
  c.segWHi[seg] = whi;
  const check = lo !== 0 || hi !== TOP32 || wlo !== 0 || whi !== TOP32 || c.alignCheck;
  c.segCheck[seg] = check ? 1 : 0;
  c.segCheckMask = check ? c.segCheckMask | (1 << seg) : c.segCheckMask & ~(1 << seg);
  noteSegBase(c, seg);
  if (seg === 1) {
    // CS: instruction fetches and branch targets must lie in 0..limit (code is expand-up).
    c.codeLimit = limit;
    c.fetchLo = 1;
    c.fetchHi = 0;
  }
}

/** Keeps c.segBaseNonZero in step with segBase[seg] (compiled blocks assume the bases that were 0). */
export function noteSegBase(c: CPU, seg: number): void {
  c.segBaseNonZero = c.segBase[seg] !== 0 ? c.segBaseNonZero | (1 << seg) : c.segBaseNonZero & ~(1 << seg);
}

/** After a change of the mode bits the checks depend on: type checks in protected mode only,
 *  alignment checks with CR0.AM, EFLAGS.AC and CPL 3 (called by CPU.updateCpuMode). */
export function updateAllSegChecks(c: CPU): void {
  const pm = (c.cr0 & 1) !== 0 && (c.flags & 0x20000) === 0;
  const ac = (c.cr0 & 0x40000) !== 0 && (c.flags & 0x40000) !== 0 && c.cpl === 3;
  if (pm === c.segTypesActive && ac === c.alignCheck) return;
  c.segTypesActive = pm;
  c.alignCheck = ac;
  for (let seg = 0; seg < 6; seg++) updateSegLimits(c, seg);
}

function fault(c: CPU, seg: number): never {
  return c.raise(seg === SS ? EXC_SS : EXC_GP, 0);
}

/** #AC(0) when alignment checking is on and linear address `lin` is not a multiple of `align`
 *  (a power of two; 1 = no requirement). */
export function checkAlign(c: CPU, lin: number, align: number): void {
  if (c.alignCheck && (lin & (align - 1)) !== 0) c.raise(EXC_AC, 0);
}

/** Natural alignment of a `size`-byte operand (word, dword, qword), 1 for other sizes. */
function natural(size: number): number {
  return (size & (size - 1)) === 0 ? size : 1;
}

/** Faults unless bytes off..off+size-1 are valid offsets of `seg` for a read, then checks the
 *  alignment (`align`, the operand's natural one by default); call only when c.segCheck[seg].
 *  An operand running past offset 0xFFFFFFFF of a segment valid up to there (expand-down, B=1)
 *  is implementation-specific (SDM 5.3); it wraps without a fault here, as on flat segments and on
 *  the AMD host the differential suite's --kvm mode was checked on. */
export function checkSegRead(c: CPU, seg: number, off: number, size: number, align = natural(size)): void {
  const o = off >>> 0;
  const hi = c.segHi[seg];
  if (o < c.segLo[seg] || (o + size - 1 > hi && hi !== TOP32)) fault(c, seg);
  if (c.alignCheck) checkAlign(c, (c.segBase[seg] + off) | 0, align);
}

/** The same for a write (the segment's write range: empty for code and read-only data in
 *  protected mode). */
export function checkSegWrite(c: CPU, seg: number, off: number, size: number, align = natural(size)): void {
  const o = off >>> 0;
  const hi = c.segWHi[seg];
  if (o < c.segWLo[seg] || (o + size - 1 > hi && hi !== TOP32)) fault(c, seg);
  if (c.alignCheck) checkAlign(c, (c.segBase[seg] + off) | 0, align);
}

/** The ModRM memory operand (c.eaSeg:c.eaOff), `size` bytes, read; call only when c.eaCheck. */
export function checkEa(c: CPU, size: number, align = natural(size)): void {
  checkSegRead(c, c.eaSeg, c.eaOff, size, align);
}

/** The ModRM memory operand, written (or read and written); call only when c.eaCheck. */
export function checkEaWrite(c: CPU, size: number, align = natural(size)): void {
  checkSegWrite(c, c.eaSeg, c.eaOff, size, align);
}

/** `size` bytes at `delta` bytes past the ModRM memory operand's offset (BT* with a bit offset),
 *  read only (BT) or also written (BTS/BTR/BTC). */
export function checkEaAt(c: CPU, delta: number, size: number, write: boolean): void {
  if (c.eaCheck === 0) return;
  if (write) checkSegWrite(c, c.eaSeg, (c.eaOff + delta) | 0, size);
  else checkSegRead(c, c.eaSeg, (c.eaOff + delta) | 0, size);
}

/** How many bytes from offset `off` on are valid in `seg` for reads or writes (0 when `off` itself
 *  is not): bounds a REP MOVS/STOS bulk copy, which leaves the faulting element to the exact
 *  per-element loop. */
export function segBytesFrom(c: CPU, seg: number, off: number, write: boolean): number {
  if (c.segCheck[seg] === 0) return Infinity;
  const o = off >>> 0;
  const lo = write ? c.segWLo[seg] : c.segLo[seg], hi = write ? c.segWHi[seg] : c.segHi[seg];
  return o < lo || o > hi ? 0 : hi - o + 1;
}

/** A multi-element stack access of `len` bytes whose lowest element starts at `low` (already
 *  masked to SP or ESP): both ends must be valid offsets of SS. The ends are checked one by one,
 *  so that a 16-bit stack wrapping through 0 counts as its two pieces, like the pushes it stands
 *  for. SS always holds a writable data segment (segmentation.ts), so its read range is its write
 *  range; alignment is left to the element accesses. */
export function checkStackSpan(c: CPU, low: number, len: number): void {
  if (c.segCheck[SS] === 0) return;
  checkSegRead(c, SS, low, 1);
  checkSegRead(c, SS, (low + len - 1) & c.stackMask, 1);
}

/** Whether a frame of `len` bytes from offset `low` fits a stack segment not loaded yet (a stack
 *  switch through a gate: the fault is #SS(new SS), raised by the caller). `mask` is its SP mask. */
export function stackSpanFits(limit: number, attr: number, low: number, len: number, mask: number): boolean {
  const lo = rangeLo(limit >>> 0, attr), hi = rangeHi(limit >>> 0, attr);
  const a = low >>> 0, b = ((low + len - 1) & mask) >>> 0;
  return a >= lo && a <= hi && b >= lo && b <= hi;
}

/** The x87/SIMD units' accesses through the host (linear addresses of the current instruction's
 *  ModRM operand, or of MASKMOV's DS:EDI): `size` bytes at linear `addr`, read or written; call
 *  only when c.eaCheck. The units access their operands in pieces, so alignment is not checked
 *  here (x87/SIMD operands are not alignment-checked: see README). */
export function checkOperandLinear(c: CPU, addr: number, size: number, write: boolean): void {
  const off = (c.eaOff + ((addr - c.ea) | 0)) | 0;
  const seg = c.eaSeg;
  const o = off >>> 0;
  const lo = write ? c.segWLo[seg] : c.segLo[seg], hi = write ? c.segWHi[seg] : c.segHi[seg];
  if (o < lo || (o + size - 1 > hi && hi !== TOP32)) fault(c, seg);
}
