// Segment limit checks on data accesses (SDM vol. 3A 5.3): every byte of an operand must lie at a
// valid offset of its segment, else #GP(0), or #SS(0) for SS. Expand-up segments allow offsets
// 0..limit; expand-down data segments limit+1..0xFFFF (B=0) or ..0xFFFFFFFF (B=1); a null selector
// loaded in protected mode allows none. Real and virtual-8086 mode check the cached limit too
// (0xFFFF unless a protected-mode load left a bigger one: "unreal mode").
//
// The checks cost nothing for flat segments (base any, limit 4 GiB, expand-up), which is what most
// OSes run on: each segment register has a precomputed `segCheck` flag, set when its cache allows
// less than all 4 GiB, and the access paths test only that flag (c.eaCheck for ModRM operands).

import type { CPU } from "./cpu.ts";
import { EXC_GP, EXC_SS, SS } from "./constants.ts";
import { ATTR_CODE, ATTR_DB, ATTR_DC, ATTR_PRESENT, ATTR_S } from "./segmentation.ts";

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

/** Recomputes segment `seg`'s check flag and valid range from its descriptor cache (after every
 *  change of segLimit/segAttr). */
export function updateSegLimits(c: CPU, seg: number): void {
  const limit = c.segLimit[seg] >>> 0, attr = c.segAttr[seg];
  const lo = rangeLo(limit, attr), hi = rangeHi(limit, attr);
  c.segLo[seg] = lo;
  c.segHi[seg] = hi;
  const check = lo !== 0 || hi !== TOP32;
  c.segCheck[seg] = check ? 1 : 0;
  c.segCheckMask = check ? c.segCheckMask | (1 << seg) : c.segCheckMask & ~(1 << seg);
}

function fault(c: CPU, seg: number): never {
  return c.raise(seg === SS ? EXC_SS : EXC_GP, 0);
}

/** Faults unless bytes off..off+size-1 are valid offsets of `seg` (call only when c.segCheck[seg]).
 *  An operand running past offset 0xFFFFFFFF of a segment valid up to there (expand-down, B=1) is
 *  implementation-specific (SDM 5.3); it wraps without a fault here, as on flat segments and on
 *  the AMD host the differential suite's --kvm mode was checked on. */
export function checkSegOffset(c: CPU, seg: number, off: number, size: number): void {
  const o = off >>> 0;
  const hi = c.segHi[seg];
  if (o < c.segLo[seg] || (o + size - 1 > hi && hi !== TOP32)) fault(c, seg);
}

/** The ModRM memory operand (c.eaSeg:c.eaOff), `size` bytes; call only when c.eaCheck. */
export function checkEa(c: CPU, size: number): void {
  checkSegOffset(c, c.eaSeg, c.eaOff, size);
}

/** `size` bytes at `delta` bytes past the ModRM memory operand's offset (BT with a bit offset). */
export function checkEaAt(c: CPU, delta: number, size: number): void {
  if (c.eaCheck !== 0) checkSegOffset(c, c.eaSeg, (c.eaOff + delta) | 0, size);
}

/** How many bytes from offset `off` on are valid in `seg` (0 when `off` itself is not): bounds a
 *  REP MOVS/STOS bulk copy, which leaves the faulting element to the exact per-element loop. */
export function segBytesFrom(c: CPU, seg: number, off: number): number {
  if (c.segCheck[seg] === 0) return Infinity;
  const o = off >>> 0;
  return o < c.segLo[seg] || o > c.segHi[seg] ? 0 : c.segHi[seg] - o + 1;
}

/** A multi-element stack access of `len` bytes whose lowest element starts at `low` (already
 *  masked to SP or ESP): both ends must be valid offsets of SS. The ends are checked one by one,
 *  so that a 16-bit stack wrapping through 0 counts as its two pieces, like the pushes it stands
 *  for. */
export function checkStackSpan(c: CPU, low: number, len: number): void {
  if (c.segCheck[SS] === 0) return;
  checkSegOffset(c, SS, low, 1);
  checkSegOffset(c, SS, (low + len - 1) & c.stackMask, 1);
}

/** Whether a frame of `len` bytes from offset `low` fits a stack segment not loaded yet (a stack
 *  switch through a gate: the fault is #SS(new SS), raised by the caller). `mask` is its SP mask. */
export function stackSpanFits(limit: number, attr: number, low: number, len: number, mask: number): boolean {
  const lo = rangeLo(limit >>> 0, attr), hi = rangeHi(limit >>> 0, attr);
  const a = low >>> 0, b = ((low + len - 1) & mask) >>> 0;
  return a >= lo && a <= hi && b >= lo && b <= hi;
}

/** The x87/SIMD units' accesses through the host (linear addresses of the current instruction's
 *  ModRM operand, or of MASKMOV's DS:EDI): `size` bytes at linear `addr`; call only when c.eaCheck. */
export function checkOperandLinear(c: CPU, addr: number, size: number): void {
  checkSegOffset(c, c.eaSeg, (c.eaOff + ((addr - c.ea) | 0)) | 0, size);
}
