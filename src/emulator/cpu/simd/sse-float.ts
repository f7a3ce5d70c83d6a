// Scalar IEEE single/double arithmetic with SSE semantics: MXCSR rounding, DAZ/FTZ, exception
// flags, x86 NaN rules (first NaN operand wins, quieted; invalid gives the negative default NaN).
//
// Fast path: round-to-nearest with normal operands and a normal result uses host doubles (correctly
// rounded: double rounding is innocuous for +, -, ×, ÷, √ from double to single), and decides
// inexactness with error-free transformations. Everything else goes through the exact BigInt core.

import {
  ExactOps,
  FLAG_DE,
  FLAG_IE,
  FLAG_PE,
  FLAG_ZE,
  FMT_F32,
  FMT_F64,
  RC_NEAREST,
  RC_ZERO,
  Rounder,
} from "../fpu/softfloat.ts";

export const MXCSR_DAZ = 1 << 6;
export const MXCSR_FTZ = 1 << 15;
export const MXCSR_UM = 1 << 11;

/** Operations: OP_ADD.. for binary, OP_SQRT unary. */
export const OP_ADD = 0;
export const OP_SUB = 1;
export const OP_MUL = 2;
export const OP_DIV = 3;
export const OP_SQRT = 4;

const F32_DEFAULT_NAN = 0xffc00000;
const F64_DEFAULT_NAN_HI = 0xfff80000;

// Lane classes.
const ZERO = 0;
const NORMAL = 1;
const DENORMAL = 2;
const INF = 3;
const QNAN = 4;
const SNAN = 5;

const SPLIT = 134217729; // 2^27 + 1, Veltkamp splitting for exact double products

/** The product a×b as hi + lo exactly (no over/underflow assumed). Result in prodLo; returns hi. */
let prodLo = 0;
function twoProduct(a: number, b: number): number {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  prodLo = al * bl - (((p - ah * bh) - al * bh) - ah * bl);
  return p;
}

function classifyF32(bits: number): number {
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0) return frac === 0 ? ZERO : DENORMAL;
  if (exp === 0xff) return frac === 0 ? INF : frac & 0x400000 ? QNAN : SNAN;
  return NORMAL;
}

function classifyF64(lo: number, hi: number): number {
  const exp = (hi >>> 20) & 0x7ff;
  const fracZero = (hi & 0xfffff) === 0 && lo === 0;
  if (exp === 0) return fracZero ? ZERO : DENORMAL;
  if (exp === 0x7ff) return fracZero ? INF : hi & 0x80000 ? QNAN : SNAN;
  return NORMAL;
}

/** Scalar SSE math. Results are left in r32 (single bits) or rLo/rHi (double bits); exception flags
 *  accumulate in `flags` until the caller takes them. */
export class SseFloat {
  mxcsr = 0x1f80;
  flags = 0;
  r32 = 0;
  rLo = 0;
  rHi = 0;

  private readonly rnd = new Rounder();
  private readonly ops = new ExactOps();
  private readonly f32 = new Float32Array(1);
  private readonly u32of32 = new Uint32Array(this.f32.buffer);
  private readonly f64 = new Float64Array(1);
  private readonly u32of64 = new Uint32Array(this.f64.buffer);

  // ---- bit <-> number helpers ---------------------------------------------------------------------

  numF32(bits: number): number {
    this.u32of32[0] = bits;
    return this.f32[0];
  }
  bitsF32(x: number): number {
    this.f32[0] = x;
    return this.u32of32[0];
  }
  numF64(lo: number, hi: number): number {
    this.u32of64[0] = lo;
    this.u32of64[1] = hi;
    return this.f64[0];
  }
  private setF64(x: number): void {
    this.f64[0] = x;
    this.rLo = this.u32of64[0];
    this.rHi = this.u32of64[1];
  }

  private get daz(): boolean {
    return (this.mxcsr & MXCSR_DAZ) !== 0;
  }

  /** Prepares the exact rounder for an SSE result. */
  private rounder(): Rounder {
    const r = this.rnd;
    r.rc = (this.mxcsr >> 13) & 3;
    r.flags = 0;
    r.underflowUnmasked = (this.mxcsr & MXCSR_UM) === 0;
    r.flushToZero = (this.mxcsr & MXCSR_FTZ) !== 0;
    r.wrapOverflow = false;
    r.wrapUnderflow = false;
    return r;
  }

  // ---- single precision ---------------------------------------------------------------------------

  /** a op b (or sqrt(b) for OP_SQRT, the source operand) in single precision. */
  opF32(op: number, a: number, b: number): void {
    let ka = op === OP_SQRT ? NORMAL : classifyF32(a);
    let kb = classifyF32(b);
    const rn = ((this.mxcsr >> 13) & 3) === RC_NEAREST;
    if (ka === NORMAL && kb === NORMAL && rn) {
      // Fast path.
      const x = this.numF32(a);
      const y = this.numF32(b);
      let r: number;
      let exact: boolean;
      switch (op) {
        case OP_ADD:
        case OP_SUB: {
          const yy = op === OP_ADD ? y : -y;
          const s = x + yy;
          const bb = s - x;
          const err = x - (s - bb) + (yy - bb);
          r = Math.fround(s);
          exact = err === 0 && r === s;
          break;
        }
        case OP_MUL: {
          const p = x * y;
          r = Math.fround(p);
          exact = r === p;
          break;
        }
        case OP_DIV:
          r = Math.fround(x / y);
          exact = r * y === x;
          break;
        default:
          if (y < 0) {
            r = NaN;
            exact = false;
            break;
          }
          r = Math.fround(Math.sqrt(y));
          exact = r * r === y;
      }
      const m = Math.abs(r);
      if (m >= 2.350988701644575e-38 && m <= 3.4028234663852886e38) {
        this.r32 = this.bitsF32(r);
        if (!exact) this.flags |= FLAG_PE;
        return;
      }
    }
    // Slow path: specials and exact rounding.
    const daz = this.daz;
    if (daz) {
      if (ka === DENORMAL) {
        a &= 0x80000000;
        ka = ZERO;
      }
      if (kb === DENORMAL) {
        b &= 0x80000000;
        kb = ZERO;
      }
    }
    if (op === OP_SQRT) {
      if (kb >= QNAN) {
        if (kb === SNAN) this.flags |= FLAG_IE;
        this.r32 = b | 0x400000;
        return;
      }
      if (kb === ZERO) {
        this.r32 = b;
        return;
      }
      if (b >>> 31) {
        this.flags |= FLAG_IE;
        this.r32 = F32_DEFAULT_NAN;
        return;
      }
      if (kb === DENORMAL) this.flags |= FLAG_DE;
      if (kb === INF) {
        this.r32 = b;
        return;
      }
      const mb = BigInt(kb === DENORMAL ? b & 0x7fffff : (b & 0x7fffff) | 0x800000);
      const eb = (((b >>> 23) & 0xff) || 1) - 150;
      this.ops.sqrt(mb, eb, 24);
      this.round32();
      return;
    }
    if (ka >= QNAN || kb >= QNAN) {
      if (ka === SNAN || kb === SNAN) this.flags |= FLAG_IE;
      this.r32 = (ka >= QNAN ? a : b) | 0x400000;
      return;
    }
    const sa = a >>> 31;
    let sb = b >>> 31;
    if (op === OP_SUB) sb ^= 1;
    if (this.invalidOrInfinite(op, ka, kb, sa, sb)) {
      if (this.special === 1) this.r32 = F32_DEFAULT_NAN;
      else this.r32 = (this.specialSign << 31) | (this.special === 2 ? 0x7f800000 : 0);
      return;
    }
    const ma = BigInt(ka === DENORMAL ? a & 0x7fffff : ka === ZERO ? 0 : (a & 0x7fffff) | 0x800000);
    const mb = BigInt(kb === DENORMAL ? b & 0x7fffff : kb === ZERO ? 0 : (b & 0x7fffff) | 0x800000);
    const ea = (((a >>> 23) & 0xff) || 1) - 150;
    const eb = (((b >>> 23) & 0xff) || 1) - 150;
    this.exact(op, sa, ma, ea, sb, mb, eb, 24);
    this.round32();
  }

  private round32(): void {
    const x = this.ops;
    if (x.rM === 0n) {
      this.r32 = x.rSign << 31;
      return;
    }
    const r = this.rounder();
    r.round(FMT_F32, x.rSign, x.rM, x.rE, x.rSticky);
    this.flags |= r.flags;
    this.r32 = ((r.outSign << 31) | (r.outExp << 23) | Number(r.outSig & 0x7fffffn)) >>> 0;
  }

  // ---- double precision ---------------------------------------------------------------------------

  opF64(op: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
    let ka = op === OP_SQRT ? NORMAL : classifyF64(aLo, aHi);
    let kb = classifyF64(bLo, bHi);
    const rn = ((this.mxcsr >> 13) & 3) === RC_NEAREST;
    if (ka === NORMAL && kb === NORMAL && rn) {
      const x = this.numF64(aLo, aHi);
      const y = this.numF64(bLo, bHi);
      let r = NaN;
      let exact = false;
      let ok = true;
      const ax = Math.abs(x);
      const ay = Math.abs(y);
      switch (op) {
        case OP_ADD:
        case OP_SUB: {
          const yy = op === OP_ADD ? y : -y;
          r = x + yy;
          const bb = r - x;
          exact = x - (r - bb) + (yy - bb) === 0;
          break;
        }
        case OP_MUL:
          ok = ax < 1e150 && ay < 1e150 && ax > 1e-140 && ay > 1e-140;
          if (ok) {
            r = twoProduct(x, y);
            exact = prodLo === 0;
          }
          break;
        case OP_DIV:
          ok = ax < 1e150 && ay < 1e150 && ax > 1e-140 && ay > 1e-140;
          if (ok) {
            r = x / y;
            const ph = twoProduct(r, y);
            exact = ph === x && prodLo === 0;
          }
          break;
        default:
          ok = y > 1e-280 && y < 1e300;
          if (ok) {
            r = Math.sqrt(y);
            const ph = twoProduct(r, r);
            exact = ph === y && prodLo === 0;
          }
      }
      const m = Math.abs(r);
      if (ok && m >= 4.450147717014403e-308 && m <= 1.7976931348623157e308) {
        this.setF64(r);
        if (!exact) this.flags |= FLAG_PE;
        return;
      }
    }
    if (this.daz) {
      if (ka === DENORMAL) {
        aHi &= 0x80000000;
        aLo = 0;
        ka = ZERO;
      }
      if (kb === DENORMAL) {
        bHi &= 0x80000000;
        bLo = 0;
        kb = ZERO;
      }
    }
    if (op === OP_SQRT) {
      this.rLo = bLo;
      this.rHi = bHi;
      if (kb >= QNAN) {
        if (kb === SNAN) this.flags |= FLAG_IE;
        this.rHi = bHi | 0x80000;
        return;
      }
      if (kb === ZERO) return;
      if (bHi >>> 31) {
        this.flags |= FLAG_IE;
        this.rLo = 0;
        this.rHi = F64_DEFAULT_NAN_HI;
        return;
      }
      if (kb === DENORMAL) this.flags |= FLAG_DE;
      if (kb === INF) return;
      this.ops.sqrt(mantissa64(bLo, bHi, kb), (((bHi >>> 20) & 0x7ff) || 1) - 1075, 53);
      this.round64();
      return;
    }
    if (ka >= QNAN || kb >= QNAN) {
      if (ka === SNAN || kb === SNAN) this.flags |= FLAG_IE;
      if (ka >= QNAN) {
        this.rLo = aLo;
        this.rHi = aHi | 0x80000;
      } else {
        this.rLo = bLo;
        this.rHi = bHi | 0x80000;
      }
      return;
    }
    const sa = aHi >>> 31;
    let sb = bHi >>> 31;
    if (op === OP_SUB) sb ^= 1;
    if (this.invalidOrInfinite(op, ka, kb, sa, sb)) {
      this.rLo = 0;
      if (this.special === 1) this.rHi = F64_DEFAULT_NAN_HI;
      else this.rHi = ((this.specialSign << 31) | (this.special === 2 ? 0x7ff00000 : 0)) >>> 0;
      return;
    }
    this.exact(
      op,
      sa,
      mantissa64(aLo, aHi, ka),
      (((aHi >>> 20) & 0x7ff) || 1) - 1075,
      sb,
      mantissa64(bLo, bHi, kb),
      (((bHi >>> 20) & 0x7ff) || 1) - 1075,
      53,
    );
    this.round64();
  }

  private round64(): void {
    const x = this.ops;
    if (x.rM === 0n) {
      this.rLo = 0;
      this.rHi = (x.rSign << 31) >>> 0;
      return;
    }
    const r = this.rounder();
    r.round(FMT_F64, x.rSign, x.rM, x.rE, x.rSticky);
    this.flags |= r.flags;
    this.rLo = Number(r.outSig & 0xffffffffn);
    this.rHi = ((r.outSign << 31) | (r.outExp << 20) | Number((r.outSig >> 32n) & 0xfffffn)) >>> 0;
  }

  // ---- shared special-case logic -----------------------------------------------------------------

  /** 0 = finite computation needed, 1 = invalid (default NaN), 2 = infinity, 3 = zero. */
  private special = 0;
  private specialSign = 0;

  /** Handles invalid operations, infinities, zero divisors and the DE flag. Returns true when the
   *  result is decided (see `special`). sb is already flipped for subtraction. */
  private invalidOrInfinite(op: number, ka: number, kb: number, sa: number, sb: number): boolean {
    this.special = 0;
    if (op <= OP_SUB) {
      if (ka === INF && kb === INF && sa !== sb) return this.invalid();
    } else if (op === OP_MUL) {
      if ((ka === INF && kb === ZERO) || (ka === ZERO && kb === INF)) return this.invalid();
    } else if ((ka === INF && kb === INF) || (ka === ZERO && kb === ZERO)) return this.invalid();
    // Finite / zero: ZE only (hardware does not also flag DE for a denormal dividend).
    if (op === OP_DIV && kb === ZERO && ka !== INF) {
      this.flags |= FLAG_ZE;
      return this.decided(2, sa ^ sb);
    }
    if (ka === DENORMAL || kb === DENORMAL) this.flags |= FLAG_DE;
    if (op <= OP_SUB) {
      if (ka === INF) return this.decided(2, sa);
      if (kb === INF) return this.decided(2, sb);
    } else if (op === OP_MUL) {
      if (ka === INF || kb === INF) return this.decided(2, sa ^ sb);
    } else {
      if (ka === INF) return this.decided(2, sa ^ sb);
      if (kb === INF) return this.decided(3, sa ^ sb);
    }
    return false;
  }

  private invalid(): boolean {
    this.flags |= FLAG_IE;
    this.special = 1;
    return true;
  }

  private decided(kind: number, sign: number): boolean {
    this.special = kind;
    this.specialSign = sign;
    return true;
  }

  private exact(op: number, sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, p: number): void {
    const x = this.ops;
    if (op <= OP_SUB) x.add(sa, ma, ea, sb, mb, eb, (this.mxcsr >> 13) & 3);
    else if (op === OP_MUL) x.mul(sa, ma, ea, sb, mb, eb);
    else x.div(sa, ma, ea, sb, mb, eb, p);
  }

  // ---- compare, min/max ----------------------------------------------------------------------------

  /** Compares two singles: 0 less, 1 equal, 2 greater, 3 unordered. `signalQNaN`: QNaNs raise IE. */
  compareF32(a: number, b: number, signalQNaN: boolean): number {
    const ka = classifyF32(a);
    const kb = classifyF32(b);
    if (ka >= QNAN || kb >= QNAN) {
      if (ka === SNAN || kb === SNAN || signalQNaN) this.flags |= FLAG_IE;
      return 3;
    }
    if ((ka === DENORMAL || kb === DENORMAL) && !this.daz) this.flags |= FLAG_DE;
    const x = ka === DENORMAL && this.daz ? 0 : this.numF32(a);
    const y = kb === DENORMAL && this.daz ? 0 : this.numF32(b);
    return x < y ? 0 : x === y ? 1 : 2;
  }

  compareF64(aLo: number, aHi: number, bLo: number, bHi: number, signalQNaN: boolean): number {
    const ka = classifyF64(aLo, aHi);
    const kb = classifyF64(bLo, bHi);
    if (ka >= QNAN || kb >= QNAN) {
      if (ka === SNAN || kb === SNAN || signalQNaN) this.flags |= FLAG_IE;
      return 3;
    }
    if ((ka === DENORMAL || kb === DENORMAL) && !this.daz) this.flags |= FLAG_DE;
    const x = ka === DENORMAL && this.daz ? 0 : this.numF64(aLo, aHi);
    const y = kb === DENORMAL && this.daz ? 0 : this.numF64(bLo, bHi);
    return x < y ? 0 : x === y ? 1 : 2;
  }

  /** CMPPS/CMPSS predicate 0-7 on a compare result. */
  static predicate(pred: number, c: number): boolean {
    switch (pred & 7) {
      case 0:
        return c === 1;
      case 1:
        return c === 0;
      case 2:
        return c <= 1;
      case 3:
        return c === 3;
      case 4:
        return c !== 1;
      case 5:
        return c !== 0;
      case 6:
        return c > 1;
      default:
        return c !== 3;
    }
  }

  /** Predicates LT, LE, NLT, NLE signal on QNaN; EQ, UNORD, NEQ, ORD only on SNaN. */
  static predicateSignals(pred: number): boolean {
    const p = pred & 3;
    return p === 1 || p === 2;
  }

  /** MINSS/MAXSS: the second operand when either is NaN (IE) or both are zero. Returns true to pick a. */
  minMaxPicksA(c: number, isMax: boolean): boolean {
    // c from compareF32/64 with signalQNaN = true.
    if (c === 3) return false;
    return isMax ? c === 2 : c === 0;
  }

  // ---- conversions ---------------------------------------------------------------------------------

  /** Integer (as an exact JS number, |v| < 2^53 or an int64 given as BigInt-free double) to single bits. */
  int32ToF32(v: number): number {
    const r = Math.fround(v);
    if (r === v) return this.bitsF32(r);
    if (((this.mxcsr >> 13) & 3) === RC_NEAREST) {
      this.flags |= FLAG_PE;
      return this.bitsF32(r);
    }
    const sign = v < 0 ? 1 : 0;
    const rr = this.rounder();
    rr.round(FMT_F32, sign, BigInt(Math.abs(v)), 0, false);
    this.flags |= rr.flags;
    return ((rr.outSign << 31) | (rr.outExp << 23) | Number(rr.outSig & 0x7fffffn)) >>> 0;
  }

  /** Single bits to double bits (exact; SNaN quieted with IE; denormal → DE or DAZ zero). */
  f32ToF64(a: number): void {
    const k = classifyF32(a);
    if (k >= QNAN) {
      if (k === SNAN) this.flags |= FLAG_IE;
      const frac = a & 0x7fffff;
      this.rHi = ((a & 0x80000000) | 0x7ff80000 | (frac >>> 3)) >>> 0;
      this.rLo = (frac << 29) >>> 0;
      return;
    }
    if (k === DENORMAL) {
      if (this.daz) {
        this.rLo = 0;
        this.rHi = a & 0x80000000;
        return;
      }
      this.flags |= FLAG_DE;
    }
    this.setF64(this.numF32(a));
  }

  /** Double bits to single bits, rounded per MXCSR. */
  f64ToF32(lo: number, hi: number): number {
    let k = classifyF64(lo, hi);
    if (k >= QNAN) {
      if (k === SNAN) this.flags |= FLAG_IE;
      return ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29)) >>> 0;
    }
    if (k === DENORMAL && this.daz) k = ZERO;
    if (k === ZERO) return hi & 0x80000000;
    if (k === INF) return ((hi & 0x80000000) | 0x7f800000) >>> 0;
    if (k === DENORMAL) this.flags |= FLAG_DE;
    const x = this.numF64(lo, hi);
    if (k === NORMAL && ((this.mxcsr >> 13) & 3) === RC_NEAREST) {
      const r = Math.fround(x);
      const m = Math.abs(r);
      if (m >= 2.350988701644575e-38 && m <= 3.4028234663852886e38) {
        if (r !== x) this.flags |= FLAG_PE;
        return this.bitsF32(r);
      }
    }
    const rr = this.rounder();
    rr.round(FMT_F32, hi >>> 31, mantissa64(lo, hi, k), (((hi >>> 20) & 0x7ff) || 1) - 1075, false);
    this.flags |= rr.flags;
    return ((rr.outSign << 31) | (rr.outExp << 23) | Number(rr.outSig & 0x7fffffn)) >>> 0;
  }

  /** Float value (single bits, or double lo/hi when isDouble) to int32 with rounding per MXCSR or
   *  truncation; NaN/out of range → 0x80000000 with IE. */
  toInt32(lo: number, hi: number, isDouble: boolean, truncate: boolean): number {
    const k = isDouble ? classifyF64(lo, hi) : classifyF32(lo);
    if (k >= INF) {
      this.flags |= FLAG_IE;
      return 0x80000000;
    }
    if (k === ZERO || (k === DENORMAL && this.daz)) return 0;
    // A denormal source converts to 0 with PE only (no DE, measured on hardware).
    const x = isDouble ? this.numF64(lo, hi) : this.numF32(lo);
    const rc = truncate ? RC_ZERO : (this.mxcsr >> 13) & 3;
    let v: number;
    if (Math.abs(x) < 4503599627370496) {
      switch (rc) {
        case RC_NEAREST:
          v = Math.round(x);
          if (v - x === 0.5 && v % 2 !== 0) v -= 1; // ties to even (Math.round rounds ties up)
          break;
        case 1:
          v = Math.floor(x);
          break;
        case 2:
          v = Math.ceil(x);
          break;
        default:
          v = Math.trunc(x);
      }
    } else v = x; // already an integer, and out of int32 range
    if (v >= 2147483648 || v < -2147483648) {
      this.flags |= FLAG_IE;
      return 0x80000000;
    }
    if (v !== x) this.flags |= FLAG_PE;
    return v | 0;
  }

}

function mantissa64(lo: number, hi: number, k: number): bigint {
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
  return k === DENORMAL || k === ZERO ? frac : frac | 0x10000000000000n;
}

export { classifyF32, classifyF64, ZERO, NORMAL, DENORMAL, INF, QNAN, SNAN, F32_DEFAULT_NAN, F64_DEFAULT_NAN_HI };
