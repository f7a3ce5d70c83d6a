// CPUID: a P6-family (family 6) GenuineIntel model that reports exactly what this CPU implements.

import type { CPU } from "./cpu.ts";
import { CPU_SIGNATURE, EAX, EBX, ECX, EDX } from "./constants.ts";

const FEAT_FPU = 1 << 0;
const FEAT_DE = 1 << 2;
const FEAT_PSE = 1 << 3;
const FEAT_TSC = 1 << 4;
const FEAT_MSR = 1 << 5;
const FEAT_PAE = 1 << 6;
const FEAT_CX8 = 1 << 8;
const FEAT_APIC = 1 << 9;
const FEAT_SEP = 1 << 11;
const FEAT_MTRR = 1 << 12;
const FEAT_PGE = 1 << 13;
const FEAT_CMOV = 1 << 15;
const FEAT_PAT = 1 << 16;
const FEAT_CLFSH = 1 << 19;
const FEAT_MMX = 1 << 23;
const FEAT_FXSR = 1 << 24;
const FEAT_SSE = 1 << 25;
const FEAT_SSE2 = 1 << 26;
/** Leaf 0x80000001 EDX: execute disable (EFER.NXE, PAE paging). */
const EXT_NX = 1 << 20;

/** Leaf 1 EDX for this CPU (the x87/SIMD bits only when those units are really present). */
export function featureFlags(c: CPU): number {
  let f = FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_PAE | FEAT_CX8 | FEAT_APIC | FEAT_SEP | FEAT_MTRR | FEAT_PGE |
    FEAT_CMOV | FEAT_PAT | FEAT_CLFSH;
  if (c.hasFpu) f |= FEAT_FPU;
  if (c.hasSimd) f |= FEAT_MMX | FEAT_FXSR | FEAT_SSE | FEAT_SSE2;
  return f;
}

function str4(s: string): number {
  return s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
}

const BRAND = "Hypertab Virtual CPU (P6 family)".padEnd(48, "\0");

export function cpuid(c: CPU): void {
  const r = c.r32;
  const leaf = r[EAX] >>> 0;
  let a = 0, b = 0, cx = 0, d = 0;
  if (leaf === 0) {
    a = 2;
    b = str4("Genu");
    d = str4("ineI");
    cx = str4("ntel");
  } else if (leaf === 1) {
    a = CPU_SIGNATURE;
    // CLFLUSH line size 8 (x8 = 64 bytes), one logical processor, initial APIC id 0.
    b = (8 << 8) | (1 << 16);
    cx = 0;
    d = featureFlags(c);
  } else if (leaf === 2) {
    // Cache descriptors: 0x2c L1D 32K, 0x30 L1I 32K, 0x7d L2 2M, 0xb0 ITLB, 0xb3 DTLB.
    a = 0x7d302c01 | 0;
    b = 0;
    cx = 0;
    d = 0xb3b0 | 0;
  } else if (leaf === 0x80000000) {
    // No leaf 0x80000008: with PAE the physical address width is implied to be 36 bits.
    a = 0x80000004 | 0;
  } else if (leaf === 0x80000001) {
    d = EXT_NX;
  } else if (leaf >= 0x80000002 && leaf <= 0x80000004) {
    const o = (leaf - 0x80000002) * 16;
    a = str4(BRAND.slice(o, o + 4));
    b = str4(BRAND.slice(o + 4, o + 8));
    cx = str4(BRAND.slice(o + 8, o + 12));
    d = str4(BRAND.slice(o + 12, o + 16));
  } else if (leaf < 0x80000000) {
    // Above the maximum basic leaf, Intel returns the highest basic leaf's data.
    a = 0x7d302c01 | 0;
    d = 0xb3b0;
  }
  r[EAX] = a;
  r[EBX] = b;
  r[ECX] = cx;
  r[EDX] = d;
}
