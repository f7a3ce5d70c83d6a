// The x87 floating-point unit: eight 80-bit registers stored bit-exactly, stack/tag/status/control
// words, last-instruction pointers, every ESC instruction (D8-DF), and the state both FSAVE and
// FXSAVE need. Arithmetic is exact (softfloat.ts) and rounded once per the control word; the common
// cases (normal operands and results) take number-limb fast paths (fast-extended.ts) with identical
// results. Transcendentals are evaluated to 192 bits and rounded once (transcendental.ts).

import { EXC_MF, EXC_NM, EXC_UD, type CoprocessorHost, type X87Unit } from "../coprocessor.ts";
import { StateError, type SavedState, StateLayout, bool, range, typed, u16, u32 } from "../../state.ts";
import {
  ExactOps,
  FLAG_DE,
  FLAG_IE,
  FLAG_OE,
  FLAG_PE,
  FLAG_UE,
  FLAG_ZE,
  FMT_EXT24,
  FMT_EXT53,
  FMT_EXT64,
  FMT_F32,
  FMT_F64,
  RC_DOWN,
  RC_NEAREST,
  RC_UP,
  RC_ZERO,
  Rounder,
  bitLength,
  type FloatFormat,
} from "./softfloat.ts";
import { FastExtended } from "./fast-extended.ts";
import * as T from "./transcendental.ts";

const CR0_MP = 1 << 1;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR0_NE = 1 << 5;

// Status word bits.
export const SW_SF = 1 << 6;
export const SW_ES = 1 << 7;
export const SW_C0 = 1 << 8;
export const SW_C1 = 1 << 9;
export const SW_C2 = 1 << 10;
export const SW_C3 = 1 << 14;
export const SW_B = 1 << 15;
const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/** Operand classes. */
const enum K {
  Zero,
  Normal,
  Denormal, // exponent 0 with a non-zero significand, including pseudo-denormals
  Inf,
  QNaN,
  SNaN,
  Unsupported, // unnormals, pseudo-NaNs, pseudo-infinities
}

const SIG_J = 0x8000000000000000n;
/** Or'ed into compare() results when an unmasked exception suppresses the pop. */
const UNMASKED_COMPARE = 0x10;
/** fastToInt's "not handled here" answer (outside every integer format's range). */
const FAST_FAIL = 2 ** 40;
const SIG_QUIET = 0x4000000000000000n;
const INDEF_SE = 0xffff;
const INDEF_SIG = 0xc000000000000000n;
const MASK64 = 0xffffffffffffffffn;

// Extended-precision constants (64-bit significands rounded to nearest) and whether the exact
// value lies above (+1) or below (-1) that rounding: directed modes step toward the true value.
const CONST_SIG = [
  0x8000000000000000n, // 1
  0xd49a784bcd1b8afen, // log2(10)
  0xb8aa3b295c17f0bcn, // log2(e)
  0xc90fdaa22168c235n, // pi
  0x9a209a84fbcff799n, // log10(2)
  0xb17217f7d1cf79acn, // ln(2)
];
const CONST_EXP = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe];
const CONST_DIR = [0, 1, -1, -1, -1, -1];

export function classify(se: number, sig: bigint): K {
  const exp = se & 0x7fff;
  if (exp === 0) return sig === 0n ? K.Zero : K.Denormal;
  const j = sig >= SIG_J;
  if (exp === 0x7fff) {
    if (!j) return K.Unsupported;
    if (sig === SIG_J) return K.Inf;
    return (sig & SIG_QUIET) !== 0n ? K.QNaN : K.SNaN;
  }
  return j ? K.Normal : K.Unsupported;
}

/** classify() on the significand's 32-bit halves (no BigInt). */
export function classifyHL(se: number, hi: number, lo: number): K {
  const exp = se & 0x7fff;
  if (exp === 0) return hi === 0 && lo === 0 ? K.Zero : K.Denormal;
  const j = hi >= 0x80000000;
  if (exp === 0x7fff) {
    if (!j) return K.Unsupported;
    if (hi === 0x80000000 && lo === 0) return K.Inf;
    return (hi & 0x40000000) !== 0 ? K.QNaN : K.SNaN;
  }
  return j ? K.Normal : K.Unsupported;
}

export class X87 implements X87Unit {
  /** Sign and 15-bit exponent per physical register. */
  readonly se = new Uint16Array(8);
  /** The 64-bit significands, little-endian, register i at bytes 8i..8i+7 (MMX register i aliases it). */
  readonly mmBuffer = new ArrayBuffer(64);
  readonly sig32 = new Uint32Array(this.mmBuffer);
  /** 1 when the physical register is empty. */
  readonly empty = new Uint8Array(8);
  top = 0;
  cw = 0x37f;
  /** Status word without TOP. */
  sw = 0;
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
  /** IRQ13 already asserted for the pending exception (CR0.NE=0 reporting). */
  private ferrSignaled = false;

  private readonly rnd = new Rounder();
  private readonly fast = new FastExtended();
  private readonly ops = new ExactOps();
  // Operation results.
  private resSe = 0;
  private resHi = 0;
  private resLo = 0;
  /** Set by the memory-operand converters when the source was a denormal in its own format. */
  private loadDenormal = false;

  constructor(private readonly host: CoprocessorHost) {
    this.reset();
  }

  /** Power-on state (SDM table 9-1): FCW 0040H, FSW 0, all registers +0.0 and tagged valid. */
  reset(): void {
    this.fninit();
    this.cw = 0x40;
    this.empty.fill(0);
    this.se.fill(0);
    this.sig32.fill(0);
  }

  // ---- Register access -------------------------------------------------------------------------

  statusWord(): number {
    return (this.sw & ~0x3800) | (this.top << 11);
  }

  phys(i: number): number {
    return (this.top + i) & 7;
  }

  getSig(p: number): bigint {
    return (BigInt(this.sig32[2 * p + 1]) << 32n) | BigInt(this.sig32[2 * p]);
  }

  setReg(p: number, se: number, sig: bigint): void {
    this.se[p] = se;
    this.sig32[2 * p] = Number(sig & 0xffffffffn);
    this.sig32[2 * p + 1] = Number((sig >> 32n) & 0xffffffffn);
    this.empty[p] = 0;
  }

  setRegHL(p: number, se: number, hi: number, lo: number): void {
    this.se[p] = se;
    this.sig32[2 * p] = lo;
    this.sig32[2 * p + 1] = hi;
    this.empty[p] = 0;
  }

  private setRegRes(p: number): void {
    this.setRegHL(p, this.resSe, this.resHi, this.resLo);
  }

  private copyReg(dst: number, src: number): void {
    this.setRegHL(dst, this.se[src], this.sig32[2 * src + 1], this.sig32[2 * src]);
  }

  private setResSig(sig: bigint): void {
    this.resLo = Number(sig & 0xffffffffn);
    this.resHi = Number((sig >> 32n) & 0xffffffffn);
  }

  private resBig(): bigint {
    return (BigInt(this.resHi) << 32n) | BigInt(this.resLo);
  }

  /** Full tag word (00 valid, 01 zero, 10 special, 11 empty) by physical register. */
  tagWord(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) {
      let t: number;
      if (this.empty[p]) t = 3;
      else {
        const k = classifyHL(this.se[p], this.sig32[2 * p + 1], this.sig32[2 * p]);
        t = k === K.Zero ? 1 : k === K.Normal ? 0 : 2;
      }
      tw |= t << (2 * p);
    }
    return tw;
  }

  // ---- Exceptions ------------------------------------------------------------------------------

  /** Records exception flags; an unmasked one makes the next waiting instruction fault. */
  private raise(flags: number): void {
    this.sw |= flags;
    if ((flags & ~this.cw & 0x3f) !== 0) this.sw |= SW_ES | SW_B;
  }

  private unmasked(flags: number): boolean {
    return (flags & ~this.cw & 0x3f) !== 0;
  }

  private setC1(on: boolean): void {
    if (on) this.sw |= SW_C1;
    else this.sw &= ~SW_C1;
  }

  /** Delivers a pending unmasked exception before a waiting instruction. */
  private checkPending(): void {
    if ((this.sw & SW_ES) === 0) return;
    if ((this.host.cr0 & CR0_NE) !== 0) this.host.raiseException(EXC_MF);
    if (!this.ferrSignaled) {
      this.ferrSignaled = true;
      this.host.signalFpuIrq13();
    }
  }

  /** Used by MMX instructions, which also deliver pending x87 errors. */
  checkPendingForMmx(): void {
    this.checkPending();
  }

  private recomputeEs(): void {
    if ((this.sw & ~this.cw & 0x3f) !== 0) this.sw |= SW_ES | SW_B;
    else {
      this.sw &= ~(SW_ES | SW_B);
      this.ferrSignaled = false;
    }
  }

  /** Stack underflow (reading an empty register). Returns true when the masked response applies. */
  private stackUnderflow(): boolean {
    this.raise(FLAG_IE | SW_SF);
    this.setC1(false);
    return !this.unmasked(FLAG_IE);
  }

  private stackOverflow(): boolean {
    this.raise(FLAG_IE | SW_SF);
    this.setC1(true);
    return !this.unmasked(FLAG_IE);
  }

  /** Pushes a value; on overflow the masked response pushes the indefinite. */
  private push(se: number, sig: bigint): void {
    this.pushHL(se, Number((sig >> 32n) & 0xffffffffn), Number(sig & 0xffffffffn));
  }

  private pushHL(se: number, hi: number, lo: number): void {
    const p = (this.top - 1) & 7;
    if (!this.empty[p]) {
      if (!this.stackOverflow()) return;
      se = INDEF_SE;
      hi = 0xc0000000;
      lo = 0;
    }
    this.top = p;
    this.setRegHL(p, se, hi, lo);
  }

  private pushRes(): void {
    this.pushHL(this.resSe, this.resHi, this.resLo);
  }

  private pop(): void {
    this.empty[this.top] = 1;
    this.top = (this.top + 1) & 7;
  }

  // ---- Rounding setup --------------------------------------------------------------------------

  private precisionFormat(): FloatFormat {
    const pc = (this.cw >> 8) & 3;
    return pc === 0 ? FMT_EXT24 : pc === 2 ? FMT_EXT53 : FMT_EXT64;
  }

  /** Prepares the rounder for a result going to a register (wrap) or to memory (no wrap). */
  private beginRound(toRegister: boolean): Rounder {
    const r = this.rnd;
    r.rc = (this.cw >> 10) & 3;
    r.flags = 0;
    r.flushToZero = false;
    r.underflowUnmasked = (this.cw & FLAG_UE) === 0;
    r.wrapUnderflow = toRegister && r.underflowUnmasked;
    r.wrapOverflow = toRegister && (this.cw & FLAG_OE) === 0;
    return r;
  }

  /** Rounds (-1)^s·m·2^e into extended at the current precision; result in res*. Returns flags. */
  private roundToReg(s: number, m: bigint, e: number, sticky: boolean, fmt: FloatFormat = this.precisionFormat()): number {
    const r = this.beginRound(true);
    r.round(fmt, s, m, e, sticky);
    this.packExt(r, fmt.p);
    return r.flags;
  }

  private packExt(r: Rounder, p: number): void {
    this.resSe = (r.outSign << 15) | (r.outExp & 0x7fff);
    this.setResSig(r.outSig << BigInt(64 - p));
  }

  /** Posts flags from an operation whose result goes to a register; returns whether to write it. */
  private finishResult(flags: number): boolean {
    this.raise(flags);
    this.setC1((flags & FLAG_PE) !== 0 && this.rnd.roundedUp);
    // Pre-computation exceptions (IE, DE, ZE) unmasked: no result.
    return !this.unmasked(flags & (FLAG_IE | FLAG_DE | FLAG_ZE));
  }

  // ---- NaN handling ----------------------------------------------------------------------------

  /** x87 NaN propagation for two operands; result in res*. Returns flags (IE for an SNaN). */
  private propagateNaN(aSe: number, aSig: bigint, ka: K, bSe: number, bSig: bigint, kb: K): number {
    const aNaN = ka === K.QNaN || ka === K.SNaN;
    const bNaN = kb === K.QNaN || kb === K.SNaN;
    const flags = ka === K.SNaN || kb === K.SNaN ? FLAG_IE : 0;
    let useA: boolean;
    if (aNaN && bNaN) {
      if (ka === K.SNaN && kb === K.QNaN) useA = false;
      else if (ka === K.QNaN && kb === K.SNaN) useA = true;
      else if (aSig !== bSig) useA = aSig > bSig;
      else useA = aSe <= bSe; // equal significands: the positive one
    } else useA = aNaN;
    this.resSe = useA ? aSe : bSe;
    this.setResSig((useA ? aSig : bSig) | SIG_QUIET);
    return flags;
  }

  private indefinite(): number {
    this.resSe = INDEF_SE;
    this.setResSig(INDEF_SIG);
    return FLAG_IE;
  }

  // ---- Arithmetic ------------------------------------------------------------------------------

  /** a op b for op 0 add, 1 subtract, 2 multiply, 3 divide. Result in res*; returns flags. */
  private arith(op: number, aSe: number, aSig: bigint, aDen: boolean, bSe: number, bSig: bigint, bDen: boolean): number {
    const ka = classify(aSe, aSig);
    const kb = classify(bSe, bSig);
    if (ka === K.Unsupported || kb === K.Unsupported) return this.indefinite();
    if (ka >= K.QNaN || kb >= K.QNaN) return this.propagateNaN(aSe, aSig, ka, bSe, bSig, kb);
    const sa = aSe >> 15;
    let sb = bSe >> 15;
    if (op === 1) sb ^= 1;
    // Invalid operations on infinities and zeros.
    if (op <= 1) {
      if (ka === K.Inf && kb === K.Inf && sa !== sb) return this.indefinite();
    } else if (op === 2) {
      if ((ka === K.Inf && kb === K.Zero) || (ka === K.Zero && kb === K.Inf)) return this.indefinite();
    } else if ((ka === K.Inf && kb === K.Inf) || (ka === K.Zero && kb === K.Zero)) return this.indefinite();
    let flags = 0;
    // Division of a finite non-zero value by zero: ZE only (hardware does not also flag DE).
    if (op === 3 && kb === K.Zero && ka !== K.Inf) return this.setInf(sa ^ sb, FLAG_ZE);
    if (ka === K.Denormal || kb === K.Denormal || aDen || bDen) {
      flags |= FLAG_DE;
      if (this.unmasked(FLAG_DE)) return flags;
    }
    // Infinite results and division by zero.
    if (op <= 1) {
      if (ka === K.Inf) return this.setInf(sa, flags);
      if (kb === K.Inf) return this.setInf(sb, flags);
    } else if (op === 2) {
      if (ka === K.Inf || kb === K.Inf) return this.setInf(sa ^ sb, flags);
    } else {
      if (ka === K.Inf) return this.setInf(sa ^ sb, flags);
      if (kb === K.Inf) return this.setZero(sa ^ sb, flags);
    }
    const ea = ((aSe & 0x7fff) || 1) - 16446;
    const eb = ((bSe & 0x7fff) || 1) - 16446;
    const x = this.ops;
    const fmt = this.precisionFormat();
    if (op <= 1) x.add(sa, aSig, ea, sb, bSig, eb, (this.cw >> 10) & 3);
    else if (op === 2) x.mul(sa, aSig, ea, sb, bSig, eb);
    else x.div(sa, aSig, ea, sb, bSig, eb, fmt.p);
    if (x.rM === 0n) return this.setZero(x.rSign, flags);
    return flags | this.roundToReg(x.rSign, x.rM, x.rE, x.rSticky, fmt);
  }

  private setInf(sign: number, flags: number): number {
    this.resSe = (sign << 15) | 0x7fff;
    this.resHi = 0x80000000;
    this.resLo = 0;
    return flags;
  }

  private setZero(sign: number, flags: number): number {
    this.resSe = sign << 15;
    this.resHi = 0;
    this.resLo = 0;
    return flags;
  }

  // ---- Conversions from memory formats -----------------------------------------------------------

  /** IEEE single to extended, exact; SNaNs stay signalling. Result in res*. */
  private fromF32(bits: number): void {
    const sign = bits >>> 31;
    const exp = (bits >>> 23) & 0xff;
    const frac = bits & 0x7fffff;
    this.loadDenormal = false;
    if (exp === 0xff) {
      this.resSe = (sign << 15) | 0x7fff;
      this.resHi = (0x80000000 | (frac << 8)) >>> 0;
      this.resLo = 0;
    } else if (exp === 0) {
      if (frac === 0) this.setZero(sign, 0);
      else {
        this.loadDenormal = true;
        const n = Math.clz32(frac);
        this.resSe = (sign << 15) | (16383 - 126 - (n - 8));
        this.resHi = (frac << n) >>> 0;
        this.resLo = 0;
      }
    } else {
      this.resSe = (sign << 15) | (exp - 127 + 16383);
      this.resHi = (0x80000000 | (frac << 8)) >>> 0;
      this.resLo = 0;
    }
  }

  /** IEEE double to extended, exact. */
  private fromF64(lo: number, hi: number): void {
    const sign = hi >>> 31;
    const exp = (hi >>> 20) & 0x7ff;
    const fhi = hi & 0xfffff;
    this.loadDenormal = false;
    if (exp === 0 && fhi === 0 && lo === 0) {
      this.setZero(sign, 0);
      return;
    }
    if (exp === 0) {
      this.loadDenormal = true;
      this.fromInteger(sign, (BigInt(fhi) << 32n) | BigInt(lo >>> 0), -1074);
      return;
    }
    this.resSe = (sign << 15) | (exp === 0x7ff ? 0x7fff : exp - 1023 + 16383);
    this.resHi = (0x80000000 | (fhi << 11) | (lo >>> 21)) >>> 0;
    this.resLo = (lo << 11) >>> 0;
  }

  /** A signed 32-bit integer to extended, exact. */
  private fromInt32(v: number): void {
    if (v === 0) {
      this.setZero(0, 0);
      return;
    }
    const sign = v < 0 ? 1 : 0;
    const m = (sign ? -v : v) >>> 0;
    const n = Math.clz32(m);
    this.resSe = (sign << 15) | (16383 + 31 - n);
    this.resHi = (m << n) >>> 0;
    this.resLo = 0;
  }

  /** (-1)^sign × m × 2^e, m < 2^64, exactly representable as extended. */
  private fromInteger(sign: number, m: bigint, e: number): void {
    if (m === 0n) {
      this.setZero(sign, 0);
      return;
    }
    const n = bitLength(m);
    this.resSe = (sign << 15) | (e + n - 1 + 16383);
    this.setResSig(m << BigInt(64 - n));
  }

  /** Loads a memory operand of an arithmetic/compare instruction (D8, DA, DC, DE) into res*. */
  private loadMemOperand(opcode: number, addr: number): void {
    const h = this.host;
    switch (opcode) {
      case 0xd8:
        this.fromF32(h.readLinear32(addr));
        break;
      case 0xdc: {
        const lo = h.readLinear32(addr);
        this.fromF64(lo, h.readLinear32(addr + 4));
        break;
      }
      case 0xda:
        this.loadDenormal = false;
        this.fromInt32(h.readLinear32(addr) | 0);
        break;
      default:
        this.loadDenormal = false;
        this.fromInt32((h.readLinear16(addr) << 16) >> 16);
    }
  }

  // ---- Conversions to memory formats -------------------------------------------------------------

  /** Rounds register p to single (fmt F32) or double; returns the bits [lo, hi] in out32, or false
   *  when an unmasked exception suppresses the store. */
  private readonly out32 = new Uint32Array(2);

  private toFloat(p: number, fmt: FloatFormat): boolean {
    const se = this.se[p];
    const sig = this.getSig(p);
    const k = classify(se, sig);
    const sign = se >> 15;
    const single = fmt === FMT_F32;
    let flags = 0;
    let bits = 0n; // the value's bit pattern without sign
    const fracBits = single ? 23 : 52;
    const expAll = single ? 0xffn : 0x7ffn;
    let outSign = sign;
    switch (k) {
      case K.Zero:
        bits = 0n;
        break;
      case K.Inf:
        bits = expAll << BigInt(fracBits);
        break;
      case K.Unsupported:
        flags = FLAG_IE;
        outSign = 1;
        bits = (expAll << BigInt(fracBits)) | (1n << BigInt(fracBits - 1));
        break;
      case K.QNaN:
      case K.SNaN:
        if (k === K.SNaN) flags = FLAG_IE;
        bits = (expAll << BigInt(fracBits)) | (((sig | SIG_QUIET) >> BigInt(63 - fracBits)) & ((1n << BigInt(fracBits)) - 1n));
        break;
      default: {
        // A denormal extended source does not flag DE on stores (measured on hardware).
        const r = this.beginRound(false);
        r.round(fmt, sign, sig, ((se & 0x7fff) || 1) - 16446, false);
        flags |= r.flags;
        bits = (BigInt(r.outExp) << BigInt(fracBits)) | (r.outSig & ((1n << BigInt(fracBits)) - 1n));
      }
    }
    if (this.unmasked(flags & (FLAG_OE | FLAG_UE))) {
      // Suppressed store: only the overflow/underflow itself is reported (measured).
      this.raise(flags & ~FLAG_PE);
      this.setC1(false);
      return false;
    }
    this.raise(flags);
    this.setC1((flags & FLAG_PE) !== 0 && this.rnd.roundedUp);
    if (this.unmasked(flags & FLAG_IE)) return false;
    if (single) {
      this.out32[0] = Number(bits) | (outSign << 31);
    } else {
      this.out32[0] = Number(bits & 0xffffffffn);
      this.out32[1] = Number(bits >> 32n) | (outSign << 31);
    }
    return true;
  }

  /** Rounds register p to an integer per RC. Returns the integer as a BigInt (signed), or null when
   *  the value is NaN/infinite/unsupported. Posts PE/C1 and DE. */
  private roundToInteger(se: number, sig: bigint): bigint | null {
    const k = classify(se, sig);
    this.pendingIntFlags = 0;
    this.rnd.roundedUp = false;
    if (k === K.Zero) return 0n;
    if (k === K.Inf || k === K.QNaN || k === K.SNaN || k === K.Unsupported) return null;
    const sign = se >> 15;
    const e = ((se & 0x7fff) || 1) - 16446;
    const r = this.beginRound(false);
    let q: bigint;
    if (e >= 0) {
      if (e > 64) return null;
      q = sig << BigInt(e);
      r.inexact = false;
      r.roundedUp = false;
    } else if (e < -66) {
      q = r.roundBits(1n, 2, false, sign); // far below 1: only the sticky part matters
    } else q = r.roundBits(sig, -e, false, sign);
    this.pendingIntFlags = r.inexact ? FLAG_PE : 0;
    return sign ? -q : q;
  }
  private pendingIntFlags = 0;

  /** FIST/FISTP/FBSTP helper: returns the integer to store, or null to suppress the store. */
  private integerForStore(p: number, bits: number): bigint | null {
    const v = this.roundToInteger(this.se[p], this.getSig(p));
    const limit = 1n << BigInt(bits - 1);
    let flags: number;
    let result: bigint;
    if (v === null || v >= limit || v < -limit) {
      flags = FLAG_IE;
      result = -limit; // integer indefinite
    } else {
      flags = this.pendingIntFlags;
      result = v;
    }
    this.raise(flags);
    this.setC1((flags & FLAG_PE) !== 0 && this.rnd.roundedUp);
    if (this.unmasked(flags & (FLAG_IE | FLAG_DE))) return null;
    return result;
  }

  // ---- Compare -----------------------------------------------------------------------------------

  /** Compares a with b: 0 less, 1 equal, 2 greater, 3 unordered; posts IE/DE. Returns -1 when an
   *  unmasked invalid/denormal exception suppresses the result. `quiet`: QNaNs do not signal. */
  private compare(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, quiet: boolean, bDen = false): number {
    const ka = classifyHL(aSe, aHi, aLo);
    const kb = classifyHL(bSe, bHi, bLo);
    let flags = 0;
    let res: number;
    if (ka === K.Unsupported || kb === K.Unsupported || ka === K.SNaN || kb === K.SNaN) {
      flags = FLAG_IE;
      res = 3;
    } else if (ka === K.QNaN || kb === K.QNaN) {
      if (!quiet) flags = FLAG_IE;
      res = 3;
    } else {
      if (ka === K.Denormal || kb === K.Denormal || bDen) flags = FLAG_DE;
      res = compareOrdered(aSe, aHi, aLo, ka, bSe, bHi, bLo, kb);
    }
    this.raise(flags);
    this.setC1(false);
    // Unmasked IE/DE: the condition codes are still set, but there is no pop (measured): callers
    // see UNMASKED_COMPARE or'ed in.
    if (this.unmasked(flags)) return res | UNMASKED_COMPARE;
    return res;
  }

  private setCompareCodes(res: number): void {
    this.sw &= ~(SW_C0 | SW_C2 | SW_C3);
    if (res === 0) this.sw |= SW_C0;
    else if (res === 1) this.sw |= SW_C3;
    else if (res === 3) this.sw |= SW_C0 | SW_C2 | SW_C3;
  }

  // ---- Instruction entry points ------------------------------------------------------------------

  wait(): void {
    const cr0 = this.host.cr0;
    if ((cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) this.host.raiseException(EXC_NM);
    this.checkPending();
  }

  execute(opcode: number, modrm: number, addr: number): void {
    const h = this.host;
    if ((h.cr0 & (CR0_EM | CR0_TS)) !== 0) h.raiseException(EXC_NM);
    const reg = (modrm >> 3) & 7;
    // Memory vs register is ModRM's call: the core may pass linear addresses as signed int32
    // (kernel addresses are negative then), so normalize them to unsigned.
    if (modrm < 0xc0) {
      addr >>>= 0;
      if (isNonWaitingMem(opcode, reg)) {
        this.controlMem(opcode, reg, addr);
        return;
      }
      this.checkPending();
      if (isControlMem(opcode, reg)) {
        this.controlMem(opcode, reg, addr);
        return;
      }
      this.fop = ((opcode & 7) << 8) | modrm;
      this.fcs = h.currentCs;
      this.fip = h.currentEip;
      this.fds = h.currentDataSelector;
      this.fdp = h.currentDataOffset;
      this.memOp(opcode, reg, addr);
      return;
    }
    // Register forms. Non-waiting: FNCLEX, FNINIT (DB E2/E3), FNSTSW AX (DF E0).
    if ((opcode === 0xdb && (modrm === 0xe2 || modrm === 0xe3)) || (opcode === 0xdf && modrm === 0xe0)) {
      if (modrm === 0xe2) {
        this.sw &= ~(0x3f | SW_SF | SW_ES | SW_B);
        this.ferrSignaled = false;
      } else if (modrm === 0xe3) this.fninit();
      else h.setReg16(0, this.statusWord());
      return;
    }
    this.checkPending();
    this.fop = ((opcode & 7) << 8) | modrm;
    this.fcs = h.currentCs;
    this.fip = h.currentEip;
    this.regOp(opcode, modrm);
  }

  fninit(): void {
    this.cw = 0x37f;
    this.sw = 0;
    this.top = 0;
    this.empty.fill(1);
    this.fip = 0;
    this.fcs = 0;
    this.fop = 0;
    this.fdp = 0;
    this.fds = 0;
    this.ferrSignaled = false;
  }

  // ---- Memory forms ------------------------------------------------------------------------------

  private memOp(opcode: number, reg: number, addr: number): void {
    const h = this.host;
    switch (opcode) {
      case 0xd8:
      case 0xda:
      case 0xdc:
      case 0xde:
        this.memArith(opcode, reg, addr);
        return;
      case 0xd9:
        switch (reg) {
          case 0: // FLD m32fp
            this.fromF32(h.readLinear32(addr));
            this.loadFloat();
            return;
          case 2:
          case 3: // FST/FSTP m32fp
            this.storeFloat(addr, FMT_F32, reg === 3);
            return;
        }
        break;
      case 0xdd:
        switch (reg) {
          case 0: {
            // FLD m64fp
            const lo = h.readLinear32(addr);
            this.fromF64(lo, h.readLinear32(addr + 4));
            this.loadFloat();
            return;
          }
          case 2:
          case 3:
            this.storeFloat(addr, FMT_F64, reg === 3);
            return;
        }
        break;
      case 0xdb:
        switch (reg) {
          case 0:
            this.fromInt32(h.readLinear32(addr) | 0);
            this.pushRes();
            return;
          case 2:
          case 3:
            this.storeInt(addr, 32, reg === 3);
            return;
          case 5: {
            // FLD m80: bit-exact, no exceptions.
            const lo = h.readLinear32(addr);
            const hi = h.readLinear32(addr + 4);
            const se = h.readLinear16(addr + 8);
            this.pushHL(se, hi >>> 0, lo >>> 0);
            return;
          }
          case 7: {
            // FSTP m80
            const p = this.top;
            let se = this.se[p];
            let hi = this.sig32[2 * p + 1];
            let lo = this.sig32[2 * p];
            if (this.empty[p]) {
              if (!this.stackUnderflow()) return;
              se = INDEF_SE;
              hi = 0xc0000000;
              lo = 0;
            }
            h.checkOperand?.(addr, 10);
            h.writeLinear32(addr, lo);
            h.writeLinear32(addr + 4, hi);
            h.writeLinear16(addr + 8, se);
            this.pop();
            return;
          }
        }
        break;
      case 0xdf:
        switch (reg) {
          case 0:
            this.fromInt32((h.readLinear16(addr) << 16) >> 16);
            this.pushRes();
            return;
          case 2:
          case 3:
            this.storeInt(addr, 16, reg === 3);
            return;
          case 4:
            this.fbld(addr);
            return;
          case 5: {
            // FILD m64
            let lo = h.readLinear32(addr) >>> 0;
            let hi = h.readLinear32(addr + 4) >>> 0;
            const sign = hi >>> 31;
            if (sign) {
              // Two's complement magnitude.
              lo = (~lo + 1) >>> 0;
              hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
            }
            if (hi === 0 && lo === 0) this.setZero(0, 0);
            else {
              let e = 16383 + 63;
              if (hi === 0) {
                hi = lo;
                lo = 0;
                e -= 32;
              }
              const n = Math.clz32(hi);
              if (n > 0) {
                hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
                lo = (lo << n) >>> 0;
              }
              this.resSe = (sign << 15) | (e - n);
              this.resHi = hi;
              this.resLo = lo;
            }
            this.pushRes();
            return;
          }
          case 6:
            this.fbstp(addr);
            return;
          case 7:
            this.storeInt(addr, 64, true);
            return;
        }
        break;
    }
    // FISTTP (SSE3) and reserved encodings.
    h.raiseException(EXC_UD);
  }

  /** FLD m32fp/m64fp after conversion into res*: SNaN → IE + quiet, denormal → DE. */
  private loadFloat(): void {
    const k = classifyHL(this.resSe, this.resHi, this.resLo);
    let flags = 0;
    if (k === K.SNaN) {
      flags = FLAG_IE;
      this.resHi = (this.resHi | 0x40000000) >>> 0;
    }
    if (this.loadDenormal) flags |= FLAG_DE;
    this.raise(flags);
    this.setC1(false);
    // An unmasked IE (SNaN) suppresses the load; a denormal is still loaded (measured).
    if (this.unmasked(flags & FLAG_IE)) return;
    this.pushRes();
  }

  private storeFloat(addr: number, fmt: FloatFormat, popAfter: boolean): void {
    const p = this.top;
    const h = this.host;
    if (fmt !== FMT_F32) h.checkOperand?.(addr, 8);
    if (this.empty[p]) {
      if (!this.stackUnderflow()) return;
      if (fmt === FMT_F32) h.writeLinear32(addr, 0xffc00000);
      else {
        h.writeLinear32(addr, 0);
        h.writeLinear32(addr + 4, 0xfff80000);
      }
    } else {
      if (!this.fastToFloat(p, fmt === FMT_F32) && !this.toFloat(p, fmt)) return;
      if (fmt === FMT_F32) h.writeLinear32(addr, this.out32[0]);
      else {
        h.writeLinear32(addr, this.out32[0]);
        h.writeLinear32(addr + 4, this.out32[1]);
      }
    }
    if (popAfter) this.pop();
  }

  /** Normal values inside the single/double normal range: round the significand on numbers.
   *  Leaves the bits in out32 and posts PE/C1; false means "use the exact path". */
  private fastToFloat(p: number, single: boolean): boolean {
    const se = this.se[p];
    const e = se & 0x7fff;
    const hi = this.sig32[2 * p + 1];
    const lo = this.sig32[2 * p];
    if (hi < 0x80000000 || e === 0 || e === 0x7fff) return false;
    const sign = se >> 15;
    const rc = (this.cw >> 10) & 3;
    let E: number, rb: number, rest: boolean, odd: number;
    if (single) {
      E = e - 16383 + 127;
      if (E < 1 || E > 254) return false;
      rb = (hi >>> 7) & 1;
      rest = (hi & 0x7f) !== 0 || lo !== 0;
      odd = (hi >>> 8) & 1;
    } else {
      E = e - 16383 + 1023;
      if (E < 1 || E > 2046) return false;
      rb = (lo >>> 10) & 1;
      rest = (lo & 0x3ff) !== 0;
      odd = (lo >>> 11) & 1;
    }
    const inexact = rb !== 0 || rest;
    let up = false;
    if (inexact) {
      if (rc === RC_NEAREST) up = rb !== 0 && (rest || odd !== 0);
      else if (rc === RC_DOWN) up = sign === 1;
      else if (rc === RC_UP) up = sign === 0;
    }
    if (single) {
      let m = hi >>> 8;
      if (up && ++m === 0x1000000) {
        m = 0x800000;
        if (++E > 254) return false;
      }
      this.out32[0] = ((sign << 31) | (E << 23) | (m & 0x7fffff)) >>> 0;
    } else {
      let mhi = hi >>> 11;
      let mlo = ((hi << 21) | (lo >>> 11)) >>> 0;
      if (up) {
        mlo += 1;
        if (mlo === 4294967296) {
          mlo = 0;
          if (++mhi === 0x200000) {
            mhi = 0x100000;
            if (++E > 2046) return false;
          }
        }
      }
      this.out32[0] = mlo;
      this.out32[1] = ((sign << 31) | (E << 20) | (mhi & 0xfffff)) >>> 0;
    }
    if (inexact) this.raise(FLAG_PE);
    this.setC1(up);
    return true;
  }

  /** FIST m16/m32 of a normal value with 1 <= |x| < 2^31: round on numbers. Returns the integer,
   *  or FAST_FAIL to use the exact path (which also handles overflow). */
  private fastToInt(p: number, bits: number): number {
    const se = this.se[p];
    const eu = (se & 0x7fff) - 16383;
    const hi = this.sig32[2 * p + 1];
    if (eu < 0 || eu > 30 || hi < 0x80000000) return FAST_FAIL;
    const lo = this.sig32[2 * p];
    const sh = 31 - eu;
    let v = hi >>> sh;
    const rb = (hi >>> (sh - 1)) & 1;
    const rest = (sh > 1 && (hi & ((1 << (sh - 1)) - 1)) !== 0) || lo !== 0;
    const inexact = rb !== 0 || rest;
    const sign = se >> 15;
    let up = false;
    if (inexact) {
      const rc = (this.cw >> 10) & 3;
      if (rc === RC_NEAREST) up = rb !== 0 && (rest || (v & 1) !== 0);
      else if (rc === RC_DOWN) up = sign === 1;
      else if (rc === RC_UP) up = sign === 0;
    }
    if (up) v++;
    const r = sign ? -v : v;
    const limit = bits === 16 ? 32768 : 2147483648;
    if (r >= limit || r < -limit) return FAST_FAIL;
    if (inexact) this.raise(FLAG_PE);
    this.setC1(up);
    return r;
  }

  /** FISTP m64 of a normal value with 1 <= |x| < 2^63: two's complement result in out32. */
  private fastToInt64(p: number): boolean {
    const se = this.se[p];
    const eu = (se & 0x7fff) - 16383;
    const hi = this.sig32[2 * p + 1];
    if (eu < 0 || eu > 62 || hi < 0x80000000) return false;
    const lo = this.sig32[2 * p];
    const sh = 63 - eu; // 1..63
    let vhi: number, vlo: number, rb: number, rest: boolean;
    if (sh >= 32) {
      const k = sh - 32;
      vhi = 0;
      vlo = hi >>> k;
      rb = k === 0 ? lo >>> 31 : (hi >>> (k - 1)) & 1;
      rest = k === 0 ? (lo & 0x7fffffff) !== 0 : (k > 1 && (hi & ((1 << (k - 1)) - 1)) !== 0) || lo !== 0;
    } else {
      vhi = hi >>> sh;
      vlo = ((hi << (32 - sh)) | (lo >>> sh)) >>> 0;
      rb = (lo >>> (sh - 1)) & 1;
      rest = sh > 1 && (lo & ((1 << (sh - 1)) - 1)) !== 0;
    }
    const inexact = rb !== 0 || rest;
    const sign = se >> 15;
    let up = false;
    if (inexact) {
      const rc = (this.cw >> 10) & 3;
      if (rc === RC_NEAREST) up = rb !== 0 && (rest || (vlo & 1) !== 0);
      else if (rc === RC_DOWN) up = sign === 1;
      else if (rc === RC_UP) up = sign === 0;
    }
    if (up) {
      vlo += 1;
      if (vlo === 4294967296) {
        vlo = 0;
        vhi += 1;
      }
    }
    // Magnitude must fit: < 2^63, or exactly 2^63 when negative.
    if (vhi >= 0x80000000 && !(sign && vhi === 0x80000000 && vlo === 0)) return false;
    if (sign) {
      vlo = (~vlo + 1) >>> 0;
      vhi = (~vhi + (vlo === 0 ? 1 : 0)) >>> 0;
    }
    this.out32[0] = vlo >>> 0;
    this.out32[1] = vhi >>> 0;
    if (inexact) this.raise(FLAG_PE);
    this.setC1(up);
    return true;
  }

  private storeInt(addr: number, bits: number, popAfter: boolean): void {
    const p = this.top;
    if (bits === 64) this.host.checkOperand?.(addr, 8);
    let v: bigint | null;
    if (this.empty[p]) {
      if (!this.stackUnderflow()) return;
      v = -(1n << BigInt(bits - 1));
    } else {
      if (bits === 64 && this.fastToInt64(p)) {
        this.host.writeLinear32(addr + 4, this.out32[1]);
        this.host.writeLinear32(addr, this.out32[0]);
        if (popAfter) this.pop();
        return;
      }
      if (bits !== 64) {
        const f = this.fastToInt(p, bits);
        if (f !== FAST_FAIL) {
          if (bits === 16) this.host.writeLinear16(addr, f & 0xffff);
          else this.host.writeLinear32(addr, f >>> 0);
          if (popAfter) this.pop();
          return;
        }
      }
      v = this.integerForStore(p, bits);
      if (v === null) return;
    }
    const h = this.host;
    if (bits === 16) h.writeLinear16(addr, Number(v & 0xffffn));
    else if (bits === 32) h.writeLinear32(addr, Number(v & 0xffffffffn));
    else {
      const u = v & MASK64;
      h.writeLinear32(addr, Number(u & 0xffffffffn));
      h.writeLinear32(addr + 4, Number(u >> 32n));
    }
    if (popAfter) this.pop();
  }

  private fbld(addr: number): void {
    const h = this.host;
    let v = 0n;
    for (let i = 8; i >= 0; i--) {
      const b = h.readLinear8(addr + i);
      v = v * 100n + BigInt((b >> 4) * 10 + (b & 15));
    }
    const sign = h.readLinear8(addr + 9) >> 7;
    this.fromInteger(sign, v, 0);
    this.pushRes();
  }

  private fbstp(addr: number): void {
    const p = this.top;
    const h = this.host;
    h.checkOperand?.(addr, 10);
    let v: bigint | null = null;
    let sign = 0;
    let indefinite = false;
    if (this.empty[p]) {
      if (!this.stackUnderflow()) return;
      indefinite = true;
    } else {
      sign = this.se[p] >> 15;
      v = this.roundToInteger(this.se[p], this.getSig(p));
      let flags: number;
      if (v === null || v > 999999999999999999n || v < -999999999999999999n) {
        flags = FLAG_IE;
        indefinite = true;
      } else flags = this.pendingIntFlags;
      this.raise(flags);
      this.setC1((flags & FLAG_PE) !== 0 && this.rnd.roundedUp);
      if (this.unmasked(flags & (FLAG_IE | FLAG_DE))) return;
    }
    if (indefinite) {
      for (let i = 0; i < 7; i++) h.writeLinear8(addr + i, 0);
      h.writeLinear8(addr + 7, 0xc0);
      h.writeLinear8(addr + 8, 0xff);
      h.writeLinear8(addr + 9, 0xff);
    } else {
      let a = v! < 0n ? -v! : v!;
      for (let i = 0; i < 9; i++) {
        const d = Number(a % 100n);
        a /= 100n;
        h.writeLinear8(addr + i, ((Math.floor(d / 10) << 4) | d % 10) & 0xff);
      }
      h.writeLinear8(addr + 9, sign << 7);
    }
    this.pop();
  }

  private memArith(opcode: number, reg: number, addr: number): void {
    this.loadMemOperand(opcode, addr);
    const bSe = this.resSe;
    const bHi = this.resHi;
    const bLo = this.resLo;
    const bDen = this.loadDenormal;
    const p = this.top;
    if (reg === 2 || reg === 3) {
      // FCOM/FCOMP/FICOM/FICOMP
      if (this.empty[p]) {
        if (!this.stackUnderflow()) return;
        this.setCompareCodes(3);
      } else {
        const res = this.compare(this.se[p], this.sig32[2 * p + 1], this.sig32[2 * p], bSe, bHi, bLo, false, bDen);
        this.setCompareCodes(res & 3);
        if (res & UNMASKED_COMPARE) return;
      }
      if (reg === 3) this.pop();
      return;
    }
    this.binaryToReg(reg, p, bSe, bHi, bLo, bDen, false);
  }

  /** Performs arithmetic group op `reg` (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr) with the
   *  destination register's value and the other operand; `swap` flips sub/subr and div/divr (the DC
   *  and DE register forms). */
  private binaryToReg(reg: number, dest: number, oSe: number, oHi: number, oLo: number, oDen: boolean, swap: boolean): boolean {
    if (this.empty[dest]) {
      if (!this.stackUnderflow()) return false;
      this.setReg(dest, INDEF_SE, INDEF_SIG);
      return true;
    }
    const dSe = this.se[dest];
    const dHi = this.sig32[2 * dest + 1];
    const dLo = this.sig32[2 * dest];
    let reversed = reg === 5 || reg === 7;
    if (swap && reg >= 4) reversed = !reversed;
    const op = reg === 0 ? 0 : reg === 1 ? 2 : reg <= 5 ? 1 : 3;
    // Fast path: normal operands and a normal result.
    const de = dSe & 0x7fff;
    const oe = oSe & 0x7fff;
    if (!oDen && de !== 0 && de !== 0x7fff && oe !== 0 && oe !== 0x7fff && dHi >= 0x80000000 && oHi >= 0x80000000) {
      const f = this.fast;
      const pc = (this.cw >> 8) & 3;
      const p = pc === 0 ? 24 : pc === 2 ? 53 : 64;
      const rc = (this.cw >> 10) & 3;
      let ok: boolean;
      if (op === 2) ok = f.mul(dSe >> 15, de, dHi, dLo, oSe >> 15, oe, oHi, oLo, p, rc);
      else if (op === 3) {
        ok = reversed ? f.div(oSe >> 15, oe, oHi, oLo, dSe >> 15, de, dHi, dLo, p, rc) : f.div(dSe >> 15, de, dHi, dLo, oSe >> 15, oe, oHi, oLo, p, rc);
      }
      else if (reversed) ok = f.add(oSe >> 15, oe, oHi, oLo, (dSe >> 15) ^ op, de, dHi, dLo, p, rc);
      else ok = f.add(dSe >> 15, de, dHi, dLo, (oSe >> 15) ^ op, oe, oHi, oLo, p, rc);
      if (ok) {
        this.rnd.roundedUp = f.roundedUp;
        this.finishResult(f.flags);
        this.setRegHL(dest, f.se, f.hi, f.lo);
        return true;
      }
    }
    const dSig = (BigInt(dHi) << 32n) | BigInt(dLo);
    const oSig = (BigInt(oHi) << 32n) | BigInt(oLo);
    let flags: number;
    if (reversed) flags = this.arith(op, oSe, oSig, oDen, dSe, dSig, false);
    else flags = this.arith(op, dSe, dSig, false, oSe, oSig, oDen);
    if (!this.finishResult(flags)) return false;
    this.setRegRes(dest);
    return true;
  }

  // ---- Register forms ----------------------------------------------------------------------------

  private regOp(opcode: number, modrm: number): void {
    const reg = (modrm >> 3) & 7;
    const i = modrm & 7;
    const pi = this.phys(i);
    const p0 = this.top;
    const h = this.host;
    switch (opcode) {
      case 0xd8:
        if (reg === 2 || reg === 3) {
          this.fcomRegs(p0, pi, false, reg === 3 ? 1 : 0);
          return;
        }
        if (this.empty[pi]) {
          if (!this.stackUnderflow()) return;
          this.setReg(p0, INDEF_SE, INDEF_SIG);
          return;
        }
        this.binaryToReg(reg, p0, this.se[pi], this.sig32[2 * pi + 1], this.sig32[2 * pi], false, false);
        return;
      case 0xdc:
      case 0xde: {
        if (reg === 2 || reg === 3) {
          // DC D0/D8 alias FCOM/FCOMP; DE D0-D7 alias FCOMP; DE D9 is FCOMPP.
          if (opcode === 0xde && reg === 3) {
            if (i !== 1) break;
            this.fcomRegs(p0, pi, false, 2);
            return;
          }
          this.fcomRegs(p0, pi, false, opcode === 0xde || reg === 3 ? 1 : 0);
          return;
        }
        if (this.empty[p0]) {
          if (!this.stackUnderflow()) return;
          this.setReg(pi, INDEF_SE, INDEF_SIG);
          if (opcode === 0xde) this.pop();
          return;
        }
        if (this.binaryToReg(reg, pi, this.se[p0], this.sig32[2 * p0 + 1], this.sig32[2 * p0], false, true) && opcode === 0xde) this.pop();
        return;
      }
      case 0xd9:
        this.d9Reg(reg, i, pi, modrm);
        return;
      case 0xda:
        if (reg <= 3) {
          this.fcmov(pi, reg, false);
          return;
        }
        if (modrm === 0xe9) {
          this.fcomRegs(p0, this.phys(1), true, 2);
          return;
        }
        break;
      case 0xdb:
        if (reg <= 3) {
          this.fcmov(pi, reg, true);
          return;
        }
        if (reg === 4) {
          if (modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4) return; // FENI/FDISI/FSETPM: no-ops on a 387+
          break;
        }
        if (reg === 5 || reg === 6) {
          this.fcomi(p0, pi, reg === 5, false);
          return;
        }
        break;
      case 0xdd:
        switch (reg) {
          case 0: // FFREE
            this.empty[pi] = 1;
            return;
          case 1: // FXCH alias
            this.fxch(pi);
            return;
          case 2:
          case 3: // FST/FSTP ST(i)
            if (this.empty[p0]) {
              if (!this.stackUnderflow()) return;
              this.setReg(pi, INDEF_SE, INDEF_SIG);
            } else {
              this.setC1(false);
              this.copyReg(pi, p0);
            }
            if (reg === 3) this.pop();
            return;
          case 4:
          case 5: // FUCOM/FUCOMP
            this.fcomRegs(p0, pi, true, reg === 5 ? 1 : 0);
            return;
        }
        break;
      case 0xdf:
        switch (reg) {
          case 0: // FFREEP (undocumented): free and pop
            this.empty[pi] = 1;
            this.pop();
            return;
          case 1:
            this.fxch(pi);
            return;
          case 2:
          case 3: // FSTP aliases
            if (this.empty[p0]) {
              if (!this.stackUnderflow()) return;
              this.setReg(pi, INDEF_SE, INDEF_SIG);
            } else this.copyReg(pi, p0);
            this.pop();
            return;
          case 5:
          case 6:
            this.fcomi(p0, pi, reg === 5, true);
            return;
        }
        break;
    }
    h.raiseException(EXC_UD);
  }

  /** FCOM-family on registers; pops = 0, 1 or 2. */
  private fcomRegs(p0: number, pi: number, quiet: boolean, pops: number): void {
    if (this.empty[p0] || this.empty[pi]) {
      if (!this.stackUnderflow()) return;
      this.setCompareCodes(3);
    } else {
      const res = this.compare(this.se[p0], this.sig32[2 * p0 + 1], this.sig32[2 * p0], this.se[pi], this.sig32[2 * pi + 1], this.sig32[2 * pi], quiet);
      this.setCompareCodes(res & 3);
      if (res & UNMASKED_COMPARE) return;
    }
    for (let k = 0; k < pops; k++) this.pop();
  }

  private fcomi(p0: number, pi: number, quiet: boolean, popAfter: boolean): void {
    let res: number;
    if (this.empty[p0] || this.empty[pi]) {
      if (!this.stackUnderflow()) return;
      res = 3;
    } else {
      res = this.compare(this.se[p0], this.sig32[2 * p0 + 1], this.sig32[2 * p0], this.se[pi], this.sig32[2 * pi + 1], this.sig32[2 * pi], quiet);
    }
    const r = res & 3;
    this.host.setCompareFlags(r === 1 || r === 3, r === 3, r === 0 || r === 3);
    if (popAfter && !(res & UNMASKED_COMPARE)) this.pop();
  }

  private fcmov(pi: number, cond: number, negate: boolean): void {
    const f = this.host.getEflags();
    let c: boolean;
    switch (cond) {
      case 0:
        c = (f & 1) !== 0; // B: CF
        break;
      case 1:
        c = (f & 0x40) !== 0; // E: ZF
        break;
      case 2:
        c = (f & 0x41) !== 0; // BE: CF or ZF
        break;
      default:
        c = (f & 0x4) !== 0; // U: PF
    }
    if (negate) c = !c;
    const p0 = this.top;
    if (this.empty[pi]) {
      if (!this.stackUnderflow()) return;
      if (c) this.setReg(p0, INDEF_SE, INDEF_SIG);
      return;
    }
    this.setC1(false);
    if (c) this.copyReg(p0, pi);
  }

  private fxch(pi: number): void {
    const p0 = this.top;
    if (this.empty[p0] || this.empty[pi]) {
      if (!this.stackUnderflow()) return;
      if (this.empty[p0]) this.setReg(p0, INDEF_SE, INDEF_SIG);
      if (this.empty[pi]) this.setReg(pi, INDEF_SE, INDEF_SIG);
    } else this.setC1(false);
    const se = this.se[p0];
    const hi = this.sig32[2 * p0 + 1];
    const lo = this.sig32[2 * p0];
    this.copyReg(p0, pi);
    this.setRegHL(pi, se, hi, lo);
  }

  private d9Reg(reg: number, i: number, pi: number, modrm: number): void {
    const p0 = this.top;
    switch (reg) {
      case 0: // FLD ST(i)
        if (this.empty[pi]) {
          if (!this.stackUnderflow()) return;
          this.push(INDEF_SE, INDEF_SIG);
          return;
        }
        this.setC1(false);
        this.pushHL(this.se[pi], this.sig32[2 * pi + 1], this.sig32[2 * pi]);
        return;
      case 1:
        this.fxch(pi);
        return;
      case 2:
        if (i === 0) return; // FNOP
        break;
      case 3: // FSTP1 (reserved alias of FSTP ST(i))
        if (this.empty[p0]) {
          if (!this.stackUnderflow()) return;
          this.setReg(pi, INDEF_SE, INDEF_SIG);
        } else this.copyReg(pi, p0);
        this.pop();
        return;
      case 4:
        switch (i) {
          case 0: // FCHS
          case 1: // FABS
            if (this.empty[p0]) {
              if (!this.stackUnderflow()) return;
              this.setReg(p0, INDEF_SE, INDEF_SIG);
              return;
            }
            this.setC1(false);
            this.se[p0] = i === 0 ? this.se[p0] ^ 0x8000 : this.se[p0] & 0x7fff;
            return;
          case 4: // FTST
            if (this.empty[p0]) {
              if (!this.stackUnderflow()) return;
              this.setCompareCodes(3);
              return;
            }
            {
              const res = this.compare(this.se[p0], this.sig32[2 * p0 + 1], this.sig32[2 * p0], 0, 0, 0, false);
              this.setCompareCodes(res & 3);
            }
            return;
          case 5:
            this.fxam();
            return;
        }
        break;
      case 5:
        if (i === 7) break;
        this.fldConst(i);
        return;
      case 6:
      case 7:
        this.d9Math(modrm);
        return;
    }
    this.host.raiseException(EXC_UD);
  }

  private fxam(): void {
    const p = this.top;
    this.sw &= ~SW_CC;
    if (this.se[p] & 0x8000) this.sw |= SW_C1;
    if (this.empty[p]) {
      this.sw |= SW_C3 | SW_C0;
      return;
    }
    switch (classifyHL(this.se[p], this.sig32[2 * p + 1], this.sig32[2 * p])) {
      case K.Unsupported:
        break;
      case K.QNaN:
      case K.SNaN:
        this.sw |= SW_C0;
        break;
      case K.Normal:
        this.sw |= SW_C2;
        break;
      case K.Inf:
        this.sw |= SW_C2 | SW_C0;
        break;
      case K.Zero:
        this.sw |= SW_C3;
        break;
      case K.Denormal:
        this.sw |= SW_C3 | SW_C2;
        break;
    }
  }

  private fldConst(i: number): void {
    this.setC1(false);
    if (i === 6) {
      this.pushHL(0, 0, 0);
      return;
    }
    const rc = (this.cw >> 10) & 3;
    let sig = CONST_SIG[i];
    const dir = CONST_DIR[i];
    // The stored value is the round-to-nearest one; directed modes step to the other neighbour.
    if (dir > 0 && rc === RC_UP) sig += 1n;
    else if (dir < 0 && (rc === RC_DOWN || rc === RC_ZERO)) sig -= 1n;
    this.pushHL(CONST_EXP[i], Number(sig >> 32n), Number(sig & 0xffffffffn));
  }

  // ---- D9 E0-FF: transcendental and miscellaneous --------------------------------------------

  private d9Math(modrm: number): void {
    const p0 = this.top;
    const p1 = this.phys(1);
    // Operations that only move the stack pointer.
    if (modrm === 0xf6 || modrm === 0xf7) {
      this.top = (this.top + (modrm === 0xf6 ? 7 : 1)) & 7;
      this.setC1(false);
      return;
    }
    const twoOperands = modrm === 0xf1 || modrm === 0xf3 || modrm === 0xf5 || modrm === 0xf8 || modrm === 0xf9 || modrm === 0xfd;
    if (this.empty[p0] || (twoOperands && this.empty[p1])) {
      if (!this.stackUnderflow()) return;
      if (twoOperands && modrm !== 0xf5 && modrm !== 0xf8 && modrm !== 0xfd) {
        this.setReg(p1, INDEF_SE, INDEF_SIG);
        this.pop();
      } else {
        this.setReg(p0, INDEF_SE, INDEF_SIG);
        if (modrm === 0xf4 || modrm === 0xf2 || modrm === 0xfb) this.push(INDEF_SE, INDEF_SIG);
      }
      return;
    }
    switch (modrm) {
      case 0xfa: // FSQRT
        this.fsqrt(p0);
        return;
      case 0xfc: // FRNDINT
        this.frndint(p0);
        return;
      case 0xfd: // FSCALE
        this.fscale(p0, p1);
        return;
      case 0xf4: // FXTRACT
        this.fxtract(p0);
        return;
      case 0xf8: // FPREM
      case 0xf5: // FPREM1
        this.fprem(p0, p1, modrm === 0xf5);
        return;
      default:
        this.transcendental(modrm, p0, p1);
    }
  }

  private fsqrt(p0: number): void {
    const se = this.se[p0];
    const sig = this.getSig(p0);
    const k = classify(se, sig);
    let flags = 0;
    if (k === K.Unsupported) flags = this.indefinite();
    else if (k === K.QNaN || k === K.SNaN) flags = this.propagateNaN(se, sig, k, se, sig, k);
    else if (k === K.Zero) this.setZero(se >> 15, 0);
    else if (se & 0x8000) flags = this.indefinite();
    else if (k === K.Inf) this.setInf(0, 0);
    else {
      if (k === K.Denormal) flags = FLAG_DE;
      if (!this.unmasked(flags)) {
        const fmt = this.precisionFormat();
        this.ops.sqrt(sig, ((se & 0x7fff) || 1) - 16446, fmt.p);
        flags |= this.roundToReg(0, this.ops.rM, this.ops.rE, this.ops.rSticky, fmt);
      }
    }
    if (this.finishResult(flags)) this.setRegRes(p0);
  }

  private frndint(p0: number): void {
    const se = this.se[p0];
    const sig = this.getSig(p0);
    const k = classify(se, sig);
    let flags = 0;
    if (k === K.Unsupported) flags = this.indefinite();
    else if (k === K.QNaN || k === K.SNaN) flags = this.propagateNaN(se, sig, k, se, sig, k);
    else if (k === K.Zero || k === K.Inf) {
      this.resSe = se;
      this.setResSig(sig);
    } else if ((se & 0x7fff) - 16383 >= 63) {
      // Already an integer.
      this.resSe = se;
      this.setResSig(sig);
      if (k === K.Denormal) flags = FLAG_DE;
    } else if (k === K.Denormal && this.unmasked(FLAG_DE)) {
      flags = FLAG_DE;
    } else {
      const v = this.roundToInteger(se, sig)!;
      flags = this.pendingIntFlags | (k === K.Denormal ? FLAG_DE : 0);
      const sign = se >> 15;
      this.fromInteger(sign, v < 0n ? -v : v, 0);
      if (v === 0n) this.setZero(sign, 0);
    }
    if (this.finishResult(flags)) this.setRegRes(p0);
  }

  private fscale(p0: number, p1: number): void {
    const aSe = this.se[p0];
    const aSig = this.getSig(p0);
    const bSe = this.se[p1];
    const bSig = this.getSig(p1);
    const ka = classify(aSe, aSig);
    const kb = classify(bSe, bSig);
    let flags = 0;
    if (ka === K.Unsupported || kb === K.Unsupported) flags = this.indefinite();
    else if (ka >= K.QNaN || kb >= K.QNaN) flags = this.propagateNaN(aSe, aSig, ka, bSe, bSig, kb);
    else if (kb === K.Inf) {
      const negScale = (bSe & 0x8000) !== 0;
      if ((ka === K.Zero && !negScale) || (ka === K.Inf && negScale)) flags = this.indefinite();
      else if (ka === K.Zero || ka === K.Inf) {
        this.resSe = aSe;
        this.setResSig(aSig);
      } else if (negScale) this.setZero(aSe >> 15, 0);
      else this.setInf(aSe >> 15, 0);
      if (ka === K.Denormal) flags |= FLAG_DE;
    } else if (ka === K.Zero || ka === K.Inf) {
      this.resSe = aSe;
      this.setResSig(aSig);
      if (kb === K.Denormal) flags |= FLAG_DE;
    } else {
      if (ka === K.Denormal || kb === K.Denormal) flags |= FLAG_DE;
      if (!this.unmasked(flags)) {
        // Scale by trunc(ST1), clamped far beyond the exponent range.
        const be = ((bSe & 0x7fff) || 1) - 16446;
        let n: number;
        if (be >= 0) n = 1 << 20;
        else if (be < -64) n = 0;
        else {
          const t = Number(bSig >> BigInt(-be));
          n = t > 1 << 20 ? 1 << 20 : t;
        }
        if (bSe & 0x8000) n = -n;
        // FSCALE is exact apart from range: precision control does not apply.
        flags |= this.roundToReg(aSe >> 15, aSig, ((aSe & 0x7fff) || 1) - 16446 + n, false, FMT_EXT64);
      }
    }
    if (this.finishResult(flags)) this.setRegRes(p0);
  }

  private fxtract(p0: number): void {
    const se = this.se[p0];
    const sig = this.getSig(p0);
    const k = classify(se, sig);
    let flags = 0;
    let expSe = 0;
    let expSig = 0n;
    if (k === K.Unsupported) {
      flags = this.indefinite();
      expSe = this.resSe;
      expSig = this.resBig();
    } else if (k === K.QNaN || k === K.SNaN) {
      flags = this.propagateNaN(se, sig, k, se, sig, k);
      expSe = this.resSe;
      expSig = this.resBig();
    } else if (k === K.Zero) {
      flags = FLAG_ZE;
      expSe = 0xffff;
      expSig = SIG_J;
      this.resSe = se;
      this.setResSig(sig);
    } else if (k === K.Inf) {
      expSe = 0x7fff;
      expSig = SIG_J;
      this.resSe = se;
      this.setResSig(sig);
    } else {
      if (k === K.Denormal) flags = FLAG_DE;
      const n = bitLength(sig);
      const E = ((se & 0x7fff) || 1) - 16383 - (64 - n);
      this.fromInteger(E < 0 ? 1 : 0, BigInt(Math.abs(E)), 0);
      expSe = this.resSe;
      expSig = this.resBig();
      this.resSe = (se & 0x8000) | 16383;
      this.setResSig(sig << BigInt(64 - n));
    }
    if (!this.finishResult(flags)) return;
    this.setReg(p0, expSe, expSig);
    this.pushRes();
  }

  private fprem(p0: number, p1: number, ieee: boolean): void {
    const aSe = this.se[p0];
    const aSig = this.getSig(p0);
    const bSe = this.se[p1];
    const bSig = this.getSig(p1);
    const ka = classify(aSe, aSig);
    const kb = classify(bSe, bSig);
    let flags = 0;
    this.sw &= ~SW_CC;
    if (ka === K.Unsupported || kb === K.Unsupported) flags = this.indefinite();
    else if (ka >= K.QNaN || kb >= K.QNaN) flags = this.propagateNaN(aSe, aSig, ka, bSe, bSig, kb);
    else if (ka === K.Inf || kb === K.Zero) flags = this.indefinite();
    else if (ka === K.Zero || kb === K.Inf) {
      if (ka === K.Denormal || kb === K.Denormal) flags = FLAG_DE;
      this.resSe = aSe;
      this.setResSig(aSig);
    } else {
      if (ka === K.Denormal || kb === K.Denormal) flags = FLAG_DE;
      if (this.unmasked(flags)) {
        this.raise(flags);
        return;
      }
      const sa = aSe >> 15;
      const ea = ((aSe & 0x7fff) || 1) - 16446;
      let eb = ((bSe & 0x7fff) || 1) - 16446;
      const d = ea + bitLength(aSig) - (eb + bitLength(bSig));
      let partial = false;
      if (d >= 64) {
        // Partial remainder: reduce the exponent difference by between 32 and 63 bits.
        const n = 32 + (d % 32);
        eb += d - n;
        partial = true;
      }
      const e = ea < eb ? ea : eb;
      const A = aSig << BigInt(ea - e);
      const B = bSig << BigInt(eb - e);
      let q = partial || !ieee ? A / B : 0n;
      let r: bigint;
      let rSign = sa;
      if (partial || !ieee) r = A - q * B;
      else {
        q = A / B;
        r = A - q * B;
        const twice = 2n * r;
        if (twice > B || (twice === B && (q & 1n) === 1n)) {
          q += 1n;
          r = B - r;
          rSign ^= 1;
        }
      }
      if (partial) this.sw |= SW_C2;
      else {
        if (q & 4n) this.sw |= SW_C0;
        if (q & 2n) this.sw |= SW_C3;
        if (q & 1n) this.sw |= SW_C1;
      }
      if (r === 0n) this.setZero(sa, 0);
      else flags |= this.roundToReg(rSign, r, e, false, FMT_EXT64);
      this.raise(flags);
      this.setRegRes(p0);
      return;
    }
    if (this.finishResult(flags)) this.setRegRes(p0);
    this.setC1(false);
  }

  // ---- Transcendentals (transcendental.ts: 192-bit evaluation, one rounding) ---------------------

  /** Rounds transcendental.ts's result into res* at the current precision; returns the flags. */
  private roundTrans(): number {
    const o = T.out;
    if (o.m === 0n) {
      this.setZero(o.sign, 0);
      return 0;
    }
    // Transcendentals deliver full 64-bit results whatever the precision control (measured).
    return this.roundToReg(o.sign, o.m, o.e, !o.exact, FMT_EXT64);
  }

  private transcendental(modrm: number, p0: number, p1: number): void {
    const aSe = this.se[p0];
    const aSig = this.getSig(p0);
    const ka = classify(aSe, aSig);
    const binary = modrm === 0xf1 || modrm === 0xf3 || modrm === 0xf9;
    const bSe = this.se[p1];
    const bSig = this.getSig(p1);
    const kb = binary ? classify(bSe, bSig) : K.Normal;
    let flags = 0;
    this.sw &= ~SW_C2;
    // NaN/unsupported operands.
    if (ka === K.Unsupported || kb === K.Unsupported || ka >= K.QNaN || kb >= K.QNaN) {
      if (ka === K.Unsupported || kb === K.Unsupported) flags = this.indefinite();
      else if (binary) flags = this.propagateNaN(bSe, bSig, kb, aSe, aSig, ka);
      else flags = this.propagateNaN(aSe, aSig, ka, aSe, aSig, ka);
      if (!this.finishResult(flags)) return;
      if (binary) {
        this.setRegRes(p1);
        this.pop();
      } else {
        this.setRegRes(p0);
        if (modrm === 0xf2 || modrm === 0xfb) this.pushRes();
      }
      return;
    }
    if (ka === K.Denormal || kb === K.Denormal) {
      flags = FLAG_DE;
      if (this.unmasked(flags)) {
        this.raise(flags);
        return;
      }
    }
    const sa = aSe >> 15;
    const ea = ((aSe & 0x7fff) || 1) - 16446;
    const sb = bSe >> 15;
    const eb = ((bSe & 0x7fff) || 1) - 16446;
    switch (modrm) {
      case 0xfe: // FSIN
      case 0xff: // FCOS
      case 0xf2: // FPTAN
      case 0xfb: {
        // FSINCOS
        if (ka === K.Inf) {
          flags |= this.indefinite();
          if (!this.finishResult(flags)) return;
          this.setRegRes(p0);
          if (modrm === 0xf2 || modrm === 0xfb) this.pushRes();
          return;
        }
        if (((aSe & 0x7fff) || 1) - 16383 >= 63) {
          this.sw |= SW_C2; // out of range: operand unchanged
          return;
        }
        if (ka === K.Zero && modrm !== 0xff) {
          // sin(±0) = ±0, tan(±0) = ±0 exactly.
          if (modrm === 0xf2) this.push(0x3fff, SIG_J);
          else if (modrm === 0xfb) {
            this.push(0x3fff, SIG_J);
            this.setReg(this.phys(1), aSe, aSig);
          }
          this.setC1(false);
          return;
        }
        T.trig(modrm === 0xff ? 1 : modrm === 0xf2 ? 2 : 0, sa, aSig, ea);
        flags |= this.roundTrans();
        if (!this.finishResult(flags)) return;
        if (modrm === 0xfb) {
          // ST1 = sin, ST0 = cos.
          const sinSe = this.resSe, sinHi = this.resHi, sinLo = this.resLo;
          T.trig(1, sa, aSig, ea);
          const f2 = this.roundTrans();
          this.raise(f2);
          this.setRegHL(p0, sinSe, sinHi, sinLo);
          this.pushRes();
          return;
        }
        this.setRegRes(p0);
        if (modrm === 0xf2) this.push(0x3fff, SIG_J);
        return;
      }
      case 0xf0: {
        // F2XM1: 2^x - 1
        if (ka === K.Zero) {
          this.setC1(false);
          return; // ±0 unchanged
        }
        if (ka === K.Inf) {
          if (sa) this.fromInteger(1, 1n, 0);
          else this.setInf(0, 0);
        } else {
          T.exp2m1(sa, aSig, ea);
          flags |= this.roundTrans();
        }
        if (this.finishResult(flags)) this.setRegRes(p0);
        return;
      }
      case 0xf1: // FYL2X: ST1 = ST1 * log2(ST0), pop
      case 0xf9: {
        // FYL2XP1: ST1 = ST1 * log2(ST0 + 1), pop
        flags |= modrm === 0xf1 ? this.fyl2x(sa, aSig, ea, ka, sb, bSig, eb, kb) : this.fyl2xp1(sa, aSig, ea, ka, sb, bSig, eb, kb);
        if (!this.finishResult(flags)) return;
        this.setRegRes(p1);
        this.pop();
        return;
      }
      case 0xf3: {
        // FPATAN: ST1 = atan2(ST1, ST0), pop
        if (ka === K.Zero || ka === K.Inf || kb === K.Zero || kb === K.Inf) {
          // Exact quadrant answers: multiples of pi/4 (or ±0).
          const r = Math.atan2(kb === K.Zero ? (sb ? -0 : 0) : kb === K.Inf ? (sb ? -Infinity : Infinity) : sb ? -1 : 1,
            ka === K.Zero ? (sa ? -0 : 0) : ka === K.Inf ? (sa ? -Infinity : Infinity) : sa ? -1 : 1);
          if (r === 0) this.setZero(Object.is(r, -0) ? 1 : 0, 0);
          else {
            // ±pi/4, ±pi/2, ±3pi/4 or ±pi, rounded from the 192-bit pi.
            T.piQuarters(r < 0 ? 1 : 0, Math.round(Math.abs(r) / (Math.PI / 4)));
            flags |= this.roundTrans();
          }
        } else {
          T.atan2(sb, bSig, eb, sa, aSig, ea);
          flags |= this.roundTrans();
        }
        if (!this.finishResult(flags)) return;
        this.setRegRes(p1);
        this.pop();
        return;
      }
    }
    this.host.raiseException(EXC_UD);
  }

  /** FYL2X special cases and evaluation; result in res*, returns flags. */
  private fyl2x(sx: number, mx: bigint, ex: number, kx: K, sy: number, my: bigint, ey: number, ky: K): number {
    if (sx && kx !== K.Zero) return this.indefinite(); // log of a negative number
    if (kx === K.Zero) {
      if (ky === K.Zero) return this.indefinite();
      // y·(-inf): a zero divide only for a finite y; an infinite y gives the infinity exactly
      // (SDM FYL2X results table: ST(0) = ±0 with ST(1) = ±∞ has no #Z)
      return this.setInf(sy ^ 1, ky === K.Inf ? 0 : FLAG_ZE);
    }
    const xIsOne = kx === K.Normal && mx === SIG_J && ex === -63;
    if (kx === K.Inf) {
      if (ky === K.Zero) return this.indefinite();
      return this.setInf(sy, 0);
    }
    if (ky === K.Inf) {
      if (xIsOne) return this.indefinite(); // inf · 0
      const below = ex + bitLength(mx) - 1 < 0; // x < 1: log negative
      return this.setInf(sy ^ (below ? 1 : 0), 0);
    }
    if (ky === K.Zero) return this.setZero(sy ^ (ex + bitLength(mx) - 1 < 0 ? 1 : 0), 0);
    T.ylog2x(sy, my, ey, mx, ex);
    return this.roundTrans();
  }

  private fyl2xp1(sx: number, mx: bigint, ex: number, kx: K, sy: number, my: bigint, ey: number, ky: K): number {
    if (kx === K.Inf) {
      if (sx || ky === K.Zero) return this.indefinite();
      return this.setInf(sy, 0);
    }
    if (ky === K.Inf) {
      if (kx === K.Zero) return this.indefinite();
      if (sx && ex + bitLength(mx) > 0) return this.indefinite(); // x <= -1
      return this.setInf(sy ^ sx, 0);
    }
    if (kx === K.Zero || ky === K.Zero) return this.setZero(sy ^ sx, 0);
    if (ex + bitLength(mx) > 0) {
      // |x| >= 1: outside the documented domain; evaluate as log2 of (1 + x) when positive.
      if (sx) return this.indefinite();
    }
    T.ylog2xp1(sy, my, ey, sx, mx, ex);
    return this.roundTrans();
  }

  // ---- Environment: FLDCW/FSTCW/FSTSW/FSTENV/FLDENV/FSAVE/FRSTOR ---------------------------------

  private controlMem(opcode: number, reg: number, addr: number): void {
    const h = this.host;
    // Environment and state images (FLDENV/FSTENV, FRSTOR/FSAVE) are checked whole before any
    // part is stored or loaded.
    if (reg === 4 || reg === 6) h.checkOperand?.(addr, (h.operandSize32 ? 28 : 14) + (opcode === 0xdd ? 80 : 0));
    if (opcode === 0xd9) {
      switch (reg) {
        case 4:
          this.loadEnv(addr);
          return;
        case 5:
          this.cw = (h.readLinear16(addr) & 0x1f3f) | 0x40;
          this.recomputeEs();
          return;
        case 6:
          this.storeEnv(addr);
          this.cw |= 0x3f;
          this.recomputeEs();
          return;
        case 7:
          h.writeLinear16(addr, this.cw);
          return;
      }
    } else if (opcode === 0xdd) {
      switch (reg) {
        case 4: {
          // FRSTOR
          const size = this.loadEnv(addr);
          for (let i = 0; i < 8; i++) {
            const a = addr + size + 10 * i;
            const lo = h.readLinear32(a) >>> 0;
            const hi = h.readLinear32(a + 4) >>> 0;
            const se = h.readLinear16(a + 8);
            const p = this.phys(i);
            const wasEmpty = this.empty[p];
            this.setRegHL(p, se, hi, lo);
            this.empty[p] = wasEmpty;
          }
          return;
        }
        case 6: {
          // FNSAVE
          const size = this.storeEnv(addr);
          for (let i = 0; i < 8; i++) {
            const a = addr + size + 10 * i;
            const p = this.phys(i);
            h.writeLinear32(a, this.sig32[2 * p]);
            h.writeLinear32(a + 4, this.sig32[2 * p + 1]);
            h.writeLinear16(a + 8, this.se[p]);
          }
          this.fninit();
          return;
        }
        case 7:
          h.writeLinear16(addr, this.statusWord());
          return;
      }
    }
    h.raiseException(EXC_UD);
  }

  /** Writes the FSTENV image; returns its size (14 or 28). */
  private storeEnv(addr: number): number {
    const h = this.host;
    const tw = this.tagWord();
    const sw = this.statusWord();
    if (h.operandSize32) {
      h.writeLinear32(addr, 0xffff0000 | this.cw);
      h.writeLinear32(addr + 4, 0xffff0000 | sw);
      h.writeLinear32(addr + 8, 0xffff0000 | tw);
      if (h.protectedMode) {
        h.writeLinear32(addr + 12, this.fip);
        h.writeLinear32(addr + 16, (this.fcs & 0xffff) | ((this.fop & 0x7ff) << 16));
        h.writeLinear32(addr + 20, this.fdp);
        h.writeLinear32(addr + 24, 0xffff0000 | (this.fds & 0xffff));
      } else {
        const ip = (this.fcs * 16 + this.fip) >>> 0;
        const dp = (this.fds * 16 + this.fdp) >>> 0;
        h.writeLinear32(addr + 12, 0xffff0000 | (ip & 0xffff));
        h.writeLinear32(addr + 16, (((ip >>> 16) & 0xffff) << 12) | (this.fop & 0x7ff));
        h.writeLinear32(addr + 20, 0xffff0000 | (dp & 0xffff));
        h.writeLinear32(addr + 24, ((dp >>> 16) & 0xffff) << 12);
      }
      return 28;
    }
    h.writeLinear16(addr, this.cw);
    h.writeLinear16(addr + 2, sw);
    h.writeLinear16(addr + 4, tw);
    if (h.protectedMode) {
      h.writeLinear16(addr + 6, this.fip & 0xffff);
      h.writeLinear16(addr + 8, this.fcs & 0xffff);
      h.writeLinear16(addr + 10, this.fdp & 0xffff);
      h.writeLinear16(addr + 12, this.fds & 0xffff);
    } else {
      const ip = (this.fcs * 16 + this.fip) >>> 0;
      const dp = (this.fds * 16 + this.fdp) >>> 0;
      h.writeLinear16(addr + 6, ip & 0xffff);
      h.writeLinear16(addr + 8, (((ip >>> 16) & 0xf) << 12) | (this.fop & 0x7ff));
      h.writeLinear16(addr + 10, dp & 0xffff);
      h.writeLinear16(addr + 12, ((dp >>> 16) & 0xf) << 12);
    }
    return 14;
  }

  /** Reads an FLDENV image; returns its size. */
  private loadEnv(addr: number): number {
    const h = this.host;
    let cw: number, sw: number, tw: number, size: number;
    if (h.operandSize32) {
      cw = h.readLinear16(addr);
      sw = h.readLinear16(addr + 4);
      tw = h.readLinear16(addr + 8);
      if (h.protectedMode) {
        this.fip = h.readLinear32(addr + 12) >>> 0;
        const w = h.readLinear32(addr + 16) >>> 0;
        this.fcs = w & 0xffff;
        this.fop = (w >>> 16) & 0x7ff;
        this.fdp = h.readLinear32(addr + 20) >>> 0;
        this.fds = h.readLinear16(addr + 24);
      } else {
        const w = h.readLinear32(addr + 16) >>> 0;
        this.fcs = 0;
        this.fip = (h.readLinear16(addr + 12) | (((w >>> 12) & 0xffff) << 16)) >>> 0;
        this.fop = w & 0x7ff;
        this.fds = 0;
        this.fdp = (h.readLinear16(addr + 20) | (((h.readLinear32(addr + 24) >>> 12) & 0xffff) << 16)) >>> 0;
      }
      size = 28;
    } else {
      cw = h.readLinear16(addr);
      sw = h.readLinear16(addr + 2);
      tw = h.readLinear16(addr + 4);
      if (h.protectedMode) {
        this.fip = h.readLinear16(addr + 6);
        this.fcs = h.readLinear16(addr + 8);
        this.fdp = h.readLinear16(addr + 10);
        this.fds = h.readLinear16(addr + 12);
      } else {
        const w = h.readLinear16(addr + 8);
        this.fcs = 0;
        this.fip = h.readLinear16(addr + 6) | ((w >>> 12) << 16);
        this.fop = w & 0x7ff;
        this.fds = 0;
        this.fdp = h.readLinear16(addr + 10) | ((h.readLinear16(addr + 12) >>> 12) << 16);
      }
      size = 14;
    }
    this.cw = (cw & 0x1f3f) | 0x40;
    this.top = (sw >> 11) & 7;
    this.sw = sw & ~0x3800;
    for (let p = 0; p < 8; p++) this.empty[p] = ((tw >> (2 * p)) & 3) === 3 ? 1 : 0;
    this.recomputeEs();
    return size;
  }

  // ---- FXSAVE/FXRSTOR x87 part (bytes 0-23 and 32-159) -------------------------------------------

  /** Abridged tag byte: bit p set when physical register p is not empty. */
  abridgedTag(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) if (!this.empty[p]) t |= 1 << p;
    return t;
  }

  fxsaveX87(addr: number): void {
    const h = this.host;
    h.writeLinear16(addr, this.cw);
    h.writeLinear16(addr + 2, this.statusWord());
    h.writeLinear8(addr + 4, this.abridgedTag());
    h.writeLinear8(addr + 5, 0);
    h.writeLinear16(addr + 6, this.fop & 0x7ff);
    h.writeLinear32(addr + 8, this.fip);
    h.writeLinear16(addr + 12, this.fcs & 0xffff);
    h.writeLinear16(addr + 14, 0);
    h.writeLinear32(addr + 16, this.fdp);
    h.writeLinear16(addr + 20, this.fds & 0xffff);
    h.writeLinear16(addr + 22, 0);
    for (let i = 0; i < 8; i++) {
      const a = addr + 32 + 16 * i;
      const p = this.phys(i);
      h.writeLinear32(a, this.sig32[2 * p]);
      h.writeLinear32(a + 4, this.sig32[2 * p + 1]);
      h.writeLinear16(a + 8, this.se[p]);
      h.writeLinear16(a + 10, 0);
      h.writeLinear32(a + 12, 0);
    }
  }

  fxrstorX87(addr: number): void {
    const h = this.host;
    this.cw = (h.readLinear16(addr) & 0x1f3f) | 0x40;
    const sw = h.readLinear16(addr + 2);
    this.top = (sw >> 11) & 7;
    this.sw = sw & ~0x3800;
    const tag = h.readLinear8(addr + 4);
    this.fop = h.readLinear16(addr + 6) & 0x7ff;
    this.fip = h.readLinear32(addr + 8) >>> 0;
    this.fcs = h.readLinear16(addr + 12);
    this.fdp = h.readLinear32(addr + 16) >>> 0;
    this.fds = h.readLinear16(addr + 20);
    for (let i = 0; i < 8; i++) {
      const a = addr + 32 + 16 * i;
      const p = this.phys(i);
      const lo = h.readLinear32(a) >>> 0;
      const hi = h.readLinear32(a + 4) >>> 0;
      this.se[p] = h.readLinear16(a + 8);
      this.sig32[2 * p] = lo;
      this.sig32[2 * p + 1] = hi;
    }
    for (let p = 0; p < 8; p++) this.empty[p] = (tag >> p) & 1 ? 0 : 1;
    this.recomputeEs();
  }

  // ---- MMX support ------------------------------------------------------------------------------

  /** Every MMX instruction: TOP = 0 and all registers valid. */
  enterMmx(): void {
    this.top = 0;
    this.empty.fill(0);
  }

  /** MMX register write: exponent field all ones. */
  markMmxWritten(p: number): void {
    this.se[p] = 0xffff;
  }

  emms(): void {
    this.empty.fill(1);
  }

  // ---- State -------------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<X87>("x87", 1, {
    cw: u16(),
    sw: u16(),
    top: range(0, 7),
    se: typed(Uint16Array, 8),
    significands: typed(Uint32Array, 16, { get: (x: X87) => x.sig32, set: (x: X87, v: Uint32Array) => x.sig32.set(v) }),
    empty: typed(Uint8Array, 8),
    fip: u32(),
    fcs: u16(),
    fop: range(0, 0x7ff),
    fdp: u32(),
    fds: u16(),
    ferrSignaled: bool(),
  }, {
    rule: (f) => ((f.empty as Uint8Array).some((e) => e > 1) ? `field "empty" has a value other than 0/1` : null),
  });

  saveState(): SavedState {
    return X87.STATE.save(this);
  }

  checkState(state: SavedState): void {
    X87.STATE.check(state);
  }

  loadState(state: SavedState): void {
    X87.STATE.load(this, state);
    this.sw &= ~0x3800;
  }
}

/** Comparison of two ordered (non-NaN, supported) values: 0 <, 1 =, 2 >. */
function compareOrdered(aSe: number, aHi: number, aLo: number, ka: K, bSe: number, bHi: number, bLo: number, kb: K): number {
  const ga = ka === K.Zero ? 0 : aSe & 0x8000 ? -1 : 1;
  const gb = kb === K.Zero ? 0 : bSe & 0x8000 ? -1 : 1;
  if (ga !== gb) return ga < gb ? 0 : 2;
  if (ga === 0) return 1;
  // Same sign: compare magnitudes by (exponent, treating 0 as 1 for denormals), then significand.
  const ea = aSe & 0x7fff || 1;
  const eb = bSe & 0x7fff || 1;
  let mag: number;
  if (ea !== eb) mag = ea < eb ? -1 : 1;
  else if (aHi !== bHi) mag = aHi < bHi ? -1 : 1;
  else mag = aLo === bLo ? 0 : aLo < bLo ? -1 : 1;
  if (ga < 0) mag = -mag;
  return mag < 0 ? 0 : mag === 0 ? 1 : 2;
}

/** FNSTENV, FNSAVE, FNSTCW, FNSTSW m16: no pending-exception check. */
function isNonWaitingMem(opcode: number, reg: number): boolean {
  return (opcode === 0xd9 && (reg === 6 || reg === 7)) || (opcode === 0xdd && (reg === 6 || reg === 7));
}

/** FLDENV, FLDCW, FRSTOR: waiting, but do not update the last-instruction pointers. */
function isControlMem(opcode: number, reg: number): boolean {
  return (opcode === 0xd9 && (reg === 4 || reg === 5)) || (opcode === 0xdd && reg === 4);
}
