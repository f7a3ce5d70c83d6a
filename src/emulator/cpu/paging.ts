// Paging: the two-level 32-bit page walk (4 KiB pages and PSE 4 MiB pages, PGE global pages),
// accessed/dirty bits, U/S and R/W checks with CR0.WP, #PF error codes and CR2, and the software
// TLB entries the CPU's fast paths read. PAE paging (CR4.PAE) is its own walk: paging-pae.ts.

import type { CPU } from "./cpu.ts";
import { EXC_PF } from "./constants.ts";
import { pageWatched } from "./debug.ts";
import { EFER_NXE, translatePae } from "./paging-pae.ts";

/** TLB entry bits (low 12 bits of an entry; the high 20 bits are physPage ^ linPage). */
export const TLB_VALID = 0x01; // supervisor may read
export const TLB_UREAD = 0x02; // user may read
export const TLB_SWRITE = 0x04; // supervisor may write (and the dirty bit is already set)
export const TLB_UWRITE = 0x08; // user may write (dirty already set)
export const TLB_RAM = 0x10; // physical page is plain RAM: the fast paths may touch memory.ram
export const TLB_GLOBAL = 0x20; // survives MOV CR3 (PGE)
export const TLB_LARGE = 0x40; // part of a 4 MiB page: INVLPG anywhere in it drops all its pieces
export const TLB_NOCODE = 0x80; // no compiled code on the physical page: writes may use the fast path
export const TLB_NX = 0x100; // PAE with EFER.NXE: execute-disable, instruction fetches must walk (and fault)

const CR0_WP = 0x10000;
const CR0_PG = 0x80000000 | 0;
const CR4_PSE = 0x10;
const CR4_PAE = 0x20;
const CR4_PGE = 0x80;
const PDE4M_RESERVED = 0x003fe000;

/** Translates `lin` for an access (`fetch`: an instruction fetch), filling the TLB; raises #PF when not
 *  allowed. Returns the physical address: above 0xFFFFFFFF only under PAE, for an unbacked page that
 *  gets no TLB entry (see paging-pae.ts). */
export function translate(c: CPU, lin: number, write: boolean, user: boolean, fetch = false): number {
  const linPage = lin >>> 12;
  const mem = c.memory;
  if ((c.cr0 & CR0_PG) === 0) {
    const phys = (lin & mem.a20Mask) >>> 0;
    const physPage = phys >>> 12;
    const ramBit = mem.isRamPage(physPage) && !(c.watchActive && pageWatched(c, linPage)) ? TLB_RAM : 0;
    c.tlbInsert(linPage, (((physPage ^ linPage) << 12) | TLB_VALID | TLB_UREAD | TLB_SWRITE | TLB_UWRITE | ramBit));
    return phys;
  }
  if ((c.cr4 & CR4_PAE) !== 0) return translatePae(c, lin, write, user, fetch);
  const pdeAddr = ((c.cr3 & ~0xfff) | ((lin >>> 20) & 0xffc)) >>> 0;
  let pde = mem.read32(pdeAddr);
  if ((pde & 1) === 0) pageFault(c, lin, write, user, false);
  let phys: number;
  let allowUser: boolean;
  let allowWrite: boolean;
  let global: boolean;
  let dirty: boolean;
  let large = false;
  if ((pde & 0x80) !== 0 && (c.cr4 & CR4_PSE) !== 0) {
    // Without PSE-36 (not in CPUID) bits 21:13 of a 4 MiB PDE are reserved: a set one makes the
    // entry invalid (#PF with P and RSVD), before any access-rights check.
    if ((pde & PDE4M_RESERVED) !== 0) pageFault(c, lin, write, user, true, true);
    allowUser = (pde & 4) !== 0;
    allowWrite = (pde & 2) !== 0;
    checkAccess(c, lin, write, user, allowUser, allowWrite);
    const want = pde | 0x20 | (write ? 0x40 : 0);
    if (want !== pde) {
      c.jitNoteWrite(pdeAddr, 4);
      mem.write32(pdeAddr, want);
      pde = want;
    }
    phys = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
    global = (pde & 0x100) !== 0;
    dirty = (pde & 0x40) !== 0;
    large = true;
  } else {
    const pteAddr = ((pde & ~0xfff) | ((lin >>> 10) & 0xffc)) >>> 0;
    let pte = mem.read32(pteAddr);
    if ((pte & 1) === 0) pageFault(c, lin, write, user, false);
    allowUser = (pde & pte & 4) !== 0;
    allowWrite = (pde & pte & 2) !== 0;
    checkAccess(c, lin, write, user, allowUser, allowWrite);
    if ((pde & 0x20) === 0) {
      c.jitNoteWrite(pdeAddr, 4);
      mem.write32(pdeAddr, pde | 0x20);
    }
    const want = pte | 0x20 | (write ? 0x40 : 0);
    if (want !== pte) {
      c.jitNoteWrite(pteAddr, 4);
      mem.write32(pteAddr, want);
      pte = want;
    }
    phys = (pte & ~0xfff) >>> 0;
    global = (pte & 0x100) !== 0;
    dirty = (pte & 0x40) !== 0;
  }
  return cacheTranslation(c, lin, phys, large, allowUser, allowWrite, dirty, global, false);
}

/** Puts the translation of `lin` to the page at `pagePhys` (below 4 GiB) in the TLB with the
 *  rights the walk found; returns the physical address of `lin`. Shared by both walks. */
export function cacheTranslation(
  c: CPU, lin: number, pagePhys: number, large: boolean, allowUser: boolean, allowWrite: boolean, dirty: boolean, global: boolean, noExec: boolean,
): number {
  const linPage = lin >>> 12;
  const mem = c.memory;
  const phys = (pagePhys & mem.a20Mask) >>> 0;
  const physPage = phys >>> 12;
  let bits = large ? TLB_VALID | TLB_LARGE : TLB_VALID;
  if (allowUser) bits |= TLB_UREAD;
  if (dirty) {
    if (allowWrite || (c.cr0 & CR0_WP) === 0) bits |= TLB_SWRITE;
    if (allowWrite && allowUser) bits |= TLB_UWRITE;
  }
  if (noExec) bits |= TLB_NX;
  if (global && (c.cr4 & CR4_PGE) !== 0) bits |= TLB_GLOBAL;
  if (mem.isRamPage(physPage) && !(c.watchActive && pageWatched(c, linPage))) bits |= TLB_RAM;
  c.tlbInsert(linPage, ((physPage ^ linPage) << 12) | bits);
  return (phys | (lin & 0xfff)) >>> 0;
}

export function checkAccess(
  c: CPU, lin: number, write: boolean, user: boolean, allowUser: boolean, allowWrite: boolean, fetch = false,
): void {
  if (user && !allowUser) pageFault(c, lin, write, user, true, false, fetch);
  if (write && !allowWrite && (user || (c.cr0 & CR0_WP) !== 0)) pageFault(c, lin, write, user, true);
}

/** #PF with CR2 = lin. The I/D bit (fetch) exists only with PAE and EFER.NXE (SDM 4.7). */
export function pageFault(c: CPU, lin: number, write: boolean, user: boolean, present: boolean, reserved = false, fetch = false): never {
  c.cr2 = lin;
  const id = fetch && (c.cr4 & CR4_PAE) !== 0 && (c.efer & EFER_NXE) !== 0 ? 0x10 : 0;
  return c.raise(EXC_PF, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0) | (reserved ? 8 : 0) | id);
}
