// Fast paths for the common x87 cases on 32-bit limbs (plain numbers, no BigInt, no allocation):
// add/subtract/multiply of normal extended operands with a normal result. The caller falls back to
// the exact BigInt core (softfloat.ts) whenever a method returns false; the results are identical
// (both paths are checked against hardware-measured answers).
//
// A working value is a 64-bit significand (hi:lo, integer bit = hi bit 31) with a 32-bit extension
// word `x` below it and a sticky flag for anything non-zero further down.

import { FLAG_PE, RC_DOWN, RC_NEAREST, RC_UP } from "./softfloat.ts";

const TWO32 = 4294967296;

export class FastExtended {
  // Result: sign/exponent word, significand, flags (PE only), whether rounding went up (C1).
  se = 0;
  hi = 0;
  lo = 0;
  flags = 0;
  roundedUp = false;

  // Working registers.
  private wh = 0;
  private wl = 0;
  private wx = 0;
  private st = false;

  /** a + b (sb already flipped for subtraction); operands are normal (biased exponent 1..7FFE,
   *  integer bit set). p = 24/53/64, rc = rounding control. */
  add(sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number, p: number, rc: number): boolean {
    // Order by magnitude: a is the larger.
    if (ea < eb || (ea === eb && (ahi < bhi || (ahi === bhi && alo < blo)))) {
      let t = sa;
      sa = sb;
      sb = t;
      t = ea;
      ea = eb;
      eb = t;
      t = ahi;
      ahi = bhi;
      bhi = t;
      t = alo;
      alo = blo;
      blo = t;
    }
    // b aligned to a's exponent: (bh, bl, bx) + sticky.
    let d = ea - eb;
    let bh = bhi;
    let bl = blo;
    let bx = 0;
    let st = false;
    if (d >= 96) {
      bh = 0;
      bl = 0;
      st = true;
    } else {
      while (d >= 32) {
        if (bx !== 0) st = true;
        bx = bl;
        bl = bh;
        bh = 0;
        d -= 32;
      }
      if (d > 0) {
        if ((bx << (32 - d)) !== 0) st = true;
        bx = ((bx >>> d) | (bl << (32 - d))) >>> 0;
        bl = ((bl >>> d) | (bh << (32 - d))) >>> 0;
        bh = bh >>> d;
      }
    }
    let e = ea;
    let hi: number, lo: number, x: number;
    if (sa === sb) {
      x = bx;
      lo = alo + bl;
      let c = 0;
      if (lo >= TWO32) {
        lo -= TWO32;
        c = 1;
      }
      hi = ahi + bh + c;
      if (hi >= TWO32) {
        hi -= TWO32;
        if ((x & 1) !== 0) st = true;
        x = ((x >>> 1) | ((lo & 1) << 31)) >>> 0;
        lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
        hi = (0x80000000 | (hi >>> 1)) >>> 0;
        e++;
      }
    } else {
      // a - b - (sticky ? ε : 0): subtract one more unit at the bottom and keep sticky.
      x = -bx - (st ? 1 : 0);
      let br = 0;
      if (x < 0) {
        x += TWO32;
        br = 1;
      }
      lo = alo - bl - br;
      br = 0;
      if (lo < 0) {
        lo += TWO32;
        br = 1;
      }
      hi = ahi - bh - br;
      if (hi === 0 && lo === 0 && x === 0 && !st) {
        // Exact zero: +0, or -0 when rounding down.
        this.se = rc === RC_DOWN ? 0x8000 : 0;
        this.hi = 0;
        this.lo = 0;
        this.flags = 0;
        this.roundedUp = false;
        return true;
      }
      // Normalize (large shifts only happen without sticky: d <= 1).
      if (hi === 0) {
        hi = lo;
        lo = x;
        x = 0;
        e -= 32;
        if (hi === 0) {
          hi = lo;
          lo = 0;
          e -= 32;
        }
      }
      const n = Math.clz32(hi);
      if (n > 0) {
        hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
        lo = ((lo << n) | (x >>> (32 - n))) >>> 0;
        x = (x << n) >>> 0;
        e -= n;
      }
    }
    if (e < 1) return false;
    this.wh = hi;
    this.wl = lo;
    this.wx = x;
    this.st = st;
    return this.finish(sa, e, p, rc);
  }

  /** a × b for normal operands. */
  mul(sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number, p: number, rc: number): boolean {
    const a0 = alo & 0xffff, a1 = alo >>> 16, a2 = ahi & 0xffff, a3 = ahi >>> 16;
    const b0 = blo & 0xffff, b1 = blo >>> 16, b2 = bhi & 0xffff, b3 = bhi >>> 16;
    // Column sums are below 2^34, exact in doubles.
    let c = a0 * b0;
    const r0 = c % 65536;
    c = Math.floor(c / 65536) + a0 * b1 + a1 * b0;
    const r1 = c % 65536;
    c = Math.floor(c / 65536) + a0 * b2 + a1 * b1 + a2 * b0;
    const r2 = c % 65536;
    c = Math.floor(c / 65536) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
    const r3 = c % 65536;
    c = Math.floor(c / 65536) + a1 * b3 + a2 * b2 + a3 * b1;
    const r4 = c % 65536;
    c = Math.floor(c / 65536) + a2 * b3 + a3 * b2;
    const r5 = c % 65536;
    c = Math.floor(c / 65536) + a3 * b3;
    const r6 = c % 65536;
    const r7 = Math.floor(c / 65536);
    let w3 = r7 * 65536 + r6;
    let w2 = r5 * 65536 + r4;
    let w1 = r3 * 65536 + r2;
    let w0 = r1 * 65536 + r0;
    let e = ea + eb - 16383;
    if (w3 >= 0x80000000) e++;
    else {
      w3 = ((w3 << 1) | (w2 >>> 31)) >>> 0;
      w2 = ((w2 << 1) | (w1 >>> 31)) >>> 0;
      w1 = ((w1 << 1) | (w0 >>> 31)) >>> 0;
      w0 = (w0 << 1) >>> 0;
    }
    if (e < 1 || e > 0x7ffe) return false;
    this.wh = w3;
    this.wl = w2;
    this.wx = w1;
    this.st = w0 !== 0;
    return this.finish(sa ^ sb, e, p, rc);
  }

  // Long-division scratch: the partial remainder in 16-bit limbs (little-endian) and the divisor.
  private readonly r = new Float64Array(8);
  private readonly b = new Float64Array(4);
  private bd = 0;

  /** a / b for normal operands: three 32-bit quotient digits by schoolbook division, each digit
   *  estimated in doubles and corrected against the exact remainder. */
  div(sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number, p: number, rc: number): boolean {
    const b = this.b;
    b[0] = blo & 0xffff;
    b[1] = blo >>> 16;
    b[2] = bhi & 0xffff;
    b[3] = bhi >>> 16;
    this.bd = bhi * TWO32 + blo;
    let e = ea - eb + 16383;
    // A' = A or 2A so that A' / B is in [1, 2); R = A' · 2^31.
    let shift = 31;
    if (ahi < bhi || (ahi === bhi && alo < blo)) {
      shift = 32;
      e--;
    }
    if (e < 1 || e > 0x7ffe) return false;
    const r = this.r;
    // A · 2^shift in limbs: shift is 31 or 32, so build A·2^32 and halve when needed.
    r[0] = 0;
    r[1] = 0;
    r[2] = alo & 0xffff;
    r[3] = alo >>> 16;
    r[4] = ahi & 0xffff;
    r[5] = ahi >>> 16;
    r[6] = 0;
    if (shift === 31) {
      for (let k = 0; k < 6; k++) r[k] = Math.floor(r[k] / 2) + (r[k + 1] % 2) * 32768;
    }
    const d2 = this.digit();
    this.shift32();
    const d1 = this.digit();
    this.shift32();
    const d0 = this.digit();
    this.wh = d2;
    this.wl = d1;
    this.wx = d0;
    this.st = r[0] !== 0 || r[1] !== 0 || r[2] !== 0 || r[3] !== 0 || r[4] !== 0;
    return this.finish(sa ^ sb, e, p, rc);
  }

  /** One quotient digit: d = floor(R / B) (< 2^32), R -= d·B. */
  private digit(): number {
    const r = this.r;
    const b = this.b;
    const rd = ((((r[6] * 65536 + r[5]) * 65536 + r[4]) * 65536 + r[3]) * 65536 + r[2]) * TWO32 + r[1] * 65536 + r[0];
    let d = Math.floor(rd / this.bd);
    if (d > 0xffffffff) d = 0xffffffff;
    if (d < 0) d = 0;
    // R -= d·B exactly.
    const dl = d % 65536;
    const dh = (d - dl) / 65536;
    let carry = 0;
    let borrow = 0;
    for (let k = 0; k < 7; k++) {
      let t = carry;
      if (k <= 3) t += dl * b[k];
      if (k >= 1 && k <= 4) t += dh * b[k - 1];
      const pk = t % 65536;
      carry = (t - pk) / 65536;
      let v = r[k] - pk - borrow;
      borrow = 0;
      if (v < 0) {
        v += 65536;
        borrow = 1;
      }
      r[k] = v;
    }
    // Too large an estimate leaves a borrow: add B back. Too small leaves R >= B: subtract it.
    while (borrow) {
      d--;
      let c = 0;
      for (let k = 0; k < 7; k++) {
        let v = r[k] + (k <= 3 ? b[k] : 0) + c;
        c = 0;
        if (v >= 65536) {
          v -= 65536;
          c = 1;
        }
        r[k] = v;
      }
      if (c) borrow = 0; // the carry out cancels the earlier borrow
    }
    while (this.remainderAtLeastB()) {
      d++;
      let br = 0;
      for (let k = 0; k < 7; k++) {
        let v = r[k] - (k <= 3 ? b[k] : 0) - br;
        br = 0;
        if (v < 0) {
          v += 65536;
          br = 1;
        }
        r[k] = v;
      }
    }
    return d;
  }

  private remainderAtLeastB(): boolean {
    const r = this.r;
    const b = this.b;
    if (r[6] !== 0 || r[5] !== 0 || r[4] !== 0) return true;
    for (let k = 3; k >= 0; k--) if (r[k] !== b[k]) return r[k] > b[k];
    return true;
  }

  /** R ·= 2^32 (R < B < 2^64 here, so nothing is lost). */
  private shift32(): void {
    const r = this.r;
    for (let k = 6; k >= 2; k--) r[k] = r[k - 2];
    r[1] = 0;
    r[0] = 0;
  }

  /** Rounds the working value to p bits; false when the result leaves the normal range. */
  private finish(sign: number, e: number, p: number, rc: number): boolean {
    let hi = this.wh;
    let lo = this.wl;
    const x = this.wx;
    let rb: number, rest: boolean, odd: number;
    if (p === 64) {
      rb = x >>> 31;
      rest = (x & 0x7fffffff) !== 0 || this.st;
      odd = lo & 1;
    } else if (p === 53) {
      rb = (lo >>> 10) & 1;
      rest = (lo & 0x3ff) !== 0 || x !== 0 || this.st;
      odd = (lo >>> 11) & 1;
      lo = (lo & 0xfffff800) >>> 0;
    } else {
      rb = (hi >>> 7) & 1;
      rest = (hi & 0x7f) !== 0 || lo !== 0 || x !== 0 || this.st;
      odd = (hi >>> 8) & 1;
      hi = (hi & 0xffffff00) >>> 0;
      lo = 0;
    }
    const inexact = rb !== 0 || rest;
    let up = false;
    if (inexact) {
      if (rc === RC_NEAREST) up = rb !== 0 && (rest || odd !== 0);
      else if (rc === RC_DOWN) up = sign === 1;
      else if (rc === RC_UP) up = sign === 0;
    }
    if (up) {
      if (p === 24) hi += 0x100;
      else {
        lo += p === 64 ? 1 : 0x800;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
      }
      if (hi >= TWO32) {
        hi = 0x80000000;
        e++;
      }
    }
    if (e > 0x7ffe) return false;
    this.se = (sign << 15) | e;
    this.hi = hi;
    this.lo = lo;
    this.flags = inexact ? FLAG_PE : 0;
    this.roundedUp = up;
    return true;
  }
}
