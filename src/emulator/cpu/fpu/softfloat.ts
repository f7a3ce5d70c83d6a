// Exact binary floating-point arithmetic on BigInt significands, rounded once into a target format
// (x87 extended at 24/53/64-bit precision, IEEE double, IEEE single) under a rounding mode, with the
// IEEE/x86 exception flags. Shared by the x87 unit and the SSE/SSE2 slow paths.
//
// A finite value is handled as (-1)^sign × m × 2^e with m a non-negative BigInt. Operations compute
// the exact result (or the exact result truncated plus a "sticky" bit saying something non-zero was
// cut off below), then `round` delivers it. x86 detects tininess after rounding.

export const FLAG_IE = 0x01;
export const FLAG_DE = 0x02;
export const FLAG_ZE = 0x04;
export const FLAG_OE = 0x08;
export const FLAG_UE = 0x10;
export const FLAG_PE = 0x20;

export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/** A binary format: precision p (significand bits including the integer bit), exponent bias and the
 *  unbiased exponent range of normal numbers. */
export interface FloatFormat {
  readonly p: number;
  readonly bias: number;
  readonly emin: number;
  readonly emax: number;
}

export const FMT_EXT64: FloatFormat = { p: 64, bias: 16383, emin: -16382, emax: 16383 };
export const FMT_EXT53: FloatFormat = { p: 53, bias: 16383, emin: -16382, emax: 16383 };
export const FMT_EXT24: FloatFormat = { p: 24, bias: 16383, emin: -16382, emax: 16383 };
export const FMT_F64: FloatFormat = { p: 53, bias: 1023, emin: -1022, emax: 1023 };
export const FMT_F32: FloatFormat = { p: 24, bias: 127, emin: -126, emax: 127 };

/** x87 bias adjustment applied to results of unmasked overflow/underflow with a register destination. */
export const X87_WRAP_BIAS = 24576;

const MASK32 = 0xffffffffn;

/** Number of significant bits of a non-negative BigInt (0 for 0). */
export function bitLength(m: bigint): number {
  let n = 0;
  while (m >= 0x10000000000000000n) {
    m >>= 64n;
    n += 64;
  }
  const hi = Number(m >> 32n);
  if (hi !== 0) return n + 64 - Math.clz32(hi);
  const lo = Number(m & MASK32);
  return lo === 0 ? n : n + 32 - Math.clz32(lo);
}

/** Integer square root (floor) of a non-negative BigInt. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Start above the root (a double estimate widened by 2^-40, or a power of two beyond doubles'
  // range), then Newton's iteration decreases monotonically to floor(sqrt(n)).
  const bits = bitLength(n);
  let x: bigint;
  if (bits <= 1000) {
    const shift = bits > 104 ? (bits - 104) & ~1 : 0;
    const est = Math.sqrt(Number(n >> BigInt(shift))) * (1 + 2 ** -40) + 1;
    x = BigInt(Math.ceil(est)) << BigInt(shift >> 1);
    x += (x >> 40n) + 1n;
  } else x = 1n << BigInt((bits >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Rounds exact values into a format and records what happened. One instance per unit; not
 *  re-entrant. Results are left in out* fields. */
export class Rounder {
  rc = RC_NEAREST;
  /** Exceptions raised so far by the current operation (the caller clears it). */
  flags = 0;
  /** The last rounding increased the magnitude (x87 C1). */
  roundedUp = false;
  /** Inexact from the last roundBits call. */
  inexact = false;
  /** Underflow exception is unmasked: tiny results flag UE even when exact. */
  underflowUnmasked = false;
  /** x87 register destination with unmasked OE/UE: deliver the result scaled by 2^∓24576. */
  wrapOverflow = false;
  wrapUnderflow = false;
  /** SSE MXCSR.FTZ with UE masked: tiny results become signed zero. */
  flushToZero = false;

  outSign = 0;
  /** Biased exponent of the result (0 for zero/denormal, all-ones for infinity). */
  outExp = 0;
  /** Significand as an integer including the integer bit: p bits for normals, fewer for denormals,
   *  0 for zero, 2^(p-1) for infinity. */
  outSig = 0n;

  /** Rounds m (with sticky meaning "plus something in (0, 1)") shifted right by `shift` to an
   *  integer per the rounding mode. */
  roundBits(m: bigint, shift: number, sticky: boolean, sign: number): bigint {
    let q: bigint;
    let where: number; // 0 exact, 1 below half, 2 exactly half, 3 above half
    if (shift <= 0) {
      q = shift === 0 ? m : m << BigInt(-shift);
      where = sticky ? 1 : 0;
    } else {
      const sh = BigInt(shift);
      q = m >> sh;
      const rem = m & ((1n << sh) - 1n);
      const half = 1n << (sh - 1n);
      if (rem === 0n) where = sticky ? 1 : 0;
      else if (rem < half) where = 1;
      else if (rem === half) where = sticky ? 3 : 2;
      else where = 3;
    }
    this.inexact = where !== 0;
    let up = false;
    if (where !== 0) {
      switch (this.rc) {
        case RC_NEAREST:
          up = where === 3 || (where === 2 && (q & 1n) === 1n);
          break;
        case RC_DOWN:
          up = sign === 1;
          break;
        case RC_UP:
          up = sign === 0;
          break;
        default:
          up = false;
      }
    }
    this.roundedUp = up;
    return up ? q + 1n : q;
  }

  /** Delivers (-1)^sign × (m + sticky·ε) × 2^e rounded into `f`. Sets out* fields and flags. */
  round(f: FloatFormat, sign: number, m: bigint, e: number, sticky: boolean): void {
    this.outSign = sign;
    this.roundedUp = false;
    this.inexact = false;
    if (m === 0n) {
      // Callers pass sticky only with a non-zero m; an exact zero stays zero.
      this.outExp = 0;
      this.outSig = 0n;
      return;
    }
    const p = f.p;
    const E = e + bitLength(m) - 1; // value in [2^E, 2^(E+1))
    let tiny = false;
    if (E < f.emin) {
      if (E < f.emin - 1) tiny = true;
      else {
        // Tininess after rounding: would rounding to p bits with an unbounded exponent reach 2^emin?
        const saveUp = this.roundedUp;
        const q = this.roundBits(m, E - p + 1 - e, sticky, sign);
        tiny = bitLength(q) <= p;
        this.roundedUp = saveUp;
      }
    }
    // The biased delivery applies only when the scaled exponent fits; beyond that hardware gives
    // the masked response (measured with FSCALE).
    if (tiny && this.wrapUnderflow && E + X87_WRAP_BIAS >= f.emin) {
      const q = this.normalizeRounded(m, E - p + 1, e, sticky, sign, p);
      this.flags |= FLAG_UE;
      if (this.inexact) this.flags |= FLAG_PE;
      this.outExp = this.qExp + X87_WRAP_BIAS + f.bias;
      this.outSig = q;
      return;
    }
    const lsb = (E < f.emin ? f.emin : E) - p + 1;
    const q = this.normalizeRounded(m, lsb, e, sticky, sign, p);
    const inexact = this.inexact;
    if (tiny && (inexact || this.underflowUnmasked)) this.flags |= FLAG_UE;
    if (inexact) this.flags |= FLAG_PE;
    if (q === 0n) {
      this.outExp = 0;
      this.outSig = 0n;
      return;
    }
    if (tiny && this.flushToZero && !this.underflowUnmasked) {
      this.flags |= FLAG_UE | FLAG_PE;
      this.roundedUp = false;
      this.outExp = 0;
      this.outSig = 0n;
      return;
    }
    const E2 = this.qExp;
    if (E2 > f.emax) {
      this.flags |= FLAG_OE;
      if (this.wrapOverflow && E2 - X87_WRAP_BIAS <= f.emax) {
        this.outExp = E2 - X87_WRAP_BIAS + f.bias;
        this.outSig = q;
        return;
      }
      this.flags |= FLAG_PE;
      const toInf = this.rc === RC_NEAREST || (this.rc === RC_UP && sign === 0) || (this.rc === RC_DOWN && sign === 1);
      this.roundedUp = toInf;
      if (toInf) {
        this.outExp = 2 * f.bias + 1;
        this.outSig = 1n << BigInt(p - 1);
      } else {
        this.outExp = f.emax + f.bias;
        this.outSig = (1n << BigInt(p)) - 1n;
      }
      return;
    }
    this.outExp = E2 < f.emin ? 0 : E2 + f.bias;
    this.outSig = q;
  }

  /** Unbiased exponent of the last normalizeRounded result. */
  private qExp = 0;

  /** Rounds at weight 2^lsb and renormalizes a carry out of p bits. */
  private normalizeRounded(m: bigint, lsb: number, e: number, sticky: boolean, sign: number, p: number): bigint {
    let q = this.roundBits(m, lsb - e, sticky, sign);
    if (q === 0n) {
      this.qExp = 0;
      return q;
    }
    let n = bitLength(q);
    if (n > p) {
      q >>= 1n; // exactly 2^p: the dropped bit is 0
      lsb++;
      n--;
    }
    this.qExp = lsb + n - 1;
    return q;
  }
}

/** Exact operations on finite operands. Results in r* fields: (-1)^rSign × (rM + rSticky·ε) × 2^rE. */
export class ExactOps {
  rSign = 0;
  rM = 0n;
  rE = 0;
  rSticky = false;

  /** a + b, with sb already flipped by the caller for subtraction. `rc` decides the sign of an exact zero. */
  add(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, rc: number): void {
    this.rSticky = false;
    if (mb === 0n || ma === 0n) {
      if (ma === 0n && mb === 0n) {
        this.rSign = sa === sb ? sa : rc === RC_DOWN ? 1 : 0;
        this.rM = 0n;
        this.rE = 0;
        return;
      }
      if (mb === 0n) this.set(sa, ma, ea);
      else this.set(sb, mb, eb);
      return;
    }
    // Keep the larger-exponent operand in a when the other is far below: replace it by a sticky bit.
    if (ea < eb) {
      const ts = sa, tm = ma, te = ea;
      sa = sb; ma = mb; ea = eb;
      sb = ts; mb = tm; eb = te;
    }
    const ta = ea + bitLength(ma);
    const tb = eb + bitLength(mb);
    if (ta - tb > 140 || tb - ta > 140) {
      // One operand is entirely below the other's rounding position: it only contributes a sticky bit.
      let bigS = sa, bigM = ma, bigE = ea;
      if (tb > ta) {
        bigS = sb; bigM = mb; bigE = eb;
        sb = sa;
      }
      const k = 140 - bitLength(bigM) > 0 ? 140 - bitLength(bigM) : 0;
      let m = bigM << BigInt(k);
      if (sb !== bigS) m -= 1n;
      this.rSign = bigS;
      this.rM = m;
      this.rE = bigE - k;
      this.rSticky = true;
      return;
    }
    const A = ma << BigInt(ea - eb);
    if (sa === sb) {
      this.set(sa, A + mb, eb);
    } else if (A >= mb) {
      const d = A - mb;
      this.set(d === 0n ? (rc === RC_DOWN ? 1 : 0) : sa, d, eb);
    } else {
      this.set(sb, mb - A, eb);
    }
  }

  mul(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number): void {
    this.rSticky = false;
    this.set(sa ^ sb, ma * mb, ea + eb);
  }

  /** a / b with b non-zero; produces at least `bits` quotient bits plus a sticky remainder. */
  div(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, bits: number): void {
    if (ma === 0n) {
      this.rSticky = false;
      this.set(sa ^ sb, 0n, 0);
      return;
    }
    let s = bits + 2 + bitLength(mb) - bitLength(ma);
    if (s < 0) s = 0;
    const num = ma << BigInt(s);
    const q = num / mb;
    this.rSticky = q * mb !== num;
    this.set(sa ^ sb, q, ea - eb - s);
  }

  /** sqrt(a) for a >= 0; at least `bits` result bits plus sticky. */
  sqrt(ma: bigint, ea: number, bits: number): void {
    this.rSticky = false;
    if (ma === 0n) {
      this.set(0, 0n, 0);
      return;
    }
    let s = 2 * (bits + 2) - bitLength(ma);
    if (s < 0) s = 0;
    if (((ea - s) & 1) !== 0) s++;
    const n = ma << BigInt(s);
    const r = isqrt(n);
    this.rSticky = r * r !== n;
    this.set(0, r, (ea - s) / 2);
  }

  private set(sign: number, m: bigint, e: number): void {
    this.rSign = sign;
    this.rM = m;
    this.rE = e;
  }
}
