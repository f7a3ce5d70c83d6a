// String instructions MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS with REP/REPE/REPNE and address-size
// overrides. A long REP runs in bounded chunks: after CHUNK iterations the instruction is restarted
// (EIP rewound, registers already reflect the progress) so interrupts and the slice budget are served.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { DS, ECX, EDI, EDX, ES, ESI, EAX } from "./constants.ts";
import { DF, RF, getZF, setSubFlags } from "./flags.ts";
import { portIn, portOut, checkIoPermission } from "./port-io.ts";
import { checkSegRead, checkSegWrite, segBytesFrom } from "./seg-limits.ts";

const CHUNK = 4096;

const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

function read(c: CPU, lin: number, size: number): number {
  return size === 1 ? c.rd8(lin) : size === 2 ? c.rd16(lin) : c.rd32(lin);
}
function write(c: CPU, lin: number, size: number, v: number): void {
  if (size === 1) c.wr8(lin, v);
  else if (size === 2) c.wr16(lin, v);
  else c.wr32(lin, v);
}

/** One iteration; updates ESI/EDI. */
function once(c: CPU, kind: number, size: number): void {
  const a32 = c.a32;
  const r = c.r32;
  const si = a32 ? r[ESI] : c.r16[ESI << 1];
  const di = a32 ? r[EDI] : c.r16[EDI << 1];
  const d = (c.flags & DF) !== 0 ? -size : size;
  const srcSeg = c.segOvr >= 0 ? c.segOvr : DS;
  // Segment checks before any access (INS: before the port read); a REP stops here with the
  // registers of the last completed element. MOVS/STOS/INS write ES:DI, CMPS/SCAS read it.
  if (kind !== STOS && kind !== SCAS && kind !== INS && c.segCheck[srcSeg] !== 0) checkSegRead(c, srcSeg, si, size);
  if (kind !== LODS && kind !== OUTS && c.segCheck[ES] !== 0) {
    if (kind === CMPS || kind === SCAS) checkSegRead(c, ES, di, size);
    else checkSegWrite(c, ES, di, size);
  }
  const src = (c.segBase[srcSeg] + si) | 0;
  const dst = (c.segBase[ES] + di) | 0;
  let useSi = false, useDi = false;
  switch (kind) {
    case MOVS:
      write(c, dst, size, read(c, src, size));
      useSi = useDi = true;
      break;
    case CMPS: {
      const a = read(c, src, size), b = read(c, dst, size);
      const mask = size === 4 ? -1 : (1 << (size * 8)) - 1;
      setSubFlags(c, a, b, (a - b) & mask, size * 8 - 1);
      useSi = useDi = true;
      break;
    }
    case STOS:
      write(c, dst, size, size === 1 ? c.r8[0] : size === 2 ? c.r16[0] : r[EAX]);
      useDi = true;
      break;
    case LODS: {
      const v = read(c, src, size);
      if (size === 1) c.r8[0] = v;
      else if (size === 2) c.r16[0] = v;
      else r[EAX] = v;
      useSi = true;
      break;
    }
    case SCAS: {
      const a = size === 1 ? c.r8[0] : size === 2 ? c.r16[0] : r[EAX];
      const b = read(c, dst, size);
      const mask = size === 4 ? -1 : (1 << (size * 8)) - 1;
      setSubFlags(c, a, b, (a - b) & mask, size * 8 - 1);
      useDi = true;
      break;
    }
    case INS: {
      // Check the destination before the port read (which may have side effects).
      c.probeWrite(dst, size);
      write(c, dst, size, portIn(c, c.r16[EDX << 1], size));
      useDi = true;
      break;
    }
    default: {
      const v = read(c, src, size);
      portOut(c, c.r16[EDX << 1], size, v);
      useSi = true;
    }
  }
  if (a32) {
    if (useSi) r[ESI] = (si + d) | 0;
    if (useDi) r[EDI] = (di + d) | 0;
  } else {
    if (useSi) c.r16[ESI << 1] = si + d;
    if (useDi) c.r16[EDI << 1] = di + d;
  }
}

function stringOp(c: CPU, kind: number, size: number): void {
  if (kind >= INS) checkIoPermission(c, c.r16[EDX << 1], size);
  if (c.rep === 0) {
    once(c, kind, size);
    return;
  }
  const a32 = c.a32;
  if ((kind === MOVS || kind === STOS) && (c.flags & DF) === 0) {
    bulkForward(c, kind, size);
    // What is left (page crossings, MMIO, faults) goes through the exact per-element path.
  }
  const testsZf = kind === CMPS || kind === SCAS;
  const wantZf = c.rep === 0xf3;
  let count = a32 ? c.r32[ECX] : c.r16[ECX << 1];
  let budget = CHUNK;
  while (count !== 0) {
    once(c, kind, size);
    count = a32 ? (count - 1) | 0 : (count - 1) & 0xffff;
    if (a32) c.r32[ECX] = count;
    else c.r16[ECX << 1] = count;
    if (testsZf && getZF(c) !== wantZf) return;
    // A data or I/O breakpoint hit by this iteration: the #DB trap follows it, before the next
    // one (SDM 17.3.1.2), with RF in its EFLAGS image unless this was the last iteration.
    if (c.dataBreakpointHit && count !== 0) {
      c.eip = c.instrStart;
      c.flags |= RF;
      c.eventPending = true;
      return;
    }
    if (--budget === 0 && count !== 0) {
      // Restarted for the next chunk: an interrupt taken in between pushes RF = 1, and the
      // restart does not hit an instruction breakpoint on it again (SDM 17.3.1.1). The run loop
      // clears RF at the start of the next instruction (eventPending makes it look).
      c.eip = c.instrStart;
      c.flags |= RF;
      c.eventPending = true;
      return;
    }
  }
}

/** REP MOVS/STOS with DF=0: copies/fills whole runs that stay inside one RAM page on each side
 *  directly in memory.ram (at most CHUNK elements per call). Stops at anything unusual. */
function bulkForward(c: CPU, kind: number, size: number): void {
  const a32 = c.a32;
  const r = c.r32;
  const tlb = c.tlb;
  const ram = c.ram;
  let budget = CHUNK;
  // Alignment checking applies per element: the exact loop does it.
  if (c.alignCheck) return;
  const srcSeg = c.segOvr >= 0 ? c.segOvr : DS;
  const srcBase = c.segBase[srcSeg];
  const dstBase = c.segBase[ES];
  while (budget > 0) {
    const count = a32 ? r[ECX] >>> 0 : c.r16[ECX << 1];
    if (count === 0) return;
    const di = a32 ? r[EDI] : c.r16[EDI << 1];
    const dst = (dstBase + di) | 0;
    const de = tlb[dst >>> 12];
    if ((de & c.writeMask) !== c.writeMask) return;
    let room = (4096 - (dst & 0xfff)) / size;
    if (!a32) room = Math.min(room, (0x10000 - di) / size);
    // Only whole elements inside the segment limit (the exact loop faults on the next one).
    room = Math.min(room, segBytesFrom(c, ES, di, true) / size);
    let n = Math.min(count, Math.floor(room), budget);
    const pdst = ((de & ~0xfff) ^ dst) >>> 0;
    if (kind === MOVS) {
      const si = a32 ? r[ESI] : c.r16[ESI << 1];
      const src = (srcBase + si) | 0;
      const se = tlb[src >>> 12];
      if ((se & c.readMask) !== c.readMask) return;
      let sroom = (4096 - (src & 0xfff)) / size;
      if (!a32) sroom = Math.min(sroom, (0x10000 - si) / size);
      sroom = Math.min(sroom, segBytesFrom(c, srcSeg, si, false) / size);
      n = Math.min(n, Math.floor(sroom));
      if (n <= 0) return;
      const psrc = ((se & ~0xfff) ^ src) >>> 0;
      const bytes = n * size;
      // Overlap with the destination ahead of the source repeats a pattern: leave it to the exact loop.
      if (pdst > psrc && pdst < psrc + bytes) return;
      ram.copyWithin(pdst, psrc, psrc + bytes);
      if (a32) r[ESI] = (si + bytes) | 0;
      else c.r16[ESI << 1] = si + bytes;
    } else {
      if (n <= 0) return;
      if (size === 1) ram.fill(r[EAX] & 0xff, pdst, pdst + n);
      else if (size === 2) {
        const v = r[EAX] & 0xffff;
        if ((pdst & 1) === 0) c.ram16.fill(v, pdst >>> 1, (pdst >>> 1) + n);
        else for (let i = 0; i < n; i++) { ram[pdst + 2 * i] = v; ram[pdst + 2 * i + 1] = v >> 8; }
      } else {
        const v = r[EAX];
        if ((pdst & 3) === 0) c.ram32.fill(v, pdst >>> 2, (pdst >>> 2) + n);
        else for (let i = 0; i < n; i++) {
          const p = pdst + 4 * i;
          ram[p] = v; ram[p + 1] = v >> 8; ram[p + 2] = v >> 16; ram[p + 3] = v >> 24;
        }
      }
    }
    const bytes = n * size;
    if (a32) {
      r[EDI] = (di + bytes) | 0;
      r[ECX] = (count - n) | 0;
    } else {
      c.r16[EDI << 1] = di + bytes;
      c.r16[ECX << 1] = count - n;
    }
    budget -= n;
  }
}

export function installStringOps(t: Handler[]): void {
  const pair = (opcode: number, kind: number): void => {
    t[opcode] = (c) => stringOp(c, kind, 1);
    t[opcode + 1] = (c) => stringOp(c, kind, c.o32 ? 4 : 2);
  };
  pair(0xa4, MOVS);
  pair(0xa6, CMPS);
  pair(0xaa, STOS);
  pair(0xac, LODS);
  pair(0xae, SCAS);
  pair(0x6c, INS);
  pair(0x6e, OUTS);
}
