// A debugger's view of linear memory: the page walk the CPU would do now (paging off with the A20
// mask, 32-bit paging with 4 KiB/4 MiB pages, PAE with 2 MiB/4 KiB pages from the cached PDPTEs),
// without its side effects: no accessed/dirty bits, no TLB entries, no #PF, no CR2. Rights (U/S,
// R/W, NX) do not matter to a debugger; a page that is not present, or lies above 4 GiB (unbacked
// on this machine), is unmapped.

import type { CPU } from "../cpu/cpu.ts";

const CR0_PG = 0x80000000 | 0;
const CR4_PSE = 0x10;
const CR4_PAE = 0x20;

/** The physical address of linear `lin`, or -1 when it is not mapped. */
export function peekPhysical(c: CPU, lin: number): number {
  const mem = c.memory;
  lin = lin >>> 0;
  if ((c.cr0 & CR0_PG) === 0) return (lin & mem.a20Mask) >>> 0;
  let phys: number;
  if ((c.cr4 & CR4_PAE) !== 0) {
    const slot = (lin >>> 30) * 2;
    const pdp = c.pdpte[slot];
    if ((pdp & 1) === 0 || (c.pdpte[slot + 1] & 0xf) !== 0) return -1;
    const pdeAddr = ((pdp & ~0xfff) | ((lin >>> 18) & 0xff8)) >>> 0;
    const pde = mem.read32(pdeAddr);
    if ((pde & 1) === 0 || (mem.read32(pdeAddr + 4) & 0xf) !== 0) return -1;
    if ((pde & 0x80) !== 0) phys = ((pde & 0xffe00000) | (lin & 0x1fffff)) >>> 0;
    else {
      const pteAddr = ((pde & ~0xfff) | ((lin >>> 9) & 0xff8)) >>> 0;
      const pte = mem.read32(pteAddr);
      if ((pte & 1) === 0 || (mem.read32(pteAddr + 4) & 0xf) !== 0) return -1;
      phys = ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
    }
  } else {
    const pde = mem.read32(((c.cr3 & ~0xfff) | ((lin >>> 20) & 0xffc)) >>> 0);
    if ((pde & 1) === 0) return -1;
    if ((pde & 0x80) !== 0 && (c.cr4 & CR4_PSE) !== 0) phys = ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
    else {
      const pte = mem.read32(((pde & ~0xfff) | ((lin >>> 10) & 0xffc)) >>> 0);
      if ((pte & 1) === 0) return -1;
      phys = ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
    }
  }
  return (phys & mem.a20Mask) >>> 0;
}

/** Reads `length` bytes from linear `lin` on: stops at the first unmapped page, so the result may
 *  be shorter (empty when `lin` itself is unmapped). */
export function peekLinear(c: CPU, lin: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let n = 0;
  while (n < length) {
    const phys = peekPhysical(c, (lin + n) | 0);
    if (phys < 0) break;
    const run = Math.min(length - n, 4096 - (phys & 0xfff));
    for (let i = 0; i < run; i++) out[n + i] = c.memory.read8(phys + i);
    n += run;
  }
  return out.subarray(0, n);
}

/** Writes `data` at linear `lin` (compiled code there is dropped). False, with nothing written,
 *  when any page of the range is unmapped. */
export function pokeLinear(c: CPU, lin: number, data: Uint8Array): boolean {
  for (let n = 0; n < data.length; n += 4096 - ((lin + n) & 0xfff)) if (peekPhysical(c, (lin + n) | 0) < 0) return false;
  let n = 0;
  while (n < data.length) {
    const phys = peekPhysical(c, (lin + n) | 0);
    const run = Math.min(data.length - n, 4096 - (phys & 0xfff));
    c.jitNoteWrite(phys, run);
    for (let i = 0; i < run; i++) c.memory.write8(phys + i, data[n + i]);
    n += run;
  }
  return true;
}
