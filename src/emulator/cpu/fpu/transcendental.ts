// x87 transcendental functions evaluated far beyond extended precision (192-bit fixed point on
// BigInt), so that rounding the result once gives the correctly rounded extended value (hardware is
// specified within 1 ulp). Like the hardware, FSIN/FCOS/FPTAN/FSINCOS reduce their argument with
// the 66-bit approximation of pi the SDM documents (8.3.10), not with the true pi.
//
// Every function leaves its result as (-1)^sign × (m + ε) × 2^e in `out` (ε in (0, 1): the value is
// never exact unless noted by `exact`), ready for Rounder.round.

import { bitLength, isqrt } from "./softfloat.ts";

const W = 192;
const WB = BigInt(W);
const ONE = 1n << WB;

/** Result holder (one per module; the unit is single-threaded and not re-entrant). */
export const out = { sign: 0, m: 0n, e: 0, exact: false };

function setOut(sign: number, m: bigint, e: number, exact = false): void {
  out.sign = sign;
  out.m = m;
  out.e = e;
  out.exact = exact;
}

/** Sets out from a signed fixed-point value (W fractional bits). */
function setFixed(v: bigint): void {
  if (v < 0n) setOut(1, -v, -W);
  else setOut(0, v, -W);
}

// ---- constants ----------------------------------------------------------------------------------

const G = 32n; // guard bits while computing constants

/** atan(1/n) in fixed point with W+G fractional bits. */
function atanInv(n: bigint): bigint {
  const one = 1n << (WB + G);
  const n2 = n * n;
  let term = one / n;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= n2;
    const t = term / (2n * k + 1n);
    sum += k & 1n ? -t : t;
  }
  return sum;
}

/** atanh(1/n) in fixed point with W+G fractional bits. */
function atanhInv(n: bigint): bigint {
  const one = 1n << (WB + G);
  const n2 = n * n;
  let term = one / n;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= n2;
    sum += term / (2n * k + 1n);
  }
  return sum;
}

const PI = (16n * atanInv(5n) - 4n * atanInv(239n)) >> G;
const LN2 = (2n * atanhInv(3n)) >> G;
const LOG2E = (ONE << WB) / LN2;
/** The x87's internal 66-bit pi (0.C90FDAA22168C234C × 2^2), as PI66 / 2^64. */
const PI66 = 0x3243f6a8885a308d3n;
const HALF_PI66 = PI66 << (WB - 65n); // pi66/2 in fixed point

// ---- series -------------------------------------------------------------------------------------

/** sin(r) and cos(r) for |r| <= pi/4, fixed point. */
function sinFixed(r: bigint): bigint {
  const r2 = (r * r) >> WB;
  let term = r;
  let sum = r;
  for (let n = 1n; term !== 0n; n++) {
    term = -((term * r2) >> WB) / (2n * n * (2n * n + 1n));
    sum += term;
  }
  return sum;
}

function cosFixed(r: bigint): bigint {
  const r2 = (r * r) >> WB;
  let term = ONE;
  let sum = ONE;
  for (let n = 1n; term !== 0n; n++) {
    term = -((term * r2) >> WB) / ((2n * n - 1n) * (2n * n));
    sum += term;
  }
  return sum;
}

/** 1 + z²/3 + z⁴/5 + … (so that atanh z = z × this), z² given in fixed point. */
function atanhTail(z2: bigint): bigint {
  let p = ONE;
  let sum = ONE;
  for (let k = 1n; p !== 0n; k++) {
    p = (p * z2) >> WB;
    sum += p / (2n * k + 1n);
  }
  return sum;
}

/** atan(q) for 0 <= q <= 1 in fixed point. */
function atanFixed(q: bigint): bigint {
  // Halve the angle three times: atan q = 2 atan(q / (1 + sqrt(1 + q²))).
  let h = 0n;
  while (h < 3n && q > ONE >> 8n) {
    const q2 = (q * q) >> WB;
    const s = isqrt((ONE + q2) << WB);
    q = (q << WB) / (ONE + s);
    h++;
  }
  const q2 = (q * q) >> WB;
  let term = q;
  let sum = q;
  for (let k = 1n; term !== 0n; k++) {
    term = (term * q2) >> WB;
    const t = term / (2n * k + 1n);
    sum += k & 1n ? -t : t;
  }
  return sum << h;
}

/** A positive value m·2^e as fixed point (truncated). */
function toFixed(m: bigint, e: number): bigint {
  const s = e + W;
  return s >= 0 ? m << BigInt(s) : m >> BigInt(-s);
}

// ---- functions ----------------------------------------------------------------------------------

/** Which of sin, cos, tan of x = (-1)^sign·m·2^e (finite, |x| < 2^63). kind: 0 sin, 1 cos, 2 tan. */
export function trig(kind: number, sign: number, m: bigint, e: number): void {
  if (m === 0n) {
    if (kind === 1) setOut(0, 1n, 0, true);
    else setOut(sign, 0n, 0, true);
    return;
  }
  if (e + bitLength(m) < -80) {
    // |x| < 2^-80: sin x and tan x are x ∓ tiny, cos x is 1 - tiny.
    if (kind === 1) setOut(0, (1n << 200n) - 1n, -200);
    else if (kind === 0) setOut(sign, (m << 2n) - 1n, e - 2);
    else setOut(sign, m << 2n, e - 2);
    return;
  }
  const x = toFixed(m, e);
  // Reduce with the 66-bit pi: x = k·(pi66/2) + r, |r| <= pi66/4.
  const k = (2n * x + HALF_PI66) / (2n * HALF_PI66);
  const r = x - k * HALF_PI66;
  const q = Number(k & 3n);
  if (kind === 2) {
    const s = sinFixed(r);
    const c = cosFixed(r);
    // tan(x) = tan(r) for even k, -cot(r) for odd k.
    let num = q & 1 ? c : s;
    let den = q & 1 ? s : c;
    let neg = q & 1 ? 1 : 0;
    if (num < 0n) {
      num = -num;
      neg ^= 1;
    }
    if (den < 0n) {
      den = -den;
      neg ^= 1;
    }
    if (num === 0n) {
      setOut(sign ^ neg, 0n, 0, true);
      return;
    }
    setOut(sign ^ neg, (num << 256n) / den, -256);
    return;
  }
  // sin(x) = [sin r, cos r, -sin r, -cos r][k mod 4]; cos(x) = [cos r, -sin r, -cos r, sin r][k mod 4].
  const idx = (q + (kind === 1 ? 1 : 0)) & 3;
  let v = idx & 1 ? cosFixed(r) : sinFixed(r);
  if (idx >= 2) v = -v;
  setFixed(kind === 0 && sign ? -v : v);
}

/** 2^x - 1 for x = (-1)^sign·m·2^e finite (meaningful for |x| <= 1). */
export function exp2m1(sign: number, m: bigint, e: number): void {
  if (m === 0n) {
    setOut(sign, 0n, 0, true);
    return;
  }
  if (e + bitLength(m) < -80) {
    // x·ln2 (1 + x·ln2/2 + …): for x > 0 slightly above m·LN2, for x < 0 slightly below.
    const p = m * LN2;
    setOut(sign, sign ? p - 1n : p, e - W);
    return;
  }
  if (e + bitLength(m) > 12) {
    // Far outside the defined domain: saturate sensibly.
    if (sign) setOut(1, (1n << 200n) - 1n, -200);
    else setOut(0, 1n, 1 << 15, true);
    return;
  }
  let t = (toFixed(m, e) * LN2) >> WB;
  if (sign) t = -t;
  let term = t;
  let sum = t;
  for (let n = 2n; term !== 0n; n++) {
    term = ((term * t) >> WB) / n;
    sum += term;
  }
  setFixed(sum);
}

/** ln(1 + z·…) helper: given z = zm·2^ze (exact rational approximated below by zm, with sticky), the
 *  value 2·atanh(z) as floating (m, e). */
function twoAtanh(zm: bigint, ze: number): { m: bigint; e: number } {
  const z = toFixed(zm, ze);
  const tail = atanhTail((z * z) >> WB);
  return { m: zm * tail, e: ze - W + 1 };
}

/** y·log2(x) for finite x > 0 (mx·2^ex) and finite y (sy, my·2^ey). */
export function ylog2x(sy: number, my: bigint, ey: number, mx: bigint, ex: number): void {
  // x = M/2^63 · 2^E with M normalized to 64 bits; pick the half with M/2^63 in [0.707, 1.414].
  const n = bitLength(mx);
  const M = mx << BigInt(64 - n);
  let E = ex + n - 1;
  let scale = 63n;
  if (M > 0xb504f333f9de6484n) {
    scale = 64n;
    E += 1;
  }
  const unit = 1n << scale;
  const num = M - unit;
  if (num === 0n || my === 0n) {
    // log2 x = E exactly.
    const v = BigInt(E) * my;
    setOut(v < 0n ? sy ^ 1 : sy, v < 0n ? -v : v, ey, true);
    return;
  }
  const neg = num < 0n ? 1 : 0;
  const an = neg ? -num : num;
  const den = M + unit;
  const k = 220 + bitLength(den) - bitLength(an);
  const zm = (an << BigInt(k)) / den;
  const ln = twoAtanh(zm, -k);
  // log2 m = ln(m)·log2(e) (sign neg).
  let Lm = ln.m * LOG2E;
  let Le = ln.e - W;
  let Ls = neg;
  if (E !== 0) {
    // E + log2 m in fixed point (|E| >= 1 keeps the relative precision).
    const small = toFixed(Lm, Le);
    const L = BigInt(E) * ONE + (neg ? -small : small);
    Ls = L < 0n ? 1 : 0;
    Lm = L < 0n ? -L : L;
    Le = -W;
  }
  setOut(sy ^ Ls, my * Lm, ey + Le);
}

/** y·log2(1 + x) for finite x (sx, mx·2^ex) with |x| < 1, and finite y. */
export function ylog2xp1(sy: number, my: bigint, ey: number, sx: number, mx: bigint, ex: number): void {
  if (mx === 0n || my === 0n) {
    setOut(sy ^ sx, 0n, 0, true);
    return;
  }
  // z = x / (2 + x) = mx / (2^(1-ex) ± mx) (ex < 1 because |x| < 1).
  const shift = 1 - ex;
  if (shift < 0) {
    setOut(0, 0n, 0, true);
    return;
  }
  const two = 1n << BigInt(shift);
  const den = sx ? two - mx : two + mx;
  if (den <= 0n) {
    setOut(0, 0n, 0, true);
    return;
  }
  const k = 220 + bitLength(den) - bitLength(mx);
  const zm = (mx << BigInt(k)) / den;
  const ln = twoAtanh(zm, -k);
  setOut(sy ^ sx, my * ln.m * LOG2E, ey + ln.e - W);
}

/** atan2(y, x) for finite non-zero y (sy, my·2^ey) and x (sx, mx·2^ex). */
export function atan2(sy: number, my: bigint, ey: number, sx: number, mx: bigint, ex: number): void {
  // Compare |y| with |x| exactly.
  const ty = ey + bitLength(my);
  const tx = ex + bitLength(mx);
  let yBigger: boolean;
  if (ty !== tx) yBigger = ty > tx;
  else {
    const e = Math.min(ey, ex);
    yBigger = my << BigInt(ey - e) > mx << BigInt(ex - e);
  }
  // q = smaller / larger as floating with >= 220 bits.
  const [nm, ne, dm, de] = yBigger ? [mx, ex, my, ey] : [my, ey, mx, ex];
  const k = 220 + bitLength(dm) - bitLength(nm);
  const qm = (nm << BigInt(k)) / dm;
  const qe = ne - de - k;
  if (!yBigger && sx === 0 && qe + bitLength(qm) < -80) {
    // atan(q) = q - q³/3…: slightly below q.
    setOut(sy, (qm << 2n) - 1n, qe - 2);
    return;
  }
  let a = atanFixed(toFixed(qm, qe));
  if (yBigger) a = (PI >> 1n) - a;
  if (sx) a = PI - a;
  setOut(sy, a, -W);
}

/** Multiples of pi/4 (atan2 of zeros and infinities): k·pi/4 with sign. */
export function piQuarters(sign: number, k: number): void {
  if (k === 0) setOut(sign, 0n, 0, true);
  else setOut(sign, (PI * BigInt(k)) >> 2n, -W);
}
