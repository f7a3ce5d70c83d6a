// System instructions: HLT, flag control (CLC/STC/CMC/CLD/STD/CLI/STI), descriptor-table registers
// (LGDT/LIDT/SGDT/SIDT/LLDT/SLDT/LTR/STR), LAR/LSL/VERR/VERW/ARPL, SMSW/LMSW/CLTS, MOV CRn/DRn,
// INVD/WBINVD/INVLPG, RDMSR/WRMSR/RDTSC/RDPMC/CPUID, SYSENTER/SYSEXIT, hint NOPs, fences.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { CS, EAX, ECX, EDX, ESP, SS, EXC_DB, EXC_NP } from "./constants.ts";
import { CF, IF, IOPL, VM, ZF, materializeFlags, RF } from "./flags.ts";
import {
  descriptorAddress, descriptorAttr, descriptorBase, descriptorLimit, readDescriptor, setSegmentCache,
} from "./segmentation.ts";
import { checkE, checkEW, decodeModrm, readE16, readE32, writeE16, writeE32, readG16, writeG16, writeG32 } from "./modrm.ts";
import { readMsr, writeMsr } from "./msr.ts";
import { cpuid } from "./cpuid.ts";
import { loadPdptes } from "./paging-pae.ts";

const CR0_PE = 1, CR0_TS = 8, CR0_ET = 0x10, CR0_WP = 0x10000, CR0_NW = 0x20000000, CR0_CD = 0x40000000;
const CR0_PG = 0x80000000 | 0;
const CR4_TSD = 0x4, CR4_DE = 0x8, CR4_PSE = 0x10, CR4_PAE = 0x20, CR4_PGE = 0x80, CR4_PCE = 0x100;
/** CR4 bits this model accepts: TSD, DE, PSE, PAE, MCE, PGE, PCE, OSFXSR, OSXMMEXCPT. */
const CR4_VALID = 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400;
const CR0_VALID = 0xe005003f | 0; // PG CD NW AM WP NE ET TS EM MP PE

function requireCpl0(c: CPU): void {
  if ((c.cr0 & CR0_PE) !== 0 && (c.cpl !== 0 || (c.flags & VM) !== 0)) c.gp(0);
}

function requireProtected(c: CPU): void {
  if ((c.cr0 & CR0_PE) === 0 || (c.flags & VM) !== 0) c.ud();
}

export function writeCr0(c: CPU, v: number): void {
  v = (v | CR0_ET) & CR0_VALID;
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) c.gp(0);
  if ((v & 0x20000000) !== 0 && (v & 0x40000000) === 0) c.gp(0); // NW without CD
  const changed = c.cr0 ^ v;
  // SDM 4.4.1: with PAE paging in force afterwards, a change of PG, CD or NW reloads the PDPTEs.
  if ((v & CR0_PG) !== 0 && (c.cr4 & CR4_PAE) !== 0 && (changed & (CR0_PG | CR0_CD | CR0_NW)) !== 0) {
    if (!loadPdptes(c, c.cr3)) c.gp(0);
  }
  c.cr0 = v;
  if ((changed & (CR0_PG | CR0_WP | CR0_PE)) !== 0) c.flushTlb(false);
  c.updateCpuMode();
}

export function writeCr4(c: CPU, v: number): void {
  if ((v & ~CR4_VALID) !== 0) c.gp(0);
  const changed = c.cr4 ^ v;
  // ... and so does a change of PAE, PGE or PSE.
  if ((v & CR4_PAE) !== 0 && (c.cr0 & CR0_PG) !== 0 && (changed & (CR4_PAE | CR4_PGE | CR4_PSE)) !== 0) {
    if (!loadPdptes(c, c.cr3)) c.gp(0);
  }
  c.cr4 = v;
  if ((changed & (CR4_PSE | CR4_PGE | CR4_PAE)) !== 0) c.flushTlb(false);
  // DE arms or disarms I/O breakpoints.
  if ((changed & CR4_DE) !== 0) c.updateBreakpoints();
}

/** MOV CR3: all 32 bits are kept (PAE uses bits 31:5); under PAE paging the PDPTEs load first (#GP(0) if invalid). */
export function writeCr3(c: CPU, v: number): void {
  if ((c.cr0 & CR0_PG) !== 0 && (c.cr4 & CR4_PAE) !== 0 && !loadPdptes(c, v)) c.gp(0);
  c.cr3 = v;
  c.flushTlb(true);
}

function ioplAllows(c: CPU): boolean {
  if ((c.cr0 & CR0_PE) === 0) return true;
  return c.cpl <= (c.flags & IOPL) >>> 12 && ((c.flags & VM) === 0 || (c.flags & IOPL) === IOPL);
}

export function installSystem(t: Handler[]): void {
  t[0xf4] = (c) => {
    requireCpl0(c);
    c.halted = true;
    c.eventPending = true;
  };
  t[0xf5] = (c) => {
    materializeFlags(c);
    c.flags ^= CF;
  };
  t[0xf8] = (c) => {
    materializeFlags(c);
    c.flags &= ~CF;
  };
  t[0xf9] = (c) => {
    materializeFlags(c);
    c.flags |= CF;
  };
  t[0xfc] = (c) => { c.flags &= ~0x400; };
  t[0xfd] = (c) => { c.flags |= 0x400; };
  t[0xfa] = (c) => {
    if (!ioplAllows(c)) c.gp(0);
    c.flags &= ~IF;
  };
  t[0xfb] = (c) => {
    if (!ioplAllows(c)) c.gp(0);
    if ((c.flags & IF) === 0) {
      c.flags |= IF;
      c.shadow = true;
      c.eventPending = true;
    }
  };
  t[0x63] = (c) => {
    // ARPL Ew, Gw
    requireProtected(c);
    decodeModrm(c);
    const d = readE16(c), s = readG16(c);
    materializeFlags(c);
    if ((d & 3) < (s & 3)) {
      writeE16(c, (d & ~3) | (s & 3));
      c.flags |= ZF;
    } else c.flags &= ~ZF;
  };
}

export function installSystem0F(t: Handler[]): void {
  // Group 6
  t[0x00] = (c) => {
    requireProtected(c);
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    switch (op) {
      case 0: // SLDT
        if (c.modrm >= 0xc0 && c.o32) writeE32(c, c.ldtSel);
        else writeE16(c, c.ldtSel);
        return;
      case 1: // STR
        if (c.modrm >= 0xc0 && c.o32) writeE32(c, c.trSel);
        else writeE16(c, c.trSel);
        return;
      case 2: { // LLDT
        requireCpl0(c);
        const sel = readE16(c);
        if ((sel & 0xfffc) === 0) {
          c.ldtSel = sel;
          c.ldtBase = 0;
          c.ldtLimit = 0;
          c.ldtAttr = 0;
          return;
        }
        if ((sel & 4) !== 0) c.gp(sel & 0xfffc);
        readDescriptor(c, sel);
        if (((c.descHi >>> 8) & 0x1f) !== 0x02) c.gp(sel & 0xfffc);
        if ((c.descHi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
        c.ldtSel = sel;
        c.ldtBase = descriptorBase(c.descLo, c.descHi);
        c.ldtLimit = descriptorLimit(c.descLo, c.descHi);
        c.ldtAttr = descriptorAttr(c.descHi);
        return;
      }
      case 3: { // LTR
        requireCpl0(c);
        const sel = readE16(c);
        if ((sel & 0xfffc) === 0) c.gp(0);
        if ((sel & 4) !== 0) c.gp(sel & 0xfffc);
        readDescriptor(c, sel);
        const type = (c.descHi >>> 8) & 0x1f;
        if (type !== 0x01 && type !== 0x09) c.gp(sel & 0xfffc);
        if ((c.descHi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
        c.descHi |= 0x200; // busy
        c.sysWr8((c.descAddr + 5) | 0, (c.descHi >>> 8) & 0xff);
        c.trSel = sel;
        c.trBase = descriptorBase(c.descLo, c.descHi);
        c.trLimit = descriptorLimit(c.descLo, c.descHi);
        c.trAttr = descriptorAttr(c.descHi);
        return;
      }
      case 4:
      case 5: { // VERR / VERW
        const sel = readE16(c);
        materializeFlags(c);
        c.flags &= ~ZF;
        if ((sel & 0xfffc) === 0) return;
        const addr = descriptorAddress(c, sel);
        if (addr < 0 && addr === -1) return;
        const hi = c.sysRd32((addr + 4) | 0);
        if ((hi & 0x1000) === 0) return;
        const dpl = (hi >>> 13) & 3;
        const code = (hi & 0x800) !== 0;
        const conforming = code && (hi & 0x400) !== 0;
        if (!conforming && (dpl < c.cpl || dpl < (sel & 3))) return;
        const ok = op === 4 ? !code || (hi & 0x200) !== 0 : !code && (hi & 0x200) !== 0;
        if (ok) c.flags |= ZF;
        return;
      }
      default:
        c.ud();
    }
  };
  // Group 7
  t[0x01] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    const mem = c.modrm < 0xc0;
    switch (op) {
      case 0:
      case 1: { // SGDT / SIDT
        if (!mem) c.ud();
        const limit = op === 0 ? c.gdtLimit : c.idtLimit;
        const base = op === 0 ? c.gdtBase : c.idtBase;
        // (#AC: SGDT/SIDT's 6-byte image is not alignment-checked here.)
        checkEW(c, 6, 1);
        c.probeWrite(c.ea, 6);
        c.wr16(c.ea, limit);
        c.wr32((c.ea + 2) | 0, c.o32 ? base : base & 0xffffff);
        return;
      }
      case 2:
      case 3: { // LGDT / LIDT
        if (!mem) c.ud();
        requireCpl0(c);
        checkE(c, 6);
        const limit = c.rd16(c.ea);
        let base = c.rd32((c.ea + 2) | 0);
        if (!c.o32) base &= 0xffffff;
        if (op === 2) {
          c.gdtLimit = limit;
          c.gdtBase = base;
        } else {
          c.idtLimit = limit;
          c.idtBase = base;
        }
        return;
      }
      case 4: // SMSW
        if (!mem && c.o32) writeE32(c, c.cr0);
        else writeE16(c, c.cr0 & 0xffff);
        return;
      case 6: { // LMSW: PE can be set but not cleared
        requireCpl0(c);
        const v = readE16(c);
        const nv = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & CR0_PE);
        writeCr0(c, nv);
        return;
      }
      case 7: // INVLPG
        if (!mem) c.ud();
        requireCpl0(c);
        c.invalidatePage(c.ea);
        return;
      default:
        c.ud();
    }
  };
  // LAR / LSL
  const larLsl = (lsl: boolean): Handler => (c) => {
    requireProtected(c);
    decodeModrm(c);
    const sel = readE16(c);
    materializeFlags(c);
    c.flags &= ~ZF;
    if ((sel & 0xfffc) === 0) return;
    const addr = descriptorAddress(c, sel);
    if (addr === -1) return;
    const lo = c.sysRd32(addr), hi = c.sysRd32((addr + 4) | 0);
    const dpl = (hi >>> 13) & 3;
    const s = (hi & 0x1000) !== 0;
    const type = (hi >>> 8) & 0xf;
    if (s) {
      const conforming = (type & 0xc) === 0xc;
      if (!conforming && (dpl < c.cpl || dpl < (sel & 3))) return;
    } else {
      // System types valid for LAR: 1,2,3,4,5,9,B,C; for LSL: 1,2,3,9,B.
      const okLar = [1, 2, 3, 4, 5, 9, 11, 12].includes(type);
      const okLsl = [1, 2, 3, 9, 11].includes(type);
      if (!(lsl ? okLsl : okLar)) return;
      if (dpl < c.cpl || dpl < (sel & 3)) return;
    }
    c.flags |= ZF;
    if (lsl) {
      const limit = descriptorLimit(lo, hi);
      if (c.o32) writeG32(c, limit);
      else writeG16(c, limit);
    } else if (c.o32) writeG32(c, hi & 0x00f0ff00);
    else writeG16(c, hi & 0xff00);
  };
  t[0x02] = larLsl(false);
  t[0x03] = larLsl(true);
  t[0x06] = (c) => {
    requireCpl0(c);
    c.cr0 &= ~CR0_TS;
  };
  t[0x08] = (c) => requireCpl0(c); // INVD: no caches to drop
  t[0x09] = (c) => requireCpl0(c); // WBINVD
  t[0x0b] = (c) => c.ud(); // UD2
  // Hint NOPs 0F 18-1F (PREFETCHh and multi-byte NOP): decode the operand, do nothing.
  for (let op = 0x18; op <= 0x1f; op++) t[op] = (c) => decodeModrm(c);
  // MOV r32, CRn / MOV CRn, r32
  t[0x20] = (c) => {
    requireCpl0(c);
    const m = c.fetch8();
    const cr = (m >> 3) & 7;
    let v = 0;
    switch (cr) {
      case 0: v = c.cr0; break;
      case 2: v = c.cr2; break;
      case 3: v = c.cr3; break;
      case 4: v = c.cr4; break;
      default: c.ud();
    }
    c.r32[m & 7] = v;
  };
  t[0x22] = (c) => {
    requireCpl0(c);
    const m = c.fetch8();
    const v = c.r32[m & 7];
    switch ((m >> 3) & 7) {
      case 0: writeCr0(c, v); break;
      case 2: c.cr2 = v; break;
      case 3: writeCr3(c, v); break;
      case 4: writeCr4(c, v); break;
      default: c.ud();
    }
  };
  t[0x21] = (c) => {
    requireCpl0(c);
    const m = c.fetch8();
    let dr = (m >> 3) & 7;
    if (dr === 4 || dr === 5) {
      if ((c.cr4 & CR4_DE) !== 0) c.ud();
      dr += 2;
    }
    if ((c.dr[7] & 0x2000) !== 0) {
      c.dr[6] |= 0x2000;
      c.raise(EXC_DB);
    }
    c.r32[m & 7] = c.dr[dr];
  };
  t[0x23] = (c) => {
    requireCpl0(c);
    const m = c.fetch8();
    let dr = (m >> 3) & 7;
    if (dr === 4 || dr === 5) {
      if ((c.cr4 & CR4_DE) !== 0) c.ud();
      dr += 2;
    }
    if ((c.dr[7] & 0x2000) !== 0) {
      c.dr[6] |= 0x2000;
      c.raise(EXC_DB);
    }
    let v = c.r32[m & 7];
    if (dr === 6) v = (v & 0xe00f) | (0xffff0ff0 | 0);
    else if (dr === 7) v = (v & ~0xd800) | 0x400;
    c.dr[dr] = v;
    c.updateBreakpoints();
  };
  t[0x30] = (c) => {
    requireCpl0(c);
    if (!writeMsr(c)) c.gp(0);
  };
  t[0x31] = (c) => {
    if ((c.cr4 & CR4_TSD) !== 0 && c.cpl !== 0 && (c.cr0 & CR0_PE) !== 0) c.gp(0);
    const t = c.readTsc();
    c.r32[EAX] = t % 4294967296 | 0;
    c.r32[EDX] = Math.floor(t / 4294967296) | 0;
  };
  t[0x32] = (c) => {
    requireCpl0(c);
    if (!readMsr(c)) c.gp(0);
  };
  t[0x33] = (c) => {
    if ((c.cr4 & CR4_PCE) === 0 && c.cpl !== 0 && (c.cr0 & CR0_PE) !== 0) c.gp(0);
    if ((c.r32[ECX] >>> 0) > 1) c.gp(0);
    const s = 28 + (c.r32[ECX] & 1);
    c.r32[EAX] = c.mtrr[s * 2];
    c.r32[EDX] = c.mtrr[s * 2 + 1] & 0xff;
  };
  t[0x34] = (c) => {
    // SYSENTER: flat CPL-0 code at SYSENTER_CS, stack at SYSENTER_CS+8.
    if ((c.cr0 & CR0_PE) === 0) c.gp(0);
    const cs = c.sysenterCs & 0xfffc;
    if (cs === 0) c.gp(0);
    c.setEflags(c.getEflags() & ~(VM | IF | RF));
    setSegmentCache(c, CS, cs, 0, 0xffffffff | 0, 0xcf9b);
    setSegmentCache(c, SS, (cs + 8) & 0xfffc, 0, 0xffffffff | 0, 0xcf93);
    c.cpl = 0;
    c.updateCpuMode();
    c.r32[ESP] = c.sysenterEsp;
    c.eip = c.sysenterEip;
  };
  t[0x35] = (c) => {
    // SYSEXIT: back to flat CPL-3 code at SYSENTER_CS+16, stack SYSENTER_CS+24; EIP=EDX, ESP=ECX.
    if ((c.cr0 & CR0_PE) === 0 || (c.flags & VM) !== 0 || c.cpl !== 0) c.gp(0);
    const cs = c.sysenterCs & 0xfffc;
    if (cs === 0) c.gp(0);
    setSegmentCache(c, CS, (cs + 16) | 3, 0, 0xffffffff | 0, 0xcffb);
    setSegmentCache(c, SS, (cs + 24) | 3, 0, 0xffffffff | 0, 0xcff3);
    c.cpl = 3;
    c.updateCpuMode();
    c.r32[ESP] = c.r32[ECX];
    c.eip = c.r32[EDX];
  };
  t[0xa2] = (c) => cpuid(c);
  t[0xaa] = (c) => c.ud(); // RSM: no SMM
  void readE32;
}
