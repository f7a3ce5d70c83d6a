// PAE paging (SDM vol. 3A 4.4): the four PDPTEs cached when CR3 is loaded, the 64-bit PDE/PTE walk
// (4 KiB pages, 2 MiB pages through PDE.PS), the execute-disable bit with EFER.NXE and the reserved
// bits above MAXPHYADDR (36). Only reached on a TLB miss; the TLB entries it makes are the same as
// the 32-bit walk's (plus TLB_NX), so the fast paths do not know which walk filled them.
//
// Physical addresses at or above 4 GiB (bits 35:32 of an entry) are unbacked on this machine: such a
// page never gets a TLB entry (the entry format holds 32-bit physical pages), translate returns the
// full address as a JS number above 0xFFFFFFFF and the CPU's slow paths read all ones and drop
// writes for it. Page tables up there read as all ones (present, reserved bits set: #PF RSVD).

import type { CPU } from "./cpu.ts";
import { cacheTranslation, checkAccess, pageFault } from "./paging.ts";

export const EFER_NXE = 0x800;

/** PDPTE: reserved low bits (2:1 and 8:5) and high bits (63:36, the NX position included). */
const PDPTE_RESERVED_LO = 0x1e6;
const PDPTE_RESERVED_HI = 0xfffffff0 | 0;
/** PDE/PTE high dword: bits 62:36 always reserved, bit 63 too unless EFER.NXE. */
const ENTRY_RESERVED_HI = 0x7ffffff0;
const ENTRY_RESERVED_HI_NO_NX = 0xfffffff0 | 0;
/** 2 MiB PDE: bits 20:13 (bit 12 is PAT). */
const PDE2M_RESERVED_LO = 0x001fe000;

// Scratch (no allocation on the walk): the PDPTEs being loaded, the last entry read.
const pdpteScratch = new Int32Array(8);
let entryLo = 0;
let entryHi = 0;

/** Loads the four PDPTEs from the 32-byte-aligned table at `cr3` into c.pdpte. Returns false
 *  (nothing changed) when a present entry has a reserved bit set: the caller raises #GP(0). */
export function loadPdptes(c: CPU, cr3: number): boolean {
  const base = (cr3 & ~0x1f) >>> 0;
  const mem = c.memory;
  const e = pdpteScratch;
  for (let i = 0; i < 4; i++) {
    const lo = mem.read32(base + i * 8);
    const hi = mem.read32(base + i * 8 + 4);
    if ((lo & 1) !== 0 && ((lo & PDPTE_RESERVED_LO) !== 0 || (hi & PDPTE_RESERVED_HI) !== 0)) return false;
    e[i * 2] = lo;
    e[i * 2 + 1] = hi;
  }
  c.pdpte.set(e);
  return true;
}

/** One 64-bit paging-structure entry at physical hi:lo; unbacked (above 4 GiB) reads as all ones. */
function readEntry(c: CPU, lo: number, hi: number): void {
  if (hi !== 0) {
    entryLo = entryHi = -1;
    return;
  }
  entryLo = c.memory.read32(lo);
  entryHi = c.memory.read32(lo + 4);
}

/** Sets accessed/dirty bits (low dword only: A and D live there). Unbacked tables are not written. */
function writeEntryLo(c: CPU, lo: number, hi: number, value: number): void {
  if (hi !== 0) return;
  c.jitNoteWrite(lo, 4);
  c.memory.write32(lo, value);
}

export function translatePae(c: CPU, lin: number, write: boolean, user: boolean, fetch: boolean): number {
  const mem = c.memory;
  const linPage = lin >>> 12;
  const nxe = (c.efer & EFER_NXE) !== 0;
  const reservedHi = nxe ? ENTRY_RESERVED_HI : ENTRY_RESERVED_HI_NO_NX;
  const slot = (lin >>> 30) * 2;
  const pdpLo = c.pdpte[slot], pdpHi = c.pdpte[slot + 1];
  if ((pdpLo & 1) === 0) pageFault(c, lin, write, user, false, false, fetch);

  const pdeAddr = ((pdpLo & ~0xfff) | ((lin >>> 18) & 0xff8)) >>> 0;
  const pdeAddrHi = pdpHi & 0xf;
  readEntry(c, pdeAddr, pdeAddrHi);
  let pde = entryLo;
  const pdeTop = entryHi;
  if ((pde & 1) === 0) pageFault(c, lin, write, user, false, false, fetch);
  if ((pdeTop & reservedHi) !== 0) pageFault(c, lin, write, user, true, true, fetch);

  let physLo: number, physHi: number;
  let allowUser: boolean, allowWrite: boolean, noExec: boolean;
  let global: boolean, dirty: boolean;
  let large = false;
  if ((pde & 0x80) !== 0) {
    // 2 MiB page (PDE.PS is honoured whatever CR4.PSE says).
    if ((pde & PDE2M_RESERVED_LO) !== 0) pageFault(c, lin, write, user, true, true, fetch);
    allowUser = (pde & 4) !== 0;
    allowWrite = (pde & 2) !== 0;
    noExec = nxe && pdeTop < 0;
    checkAccess(c, lin, write, user, allowUser, allowWrite, fetch);
    if (fetch && noExec) pageFault(c, lin, false, user, true, false, true);
    const want = pde | 0x20 | (write ? 0x40 : 0);
    if (want !== pde) {
      writeEntryLo(c, pdeAddr, pdeAddrHi, want);
      pde = want;
    }
    physLo = (pde & 0xffe00000) | (lin & 0x1ff000);
    physHi = pdeTop & 0xf;
    global = (pde & 0x100) !== 0;
    dirty = (pde & 0x40) !== 0;
    large = true;
  } else {
    const pteAddr = ((pde & ~0xfff) | ((lin >>> 9) & 0xff8)) >>> 0;
    const pteAddrHi = pdeTop & 0xf;
    readEntry(c, pteAddr, pteAddrHi);
    let pte = entryLo;
    const pteTop = entryHi;
    if ((pte & 1) === 0) pageFault(c, lin, write, user, false, false, fetch);
    if ((pteTop & reservedHi) !== 0) pageFault(c, lin, write, user, true, true, fetch);
    allowUser = (pde & pte & 4) !== 0;
    allowWrite = (pde & pte & 2) !== 0;
    noExec = nxe && (pdeTop | pteTop) < 0;
    checkAccess(c, lin, write, user, allowUser, allowWrite, fetch);
    if (fetch && noExec) pageFault(c, lin, false, user, true, false, true);
    if ((pde & 0x20) === 0) writeEntryLo(c, pdeAddr, pdeAddrHi, pde | 0x20);
    const want = pte | 0x20 | (write ? 0x40 : 0);
    if (want !== pte) {
      writeEntryLo(c, pteAddr, pteAddrHi, want);
      pte = want;
    }
    physLo = pte & ~0xfff;
    physHi = pteTop & 0xf;
    global = (pte & 0x100) !== 0;
    dirty = (pte & 0x40) !== 0;
  }

  if (physHi !== 0) {
    // Above 4 GiB: no TLB entry (and none left from an older mapping of this page).
    c.tlb[linPage] = 0;
    return physHi * 0x100000000 + (((physLo | (lin & 0xfff)) & mem.a20Mask) >>> 0);
  }
  return cacheTranslation(c, lin, physLo, large, allowUser, allowWrite, dirty, global, noExec);
}
