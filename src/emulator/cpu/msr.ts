// Model-specific registers: TSC, APIC base, SYSENTER_CS/ESP/EIP, EFER (NXE only), MTRRs, PAT and
// the P6 performance counters as plain storage; unknown MSRs raise #GP(0).

import type { CPU } from "./cpu.ts";
import { EAX, ECX, EDX } from "./constants.ts";
import { EFER_NXE } from "./paging-pae.ts";

const MSR_EFER = 0xc0000080;

/** Slot (pair index into cpu.mtrr) for storage-only MSRs, or -1. */
function storageSlot(msr: number): number {
  if (msr >= 0x200 && msr <= 0x20f) return msr - 0x200; // variable-range MTRRs 0-7
  if (msr === 0x250) return 16;
  if (msr === 0x258) return 17;
  if (msr === 0x259) return 18;
  if (msr >= 0x268 && msr <= 0x26f) return 19 + (msr - 0x268);
  if (msr === 0x2ff) return 27; // MTRRdefType
  if (msr === 0xc1) return 28; // PERFCTR0
  if (msr === 0xc2) return 29;
  if (msr === 0x186) return 30; // EVNTSEL0
  if (msr === 0x187) return 31;
  return -1;
}

const TWO32 = 4294967296;

/** RDMSR: EDX:EAX = MSR[ECX]. Returns false for an unknown MSR (the caller raises #GP). */
export function readMsr(c: CPU): boolean {
  const msr = c.r32[ECX] >>> 0;
  let lo = 0, hi = 0;
  switch (msr) {
    case 0x10: {
      const t = c.readTsc();
      lo = t % TWO32 | 0;
      hi = Math.floor(t / TWO32) | 0;
      break;
    }
    case 0x17: break; // IA32_PLATFORM_ID
    case 0x1b: lo = c.apicBaseMsr ? c.apicBaseMsr.read() : c.apicBase; break;
    case 0x2a: break; // EBL_CR_POWERON
    case 0x8b: break; // microcode signature
    case 0xfe: lo = 0x508; break; // MTRRcap: 8 variable ranges, fixed ranges, write-combining
    case 0x174: lo = c.sysenterCs; break;
    case 0x175: lo = c.sysenterEsp; break;
    case 0x176: lo = c.sysenterEip; break;
    case 0x1a0: lo = c.miscEnable; break;
    case 0x277: lo = c.patLo; hi = c.patHi; break;
    case MSR_EFER: lo = c.efer; break;
    default: {
      const s = storageSlot(msr);
      if (s < 0) return false;
      lo = c.mtrr[s * 2];
      hi = c.mtrr[s * 2 + 1];
    }
  }
  c.r32[EAX] = lo;
  c.r32[EDX] = hi;
  return true;
}

/** WRMSR: MSR[ECX] = EDX:EAX. Returns false when the MSR is unknown or the value invalid. */
export function writeMsr(c: CPU): boolean {
  const msr = c.r32[ECX] >>> 0;
  const lo = c.r32[EAX], hi = c.r32[EDX];
  switch (msr) {
    case 0x10:
      c.tscOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - c.clockTicks();
      return true;
    case 0x1b:
      // Base must be 4 KiB aligned below 4 GiB, no x2APIC (bit 10); the BSP flag (bit 8) is read-only.
      if (hi !== 0 || (lo & 0x6ff) !== 0) return false;
      c.apicBase = (lo & ~0x100) | (c.apicBase & 0x100);
      if (c.apicBaseMsr) c.apicBaseMsr.write(c.apicBase);
      return true;
    case 0x79: return true; // microcode update trigger: nothing to update
    case 0x8b: return true;
    case 0x174: c.sysenterCs = lo & 0xffff; return true;
    case 0x175: c.sysenterEsp = lo; return true;
    case 0x176: c.sysenterEip = lo; return true;
    case 0x1a0: c.miscEnable = lo; return true;
    case 0x277:
      // Each PAT entry must be a valid memory type (0, 1, 4, 5, 6, 7).
      for (let i = 0; i < 8; i++) {
        const t = ((i < 4 ? lo : hi) >>> ((i & 3) * 8)) & 0xff;
        if (t === 2 || t === 3 || t > 7) return false;
      }
      c.patLo = lo;
      c.patHi = hi;
      return true;
    case MSR_EFER:
      // No long mode and no SYSCALL: every bit but NXE is reserved (#GP).
      if (hi !== 0 || (lo & ~EFER_NXE) !== 0) return false;
      // TLB entries carry the NX decision (or were made while bit 63 was reserved): drop them.
      if (lo !== c.efer) c.flushTlb(false);
      c.efer = lo;
      return true;
    default: {
      const s = storageSlot(msr);
      if (s < 0) return false;
      c.mtrr[s * 2] = lo;
      c.mtrr[s * 2 + 1] = hi;
      return true;
    }
  }
}
