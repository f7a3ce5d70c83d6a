// MMX, SSE and SSE2: the XMM register file and MXCSR, the 0F-map instructions the core hands over
// (see isSimdOpcode), FXSAVE/FXRSTOR. MMX registers are the x87 registers' significands (the X87
// unit owns that buffer). Registers live in typed arrays with every lane view over one buffer.

import { EXC_GP, EXC_NM, EXC_UD, EXC_XM, type CoprocessorHost, type SimdUnit } from "../coprocessor.ts";
import { StateError, type SavedState, StateLayout, range, typed } from "../../state.ts";
import type { X87 } from "../fpu/x87.ts";
import { OP_ADD, OP_DIV, OP_MUL, OP_SQRT, OP_SUB, SseFloat, classifyF32, classifyF64, DENORMAL, INF, QNAN, ZERO } from "./sse-float.ts";

const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR4_OSFXSR = 1 << 9;
const CR4_OSXMMEXCPT = 1 << 10;

/** MXCSR bits software may set (DAZ supported). */
export const MXCSR_MASK = 0xffff;

/** Typed views of one register file or scratch buffer. */
class Lanes {
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  constructor(buf: ArrayBuffer) {
    this.u8 = new Uint8Array(buf);
    this.i8 = new Int8Array(buf);
    this.u16 = new Uint16Array(buf);
    this.i16 = new Int16Array(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
  }
}

const satS8 = (v: number): number => (v > 127 ? 127 : v < -128 ? -128 : v);
const satU8 = (v: number): number => (v > 255 ? 255 : v < 0 ? 0 : v);
const satS16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
const satU16 = (v: number): number => (v > 65535 ? 65535 : v < 0 ? 0 : v);

/** High 32 bits of the unsigned 64-bit product of two uint32s. */
function mulHiU32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl;
  const mid = ah * bl + ((ll >>> 16) & 0xffff);
  const mid2 = al * bh + (mid & 0xffff);
  return (ah * bh + Math.floor(mid / 65536) + Math.floor(mid2 / 65536)) >>> 0;
}

export class Simd implements SimdUnit {
  readonly xmmBuffer = new ArrayBuffer(128);
  readonly xmm = new Lanes(this.xmmBuffer);
  readonly fp = new SseFloat();
  private readonly mm: Lanes;
  /** Source operand (16 bytes), a copy of the destination, and results before commit. */
  private readonly src = new Lanes(new ArrayBuffer(16));
  private readonly tmp = new Lanes(new ArrayBuffer(16));
  private readonly res = new Lanes(new ArrayBuffer(16));

  constructor(
    private readonly host: CoprocessorHost,
    private readonly x87: X87,
  ) {
    this.mm = new Lanes(x87.mmBuffer);
    this.reset();
  }

  get mxcsr(): number {
    return this.fp.mxcsr;
  }
  set mxcsr(v: number) {
    this.fp.mxcsr = v;
  }

  reset(): void {
    this.xmm.u32.fill(0);
    this.fp.mxcsr = 0x1f80;
    this.fp.flags = 0;
  }

  // ---- Mode checks --------------------------------------------------------------------------------

  /** SSE/SSE2 instruction on XMM state. */
  private checkSse(): void {
    const h = this.host;
    if ((h.cr0 & CR0_EM) !== 0 || (h.cr4 & CR4_OSFXSR) === 0) h.raiseException(EXC_UD);
    if ((h.cr0 & CR0_TS) !== 0) h.raiseException(EXC_NM);
  }

  /** Instruction touching MMX registers: x87 pending errors, then TOP=0 and all tags valid. */
  private checkMmx(): void {
    const h = this.host;
    if ((h.cr0 & CR0_EM) !== 0) h.raiseException(EXC_UD);
    if ((h.cr0 & CR0_TS) !== 0) h.raiseException(EXC_NM);
    this.x87.checkPendingForMmx();
    this.x87.enterMmx();
  }

  // ---- Operand access -----------------------------------------------------------------------------

  private read128(addr: number, aligned: boolean, into: Lanes): void {
    const h = this.host;
    if (aligned && (addr & 15) !== 0) h.raiseException(EXC_GP, 0);
    into.u32[0] = h.readLinear32(addr);
    into.u32[1] = h.readLinear32(addr + 4);
    into.u32[2] = h.readLinear32(addr + 8);
    into.u32[3] = h.readLinear32(addr + 12);
  }

  private write128(addr: number, aligned: boolean, from: Lanes, base: number): void {
    const h = this.host;
    if (aligned && (addr & 15) !== 0) h.raiseException(EXC_GP, 0);
    h.checkOperand?.(addr, 16);
    // Highest dword first: a fault on the second page of a split store happens before any write.
    h.writeLinear32(addr + 12, from.u32[base + 3]);
    h.writeLinear32(addr, from.u32[base]);
    h.writeLinear32(addr + 4, from.u32[base + 1]);
    h.writeLinear32(addr + 8, from.u32[base + 2]);
  }

  private write64(addr: number, lo: number, hi: number): void {
    this.host.checkOperand?.(addr, 8);
    this.host.writeLinear32(addr + 4, hi);
    this.host.writeLinear32(addr, lo);
  }

  /** XMM source (register or m128) into src. */
  private srcX(modrm: number, addr: number, aligned = true): void {
    const s = this.src.u32;
    if (addr < 0) {
      const b = (modrm & 7) << 2;
      const x = this.xmm.u32;
      s[0] = x[b];
      s[1] = x[b + 1];
      s[2] = x[b + 2];
      s[3] = x[b + 3];
    } else this.read128(addr, aligned, this.src);
  }

  /** XMM register or a narrower memory operand (4 or 8 bytes) into src's low lanes. */
  private srcXLow(modrm: number, addr: number, bytes: number): void {
    if (addr < 0) {
      this.srcX(modrm, addr);
      return;
    }
    const s = this.src.u32;
    s[0] = this.host.readLinear32(addr);
    s[1] = bytes === 8 ? this.host.readLinear32(addr + 4) : 0;
    s[2] = 0;
    s[3] = 0;
  }

  /** MMX register or m64 into src's low 8 bytes. */
  private srcM(modrm: number, addr: number): void {
    const s = this.src.u32;
    if (addr < 0) {
      const b = (modrm & 7) << 1;
      s[0] = this.mm.u32[b];
      s[1] = this.mm.u32[b + 1];
    } else {
      s[0] = this.host.readLinear32(addr);
      s[1] = this.host.readLinear32(addr + 4);
    }
    s[2] = 0;
    s[3] = 0;
  }

  private copyToTmp(L: Lanes, d: number, n: number): void {
    const t = this.tmp.u32;
    const b = d >> 2;
    t[0] = L.u32[b];
    t[1] = L.u32[b + 1];
    if (n === 16) {
      t[2] = L.u32[b + 2];
      t[3] = L.u32[b + 3];
    }
  }

  /** Takes the floating-point exception flags: records them and faults if any is unmasked.
   *  Returns normally only when results may be written. */
  private finishFp(): void {
    const f = this.fp.flags;
    if (f === 0) return;
    this.fp.flags = 0;
    const masks = (this.fp.mxcsr >> 7) & 0x3f;
    // An unmasked pre-computation exception (IE, DE, ZE) in any lane stops the instruction before
    // the post-computation ones (OE, UE, PE) are recorded (measured).
    const pre = f & 7;
    const recorded = (pre & ~masks) !== 0 ? pre : f;
    this.fp.mxcsr |= recorded;
    if ((recorded & ~masks) !== 0) {
      this.host.raiseException((this.host.cr4 & CR4_OSXMMEXCPT) !== 0 ? EXC_XM : EXC_UD);
    }
  }

  // ---- Entry point --------------------------------------------------------------------------------

  execute(op: number, prefix: number, modrm: number, addr: number): void {
    // Register operand is ModRM's call (mod == 3), never the address's: the core may pass linear
    // addresses as signed int32. Internally -1 means "register" and memory addresses are unsigned.
    addr = modrm >= 0xc0 ? -1 : addr >>> 0;
    const h = this.host;
    const reg = (modrm >> 3) & 7;
    const isReg = addr < 0;
    // MMX and SSE-on-MMX integer instructions (no prefix, 0F 60-7F / D0-FE, plus PINSRW/PEXTRW).
    if (prefix === 0 && ((op >= 0x60 && op <= 0x7f) || op >= 0xd0 || op === 0xc4 || op === 0xc5)) {
      this.mmxOp(op, modrm, addr);
      return;
    }
    if (op >= 0x60 && op !== 0xae && op !== 0xc2 && op !== 0xc6) {
      this.xmmIntOp(op, prefix, modrm, addr);
      return;
    }
    if (op === 0xae) {
      this.group15(reg, addr);
      return;
    }
    this.checkSse();
    const x = this.xmm.u32;
    const d = reg << 2;
    const pd = prefix === 0x66;
    switch (op) {
      case 0x10: // MOVUPS/MOVUPD/MOVSS/MOVSD xmm, xmm/m
        if (prefix === 0xf3 || prefix === 0xf2) {
          const dwords = prefix === 0xf3 ? 1 : 2;
          this.srcXLow(modrm, addr, dwords * 4);
          x[d] = this.src.u32[0];
          if (dwords === 2) x[d + 1] = this.src.u32[1];
          if (!isReg) {
            // From memory the upper part is zeroed.
            if (dwords === 1) x[d + 1] = 0;
            x[d + 2] = 0;
            x[d + 3] = 0;
          }
        } else {
          this.srcX(modrm, addr, false);
          this.setX(reg, this.src);
        }
        return;
      case 0x11: // stores
        if (prefix === 0xf3 || prefix === 0xf2) {
          if (isReg) {
            const s = (modrm & 7) << 2;
            x[s] = x[d];
            if (prefix === 0xf2) x[s + 1] = x[d + 1];
          } else if (prefix === 0xf3) h.writeLinear32(addr, x[d]);
          else this.write64(addr, x[d], x[d + 1]);
        } else if (isReg) this.copyX(modrm & 7, reg);
        else this.write128(addr, false, this.xmm, d);
        return;
      case 0x12: // MOVLPS/MOVLPD xmm, m64; MOVHLPS xmm, xmm
        if (prefix === 0xf2 || prefix === 0xf3) break; // SSE3
        if (isReg) {
          if (pd) break;
          const s = (modrm & 7) << 2;
          x[d] = x[s + 2];
          x[d + 1] = x[s + 3];
        } else {
          x[d] = h.readLinear32(addr);
          x[d + 1] = h.readLinear32(addr + 4);
        }
        return;
      case 0x13: // MOVLPS/MOVLPD m64, xmm
        if (isReg || prefix > 0x66) break;
        this.write64(addr, x[d], x[d + 1]);
        return;
      case 0x14: // UNPCKLPS/UNPCKLPD
      case 0x15: {
        // UNPCKHPS/UNPCKHPD
        if (prefix > 0x66) break;
        this.srcX(modrm, addr);
        const s = this.src.u32;
        const hi = op === 0x15 ? 2 : 0;
        if (pd) {
          const a0 = x[d + hi], a1 = x[d + hi + 1];
          x[d] = a0;
          x[d + 1] = a1;
          x[d + 2] = s[hi];
          x[d + 3] = s[hi + 1];
        } else {
          const a0 = x[d + hi], a1 = x[d + hi + 1];
          x[d] = a0;
          x[d + 1] = s[hi];
          x[d + 2] = a1;
          x[d + 3] = s[hi + 1];
        }
        return;
      }
      case 0x16: // MOVHPS/MOVHPD xmm, m64; MOVLHPS xmm, xmm
        if (prefix > 0x66) break;
        if (isReg) {
          if (pd) break;
          const s = (modrm & 7) << 2;
          x[d + 2] = x[s];
          x[d + 3] = x[s + 1];
        } else {
          x[d + 2] = h.readLinear32(addr);
          x[d + 3] = h.readLinear32(addr + 4);
        }
        return;
      case 0x17: // MOVHPS/MOVHPD m64, xmm
        if (isReg || prefix > 0x66) break;
        this.write64(addr, x[d + 2], x[d + 3]);
        return;
      case 0x28: // MOVAPS/MOVAPD
        if (prefix > 0x66) break;
        this.srcX(modrm, addr, true);
        this.setX(reg, this.src);
        return;
      case 0x29:
        if (prefix > 0x66) break;
        if (isReg) this.copyX(modrm & 7, reg);
        else this.write128(addr, true, this.xmm, d);
        return;
      case 0x2a:
        this.cvt2a(prefix, reg, modrm, addr);
        return;
      case 0x2b: // MOVNTPS/MOVNTPD
        if (isReg || prefix > 0x66) break;
        this.write128(addr, true, this.xmm, d);
        return;
      case 0x2c:
      case 0x2d:
        this.cvt2c(prefix, reg, modrm, addr, op === 0x2c);
        return;
      case 0x2e: // UCOMISS/UCOMISD
      case 0x2f: {
        // COMISS/COMISD
        if (prefix > 0x66) break;
        this.srcXLow(modrm, addr, pd ? 8 : 4);
        const s = this.src.u32;
        const c = pd ? this.fp.compareF64(x[d], x[d + 1], s[0], s[1], op === 0x2f) : this.fp.compareF32(x[d], s[0], op === 0x2f);
        this.finishFp();
        h.setCompareFlags(c === 1 || c === 3, c === 3, c === 0 || c === 3);
        return;
      }
      case 0x50: {
        // MOVMSKPS/MOVMSKPD r32, xmm
        if (!isReg || prefix > 0x66) break;
        const s = (modrm & 7) << 2;
        const m = pd ? (x[s + 1] >>> 31) | ((x[s + 3] >>> 31) << 1) : (x[s] >>> 31) | ((x[s + 1] >>> 31) << 1) | ((x[s + 2] >>> 31) << 2) | ((x[s + 3] >>> 31) << 3);
        h.setReg32(reg, m);
        return;
      }
      case 0x51:
        this.arithFp(OP_SQRT, prefix, reg, modrm, addr);
        return;
      case 0x52: // RSQRTPS/RSQRTSS
      case 0x53: // RCPPS/RCPSS
        if (prefix !== 0 && prefix !== 0xf3) break;
        this.approx(op === 0x52, prefix === 0xf3, reg, modrm, addr);
        return;
      case 0x54: // ANDPS/ANDPD
      case 0x55: // ANDNPS
      case 0x56: // ORPS
      case 0x57: {
        // XORPS
        if (prefix > 0x66) break;
        this.srcX(modrm, addr);
        const s = this.src.u32;
        for (let i = 0; i < 4; i++) {
          const a = x[d + i];
          x[d + i] = op === 0x54 ? a & s[i] : op === 0x55 ? ~a & s[i] : op === 0x56 ? a | s[i] : a ^ s[i];
        }
        return;
      }
      case 0x58:
        this.arithFp(OP_ADD, prefix, reg, modrm, addr);
        return;
      case 0x59:
        this.arithFp(OP_MUL, prefix, reg, modrm, addr);
        return;
      case 0x5a:
        this.cvt5a(prefix, reg, modrm, addr);
        return;
      case 0x5b:
        this.cvt5b(prefix, reg, modrm, addr);
        return;
      case 0x5c:
        this.arithFp(OP_SUB, prefix, reg, modrm, addr);
        return;
      case 0x5d: // MIN
      case 0x5f: // MAX
        this.minMax(op === 0x5f, prefix, reg, modrm, addr);
        return;
      case 0x5e:
        this.arithFp(OP_DIV, prefix, reg, modrm, addr);
        return;
    }
    // 0xC2 CMPxx and 0xC6 SHUFPS/PD.
    if (op === 0xc2) {
      this.cmp(prefix, reg, modrm, addr);
      return;
    }
    if (op === 0xc6 && prefix <= 0x66) {
      this.srcX(modrm, addr);
      const imm = h.fetchImm8();
      const s = this.src.u32;
      const t = this.tmp.u32;
      this.copyToTmp(this.xmm, reg << 4, 16);
      if (pd) {
        const a = (imm & 1) << 1;
        const b = ((imm >> 1) & 1) << 1;
        x[d] = t[a];
        x[d + 1] = t[a + 1];
        x[d + 2] = s[b];
        x[d + 3] = s[b + 1];
      } else {
        x[d] = t[imm & 3];
        x[d + 1] = t[(imm >> 2) & 3];
        x[d + 2] = s[(imm >> 4) & 3];
        x[d + 3] = s[(imm >> 6) & 3];
      }
      return;
    }
    h.raiseException(EXC_UD);
  }

  private setX(r: number, from: Lanes): void {
    const x = this.xmm.u32;
    const d = r << 2;
    x[d] = from.u32[0];
    x[d + 1] = from.u32[1];
    x[d + 2] = from.u32[2];
    x[d + 3] = from.u32[3];
  }

  private copyX(dst: number, srcReg: number): void {
    const x = this.xmm.u32;
    const d = dst << 2;
    const s = srcReg << 2;
    x[d] = x[s];
    x[d + 1] = x[s + 1];
    x[d + 2] = x[s + 2];
    x[d + 3] = x[s + 3];
  }

  // ---- Floating-point arithmetic ------------------------------------------------------------------

  /** ADD/SUB/MUL/DIV/SQRT in PS/PD/SS/SD forms. */
  private arithFp(fop: number, prefix: number, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const r = this.res.u32;
    const d = reg << 2;
    const fp = this.fp;
    const s = this.src.u32;
    switch (prefix) {
      case 0: // PS
        this.srcX(modrm, addr);
        for (let i = 0; i < 4; i++) {
          fp.opF32(fop, x[d + i], s[i]);
          r[i] = fp.r32;
        }
        this.finishFp();
        this.setX(reg, this.res);
        return;
      case 0x66: // PD
        this.srcX(modrm, addr);
        for (let i = 0; i < 4; i += 2) {
          fp.opF64(fop, x[d + i], x[d + i + 1], s[i], s[i + 1]);
          r[i] = fp.rLo;
          r[i + 1] = fp.rHi;
        }
        this.finishFp();
        this.setX(reg, this.res);
        return;
      case 0xf3: // SS
        this.srcXLow(modrm, addr, 4);
        fp.opF32(fop, x[d], s[0]);
        this.finishFp();
        x[d] = fp.r32;
        return;
      default: // SD
        this.srcXLow(modrm, addr, 8);
        fp.opF64(fop, x[d], x[d + 1], s[0], s[1]);
        this.finishFp();
        x[d] = fp.rLo;
        x[d + 1] = fp.rHi;
    }
  }

  private minMax(isMax: boolean, prefix: number, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const r = this.res.u32;
    const d = reg << 2;
    const fp = this.fp;
    const s = this.src.u32;
    const double = prefix === 0x66 || prefix === 0xf2;
    const lanes = prefix === 0 ? 4 : prefix === 0x66 ? 2 : 1;
    if (lanes === 1) this.srcXLow(modrm, addr, double ? 8 : 4);
    else this.srcX(modrm, addr);
    for (let i = 0; i < lanes; i++) {
      if (double) {
        const j = 2 * i;
        const c = fp.compareF64(x[d + j], x[d + j + 1], s[j], s[j + 1], true);
        const pickA = fp.minMaxPicksA(c, isMax);
        r[j] = pickA ? x[d + j] : s[j];
        r[j + 1] = pickA ? x[d + j + 1] : s[j + 1];
        if (fp.mxcsr & 0x40) this.dazLane64(j);
      } else {
        const c = fp.compareF32(x[d + i], s[i], true);
        r[i] = fp.minMaxPicksA(c, isMax) ? x[d + i] : s[i];
        if (fp.mxcsr & 0x40 && classifyF32(r[i]) === DENORMAL) r[i] &= 0x80000000;
      }
    }
    this.finishFp();
    const n = double ? lanes * 2 : lanes;
    for (let i = 0; i < n; i++) x[d + i] = r[i];
  }

  private dazLane64(j: number): void {
    const r = this.res.u32;
    if (classifyF64(r[j], r[j + 1]) === DENORMAL) {
      r[j] = 0;
      r[j + 1] &= 0x80000000;
    }
  }

  private cmp(prefix: number, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const r = this.res.u32;
    const d = reg << 2;
    const fp = this.fp;
    const s = this.src.u32;
    const double = prefix === 0x66 || prefix === 0xf2;
    const lanes = prefix === 0 ? 4 : prefix === 0x66 ? 2 : 1;
    if (lanes === 1) this.srcXLow(modrm, addr, double ? 8 : 4);
    else this.srcX(modrm, addr);
    const pred = this.host.fetchImm8();
    if (pred > 7) this.host.raiseException(EXC_UD); // AVX predicates
    const signal = SseFloat.predicateSignals(pred);
    for (let i = 0; i < lanes; i++) {
      if (double) {
        const j = 2 * i;
        const v = SseFloat.predicate(pred, fp.compareF64(x[d + j], x[d + j + 1], s[j], s[j + 1], signal)) ? 0xffffffff : 0;
        r[j] = v;
        r[j + 1] = v;
      } else r[i] = SseFloat.predicate(pred, fp.compareF32(x[d + i], s[i], signal)) ? 0xffffffff : 0;
    }
    this.finishFp();
    const n = double ? lanes * 2 : lanes;
    for (let i = 0; i < n; i++) x[d + i] = r[i];
  }

  /** RCPPS/RCPSS/RSQRTPS/RSQRTSS: approximations (here: correctly rounded), no exceptions. */
  private approx(rsqrt: boolean, scalar: boolean, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const d = reg << 2;
    if (scalar) this.srcXLow(modrm, addr, 4);
    else this.srcX(modrm, addr);
    const s = this.src.u32;
    const fp = this.fp;
    const n = scalar ? 1 : 4;
    for (let i = 0; i < n; i++) {
      const b = s[i];
      const k = classifyF32(b);
      const neg = b >>> 31;
      let out: number;
      if (k >= QNAN) out = b | 0x400000;
      else if (k === ZERO || k === DENORMAL) out = ((neg << 31) | 0x7f800000) >>> 0;
      else if (rsqrt && neg) out = 0xffc00000;
      else if (k === INF) out = neg << 31;
      else {
        const v = fp.numF32(b);
        const q = Math.fround(rsqrt ? 1 / Math.sqrt(v) : 1 / v);
        out = Math.abs(q) < 1.1754943508222875e-38 ? neg << 31 : fp.bitsF32(q);
      }
      this.res.u32[i] = out >>> 0;
    }
    for (let i = 0; i < n; i++) x[d + i] = this.res.u32[i];
  }

  // ---- Conversions --------------------------------------------------------------------------------

  /** 0F 2A: CVTPI2PS, CVTPI2PD, CVTSI2SS, CVTSI2SD. */
  private cvt2a(prefix: number, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const d = reg << 2;
    const fp = this.fp;
    if (prefix === 0xf3 || prefix === 0xf2) {
      const v = addr < 0 ? this.host.getReg32(modrm & 7) | 0 : this.host.readLinear32(addr) | 0;
      if (prefix === 0xf3) {
        const bits = fp.int32ToF32(v);
        this.finishFp();
        x[d] = bits;
      } else this.setLaneF64(d, v); // exact

      return;
    }
    // Source is an MMX register or m64.
    if (addr < 0) this.checkMmx();
    this.srcM(modrm, addr);
    const s = this.src.i32;
    if (prefix === 0) {
      const a = fp.int32ToF32(s[0]);
      const b = fp.int32ToF32(s[1]);
      this.finishFp();
      x[d] = a;
      x[d + 1] = b;
    } else {
      const a = s[0];
      const b = s[1];
      this.setLaneF64(d, a);
      this.setLaneF64(d + 2, b);
    }
  }

  private readonly f64tmp = new Float64Array(1);
  private readonly f64tmpU = new Uint32Array(this.f64tmp.buffer);

  private setLaneF64(u32Index: number, v: number): void {
    this.f64tmp[0] = v;
    this.xmm.u32[u32Index] = this.f64tmpU[0];
    this.xmm.u32[u32Index + 1] = this.f64tmpU[1];
  }

  /** 0F 2C/2D: CVT(T)PS2PI, CVT(T)PD2PI, CVT(T)SS2SI, CVT(T)SD2SI. */
  private cvt2c(prefix: number, reg: number, modrm: number, addr: number, truncate: boolean): void {
    const fp = this.fp;
    const s = this.src.u32;
    if (prefix === 0xf3 || prefix === 0xf2) {
      const dbl = prefix === 0xf2;
      this.srcXLow(modrm, addr, dbl ? 8 : 4);
      const v = fp.toInt32(s[0], s[1], dbl, truncate);
      this.finishFp();
      this.host.setReg32(reg, v);
      return;
    }
    const dbl = prefix === 0x66;
    if (dbl) this.srcX(modrm, addr);
    else this.srcXLow(modrm, addr, 8);
    const a = dbl ? fp.toInt32(s[0], s[1], true, truncate) : fp.toInt32(s[0], 0, false, truncate);
    const b = dbl ? fp.toInt32(s[2], s[3], true, truncate) : fp.toInt32(s[1], 0, false, truncate);
    this.finishFp();
    this.checkMmx();
    this.mm.u32[reg << 1] = a;
    this.mm.u32[(reg << 1) + 1] = b;
    this.x87.markMmxWritten(reg);
  }

  /** 0F 5A: CVTPS2PD, CVTPD2PS, CVTSS2SD, CVTSD2SS. */
  private cvt5a(prefix: number, reg: number, modrm: number, addr: number): void {
    const x = this.xmm.u32;
    const r = this.res.u32;
    const d = reg << 2;
    const fp = this.fp;
    const s = this.src.u32;
    switch (prefix) {
      case 0: // CVTPS2PD xmm, xmm/m64
        this.srcXLow(modrm, addr, 8);
        for (let i = 0; i < 2; i++) {
          fp.f32ToF64(s[i]);
          r[2 * i] = fp.rLo;
          r[2 * i + 1] = fp.rHi;
        }
        this.finishFp();
        this.setX(reg, this.res);
        return;
      case 0x66: // CVTPD2PS
        this.srcX(modrm, addr);
        r[0] = fp.f64ToF32(s[0], s[1]);
        r[1] = fp.f64ToF32(s[2], s[3]);
        r[2] = 0;
        r[3] = 0;
        this.finishFp();
        this.setX(reg, this.res);
        return;
      case 0xf3: // CVTSS2SD
        this.srcXLow(modrm, addr, 4);
        fp.f32ToF64(s[0]);
        this.finishFp();
        x[d] = fp.rLo;
        x[d + 1] = fp.rHi;
        return;
      default: {
        // CVTSD2SS
        this.srcXLow(modrm, addr, 8);
        const v = fp.f64ToF32(s[0], s[1]);
        this.finishFp();
        x[d] = v;
      }
    }
  }

  /** 0F 5B: CVTDQ2PS, CVTPS2DQ (66), CVTTPS2DQ (F3). */
  private cvt5b(prefix: number, reg: number, modrm: number, addr: number): void {
    const r = this.res.u32;
    const fp = this.fp;
    if (prefix === 0xf2) this.host.raiseException(EXC_UD);
    this.srcX(modrm, addr);
    for (let i = 0; i < 4; i++) {
      r[i] = prefix === 0 ? fp.int32ToF32(this.src.i32[i]) : fp.toInt32(this.src.u32[i], 0, false, prefix === 0xf3);
    }
    this.finishFp();
    this.setX(reg, this.res);
  }

  // ---- 0F AE: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR -------------------------------------------------

  private group15(reg: number, addr: number): void {
    const h = this.host;
    if (addr < 0 || reg > 3) h.raiseException(EXC_UD);
    if (reg <= 1) {
      if ((h.cr0 & (CR0_EM | CR0_TS)) !== 0) h.raiseException(EXC_NM);
      if ((addr & 15) !== 0) h.raiseException(EXC_GP, 0);
      h.checkOperand?.(addr, 512);
      if (reg === 0) this.fxsave(addr);
      else this.fxrstor(addr);
      return;
    }
    this.checkSse();
    if (reg === 2) {
      const v = h.readLinear32(addr) >>> 0;
      if ((v & ~MXCSR_MASK) !== 0) h.raiseException(EXC_GP, 0);
      this.fp.mxcsr = v;
    } else h.writeLinear32(addr, this.fp.mxcsr);
  }

  private fxsave(addr: number): void {
    const h = this.host;
    this.x87.fxsaveX87(addr);
    h.writeLinear32(addr + 24, this.fp.mxcsr);
    h.writeLinear32(addr + 28, MXCSR_MASK);
    for (let i = 0; i < 8; i++) this.write128(addr + 160 + 16 * i, false, this.xmm, i << 2);
  }

  private fxrstor(addr: number): void {
    const h = this.host;
    const mx = h.readLinear32(addr + 24) >>> 0;
    if ((mx & ~MXCSR_MASK) !== 0) h.raiseException(EXC_GP, 0);
    this.x87.fxrstorX87(addr);
    this.fp.mxcsr = mx;
    for (let i = 0; i < 8; i++) {
      this.read128(addr + 160 + 16 * i, false, this.src);
      this.setX(i, this.src);
    }
  }

  // ---- Integer operations -------------------------------------------------------------------------

  /** MMX-register forms (no mandatory prefix). */
  private mmxOp(op: number, modrm: number, addr: number): void {
    const h = this.host;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    const isReg = addr < 0;
    const m = this.mm.u32;
    if (op === 0x77) {
      // EMMS (no ModRM operand)
      const cr0 = h.cr0;
      if ((cr0 & CR0_EM) !== 0) h.raiseException(EXC_UD);
      if ((cr0 & CR0_TS) !== 0) h.raiseException(EXC_NM);
      this.x87.checkPendingForMmx();
      this.x87.emms();
      return;
    }
    if (op === 0xd6 || op === 0xd0 || (op >= 0x78 && op <= 0x7d) || op === 0x6c || op === 0x6d) h.raiseException(EXC_UD);
    this.checkMmx();
    switch (op) {
      case 0x6e: // MOVD mm, r/m32
        m[reg << 1] = isReg ? h.getReg32(rm) : h.readLinear32(addr);
        m[(reg << 1) + 1] = 0;
        this.x87.markMmxWritten(reg);
        return;
      case 0x7e: {
        // MOVD r/m32, mm
        const v = m[reg << 1];
        if (isReg) h.setReg32(rm, v);
        else h.writeLinear32(addr, v);
        return;
      }
      case 0x6f: // MOVQ mm, mm/m64
        this.srcM(modrm, addr);
        m[reg << 1] = this.src.u32[0];
        m[(reg << 1) + 1] = this.src.u32[1];
        this.x87.markMmxWritten(reg);
        return;
      case 0x7f: // MOVQ mm/m64, mm
      case 0xe7: // MOVNTQ m64, mm
        if (isReg) {
          if (op === 0xe7) break;
          m[rm << 1] = m[reg << 1];
          m[(rm << 1) + 1] = m[(reg << 1) + 1];
          this.x87.markMmxWritten(rm);
        } else this.write64(addr, m[reg << 1], m[(reg << 1) + 1]);
        return;
      case 0x70: {
        // PSHUFW mm, mm/m64, imm8
        this.srcM(modrm, addr);
        const imm = h.fetchImm8();
        const s = this.src.u16;
        const b = reg << 2;
        for (let i = 0; i < 4; i++) this.mm.u16[b + i] = s[(imm >> (2 * i)) & 3];
        this.x87.markMmxWritten(reg);
        return;
      }
      case 0x71:
      case 0x72:
      case 0x73: {
        if (!isReg) break;
        const imm = h.fetchImm8();
        if (!this.shiftImm(op, reg, this.mm, rm << 3, 8, imm)) break;
        this.x87.markMmxWritten(rm);
        return;
      }
      case 0xc4: {
        // PINSRW mm, r32/m16, imm8
        const v = isReg ? h.getReg32(rm) & 0xffff : h.readLinear16(addr);
        const imm = h.fetchImm8();
        this.mm.u16[(reg << 2) + (imm & 3)] = v;
        this.x87.markMmxWritten(reg);
        return;
      }
      case 0xc5: {
        // PEXTRW r32, mm, imm8
        if (!isReg) break;
        const imm = h.fetchImm8();
        h.setReg32(reg, this.mm.u16[(rm << 2) + (imm & 3)]);
        return;
      }
      case 0xd7: {
        // PMOVMSKB r32, mm
        if (!isReg) break;
        let v = 0;
        for (let i = 0; i < 8; i++) v |= (this.mm.u8[(rm << 3) + i] >> 7) << i;
        h.setReg32(reg, v);
        return;
      }
      case 0xf7: {
        // MASKMOVQ mm, mm: byte-masked store to DS:(E)DI
        if (!isReg) break;
        this.maskMove(this.mm, reg << 3, rm << 3, 8);
        return;
      }
      default:
        this.srcM(modrm, addr);
        if (!this.intOp(op, this.mm, reg << 3, 8)) break;
        this.x87.markMmxWritten(reg);
        return;
    }
    h.raiseException(EXC_UD);
  }

  /** 66/F2/F3-prefixed integer forms on XMM registers (0F 60-7F, C4, C5, D0-FE). */
  private xmmIntOp(op: number, prefix: number, modrm: number, addr: number): void {
    const h = this.host;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    const isReg = addr < 0;
    const x = this.xmm.u32;
    const d = reg << 2;
    this.checkSse();
    if (prefix === 0xf3) {
      switch (op) {
        case 0x6f: // MOVDQU
          this.srcX(modrm, addr, false);
          this.setX(reg, this.src);
          return;
        case 0x7f:
          if (isReg) this.copyX(rm, reg);
          else this.write128(addr, false, this.xmm, d);
          return;
        case 0x70: // PSHUFHW
          this.pshufHalf(reg, modrm, addr, 4);
          return;
        case 0x7e: // MOVQ xmm, xmm/m64
          this.srcXLow(modrm, addr, 8);
          x[d] = this.src.u32[0];
          x[d + 1] = this.src.u32[1];
          x[d + 2] = 0;
          x[d + 3] = 0;
          return;
        case 0xd6: {
          // MOVQ2DQ xmm, mm
          if (!isReg) break;
          this.checkMmx();
          x[d] = this.mm.u32[rm << 1];
          x[d + 1] = this.mm.u32[(rm << 1) + 1];
          x[d + 2] = 0;
          x[d + 3] = 0;
          return;
        }
        case 0xe6: // CVTDQ2PD xmm, xmm/m64
          this.srcXLow(modrm, addr, 8);
          this.setLaneF64(d, this.src.i32[0]);
          this.setLaneF64(d + 2, this.src.i32[1]);
          return;
      }
      h.raiseException(EXC_UD);
    }
    if (prefix === 0xf2) {
      switch (op) {
        case 0x70: // PSHUFLW
          this.pshufHalf(reg, modrm, addr, 0);
          return;
        case 0xd6: {
          // MOVDQ2Q mm, xmm
          if (!isReg) break;
          this.checkMmx();
          this.mm.u32[reg << 1] = x[rm << 2];
          this.mm.u32[(reg << 1) + 1] = x[(rm << 2) + 1];
          this.x87.markMmxWritten(reg);
          return;
        }
        case 0xe6: {
          // CVTPD2DQ
          this.srcX(modrm, addr);
          const s = this.src.u32;
          const a = this.fp.toInt32(s[0], s[1], true, false);
          const b = this.fp.toInt32(s[2], s[3], true, false);
          this.finishFp();
          x[d] = a;
          x[d + 1] = b;
          x[d + 2] = 0;
          x[d + 3] = 0;
          return;
        }
      }
      h.raiseException(EXC_UD);
    }
    if (prefix !== 0x66) h.raiseException(EXC_UD);
    switch (op) {
      case 0x6e: // MOVD xmm, r/m32
        x[d] = isReg ? h.getReg32(rm) : h.readLinear32(addr);
        x[d + 1] = 0;
        x[d + 2] = 0;
        x[d + 3] = 0;
        return;
      case 0x7e: {
        // MOVD r/m32, xmm
        const v = x[d];
        if (isReg) h.setReg32(rm, v);
        else h.writeLinear32(addr, v);
        return;
      }
      case 0x6f: // MOVDQA
        this.srcX(modrm, addr, true);
        this.setX(reg, this.src);
        return;
      case 0x7f:
      case 0xe7: // MOVNTDQ
        if (isReg) {
          if (op === 0xe7) break;
          this.copyX(rm, reg);
        } else this.write128(addr, true, this.xmm, d);
        return;
      case 0x70: {
        // PSHUFD
        this.srcX(modrm, addr);
        const imm = h.fetchImm8();
        const s = this.src.u32;
        for (let i = 0; i < 4; i++) x[d + i] = s[(imm >> (2 * i)) & 3];
        return;
      }
      case 0x71:
      case 0x72:
      case 0x73: {
        if (!isReg) break;
        const imm = h.fetchImm8();
        if (!this.shiftImm(op, reg, this.xmm, rm << 4, 16, imm)) break;
        return;
      }
      case 0xc4: {
        const v = isReg ? h.getReg32(rm) & 0xffff : h.readLinear16(addr);
        const imm = h.fetchImm8();
        this.xmm.u16[(reg << 3) + (imm & 7)] = v;
        return;
      }
      case 0xc5: {
        if (!isReg) break;
        const imm = h.fetchImm8();
        h.setReg32(reg, this.xmm.u16[(rm << 3) + (imm & 7)]);
        return;
      }
      case 0xd6: // MOVQ xmm/m64, xmm
        if (isReg) {
          x[rm << 2] = x[d];
          x[(rm << 2) + 1] = x[d + 1];
          x[(rm << 2) + 2] = 0;
          x[(rm << 2) + 3] = 0;
        } else this.write64(addr, x[d], x[d + 1]);
        return;
      case 0xd7: {
        if (!isReg) break;
        let v = 0;
        for (let i = 0; i < 16; i++) v |= (this.xmm.u8[(rm << 4) + i] >> 7) << i;
        h.setReg32(reg, v);
        return;
      }
      case 0xe6: {
        // CVTTPD2DQ
        this.srcX(modrm, addr);
        const s = this.src.u32;
        const a = this.fp.toInt32(s[0], s[1], true, true);
        const b = this.fp.toInt32(s[2], s[3], true, true);
        this.finishFp();
        x[d] = a;
        x[d + 1] = b;
        x[d + 2] = 0;
        x[d + 3] = 0;
        return;
      }
      case 0xf7:
        if (!isReg) break;
        this.maskMove(this.xmm, reg << 4, rm << 4, 16);
        return;
      case 0x77:
      case 0xd0:
      case 0x78:
      case 0x79:
      case 0x7a:
      case 0x7b:
      case 0x7c:
      case 0x7d:
        break;
      default:
        this.srcX(modrm, addr);
        if (!this.intOp(op, this.xmm, reg << 4, 16)) break;
        return;
    }
    h.raiseException(EXC_UD);
  }

  private pshufHalf(reg: number, modrm: number, addr: number, half: number): void {
    this.srcX(modrm, addr);
    const imm = this.host.fetchImm8();
    const s = this.src.u16;
    const w = this.xmm.u16;
    const b = reg << 3;
    const other = half === 0 ? 4 : 0;
    for (let i = 0; i < 4; i++) w[b + half + i] = s[half + ((imm >> (2 * i)) & 3)];
    for (let i = 0; i < 4; i++) w[b + other + i] = s[other + i];
  }

  /** MASKMOVQ/MASKMOVDQU: stores bytes of register `data` whose mask byte has bit 7 set. */
  private maskMove(L: Lanes, data: number, mask: number, n: number): void {
    const h = this.host;
    const base = h.maskMoveAddress ? h.maskMoveAddress() : h.getReg32(7);
    for (let i = 0; i < n; i++) {
      if (L.u8[mask + i] & 0x80) h.writeLinear8((base + i) >>> 0, L.u8[data + i]);
    }
  }

  /** Group 12/13/14 immediate shifts. Returns false for undefined /reg values. */
  private shiftImm(op: number, reg: number, L: Lanes, d: number, n: number, count: number): boolean {
    if (op === 0x71 || op === 0x72) {
      const bits = op === 0x71 ? 16 : 32;
      if (reg === 2) this.shift(L, d, n, bits, 0, count);
      else if (reg === 4) this.shift(L, d, n, bits, 1, count);
      else if (reg === 6) this.shift(L, d, n, bits, 2, count);
      else return false;
      return true;
    }
    switch (reg) {
      case 2:
        this.shift(L, d, n, 64, 0, count);
        return true;
      case 6:
        this.shift(L, d, n, 64, 2, count);
        return true;
      case 3: // PSRLDQ
      case 7: {
        // PSLLDQ
        if (n !== 16) return false;
        const c = count > 16 ? 16 : count;
        const t = this.tmp.u8;
        for (let i = 0; i < 16; i++) t[i] = L.u8[d + i];
        for (let i = 0; i < 16; i++) {
          const j = reg === 3 ? i + c : i - c;
          L.u8[d + i] = j >= 0 && j < 16 ? t[j] : 0;
        }
        return true;
      }
    }
    return false;
  }

  /** Shifts elements of `bits` (16/32/64) by count: kind 0 logical right, 1 arithmetic right, 2 left. */
  private shift(L: Lanes, d: number, n: number, bits: number, kind: number, count: number): void {
    if (bits === 16) {
      const b = d >> 1;
      for (let i = 0; i < n >> 1; i++) {
        if (kind === 1) L.i16[b + i] = L.i16[b + i] >> (count > 15 ? 15 : count);
        else if (count > 15) L.u16[b + i] = 0;
        else L.u16[b + i] = kind === 0 ? L.u16[b + i] >>> count : L.u16[b + i] << count;
      }
    } else if (bits === 32) {
      const b = d >> 2;
      for (let i = 0; i < n >> 2; i++) {
        if (kind === 1) L.i32[b + i] = L.i32[b + i] >> (count > 31 ? 31 : count);
        else if (count > 31) L.u32[b + i] = 0;
        else L.u32[b + i] = kind === 0 ? L.u32[b + i] >>> count : L.u32[b + i] << count;
      }
    } else {
      const b = d >> 2;
      for (let i = 0; i < n >> 2; i += 2) {
        const lo = L.u32[b + i];
        const hi = L.u32[b + i + 1];
        let nlo: number, nhi: number;
        if (count > 63) {
          nlo = 0;
          nhi = 0;
        } else if (count === 0) {
          nlo = lo;
          nhi = hi;
        } else if (kind === 0) {
          if (count >= 32) {
            nlo = hi >>> (count - 32);
            nhi = 0;
          } else {
            nlo = (lo >>> count) | (hi << (32 - count));
            nhi = hi >>> count;
          }
        } else if (count >= 32) {
          nhi = lo << (count - 32);
          nlo = 0;
        } else {
          nhi = (hi << count) | (lo >>> (32 - count));
          nlo = lo << count;
        }
        L.u32[b + i] = nlo;
        L.u32[b + i + 1] = nhi;
      }
    }
  }

  /** Shift count from the source operand's low 64 bits (anything >= 2^32 counts as huge). */
  private srcCount(): number {
    const s = this.src.u32;
    return s[1] !== 0 || s[0] > 255 ? 255 : s[0];
  }

  /** Element-wise integer operations: destination L at byte offset d (n = 8 or 16 bytes), source in
   *  src. Returns false when `op` is not one of them. */
  private intOp(op: number, L: Lanes, d: number, n: number): boolean {
    const S = this.src;
    const T = this.tmp;
    const b8 = d, b16 = d >> 1, b32 = d >> 2;
    const n16 = n >> 1, n32 = n >> 2;
    switch (op) {
      // Unpack low/high: interleave destination and source elements.
      case 0x60:
      case 0x61:
      case 0x62:
      case 0x6c:
      case 0x68:
      case 0x69:
      case 0x6a:
      case 0x6d: {
        this.copyToTmp(L, d, n);
        const high = op >= 0x68 && op !== 0x6c;
        const size = op === 0x60 || op === 0x68 ? 1 : op === 0x61 || op === 0x69 ? 2 : op === 0x62 || op === 0x6a ? 4 : 8;
        const half = n >> 1;
        const start = high ? half : 0;
        let o = 0;
        for (let i = 0; i < half; i += size) {
          for (let k = 0; k < size; k++) L.u8[b8 + o++] = T.u8[start + i + k];
          for (let k = 0; k < size; k++) L.u8[b8 + o++] = S.u8[start + i + k];
        }
        return true;
      }
      case 0x63: // PACKSSWB
      case 0x67: {
        // PACKUSWB
        this.copyToTmp(L, d, n);
        const sat = op === 0x63 ? satS8 : satU8;
        for (let i = 0; i < n16; i++) L.u8[b8 + i] = sat(T.i16[i]);
        for (let i = 0; i < n16; i++) L.u8[b8 + n16 + i] = sat(S.i16[i]);
        return true;
      }
      case 0x6b: {
        // PACKSSDW
        this.copyToTmp(L, d, n);
        for (let i = 0; i < n32; i++) L.i16[b16 + i] = satS16(T.i32[i]);
        for (let i = 0; i < n32; i++) L.i16[b16 + n32 + i] = satS16(S.i32[i]);
        return true;
      }
      case 0x64:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = L.i8[b8 + i] > S.i8[i] ? 0xff : 0;
        return true;
      case 0x65:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = L.i16[b16 + i] > S.i16[i] ? 0xffff : 0;
        return true;
      case 0x66:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.i32[b32 + i] > S.i32[i] ? 0xffffffff : 0;
        return true;
      case 0x74:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = L.u8[b8 + i] === S.u8[i] ? 0xff : 0;
        return true;
      case 0x75:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = L.u16[b16 + i] === S.u16[i] ? 0xffff : 0;
        return true;
      case 0x76:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] === S.u32[i] ? 0xffffffff : 0;
        return true;
      // Shifts by a register/memory count.
      case 0xd1:
        this.shift(L, d, n, 16, 0, this.srcCount());
        return true;
      case 0xd2:
        this.shift(L, d, n, 32, 0, this.srcCount());
        return true;
      case 0xd3:
        this.shift(L, d, n, 64, 0, this.srcCount());
        return true;
      case 0xe1:
        this.shift(L, d, n, 16, 1, this.srcCount());
        return true;
      case 0xe2:
        this.shift(L, d, n, 32, 1, this.srcCount());
        return true;
      case 0xf1:
        this.shift(L, d, n, 16, 2, this.srcCount());
        return true;
      case 0xf2:
        this.shift(L, d, n, 32, 2, this.srcCount());
        return true;
      case 0xf3:
        this.shift(L, d, n, 64, 2, this.srcCount());
        return true;
      // Add/subtract.
      case 0xfc:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = L.u8[b8 + i] + S.u8[i];
        return true;
      case 0xfd:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = L.u16[b16 + i] + S.u16[i];
        return true;
      case 0xfe:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] + S.u32[i];
        return true;
      case 0xd4: // PADDQ
      case 0xfb: {
        // PSUBQ
        for (let i = 0; i < n32; i += 2) {
          const alo = L.u32[b32 + i], ahi = L.u32[b32 + i + 1];
          const blo = S.u32[i], bhi = S.u32[i + 1];
          if (op === 0xd4) {
            const lo = alo + blo;
            L.u32[b32 + i] = lo;
            L.u32[b32 + i + 1] = ahi + bhi + (lo > 0xffffffff ? 1 : 0);
          } else {
            const lo = alo - blo;
            L.u32[b32 + i] = lo;
            L.u32[b32 + i + 1] = ahi - bhi - (lo < 0 ? 1 : 0);
          }
        }
        return true;
      }
      case 0xf8:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = L.u8[b8 + i] - S.u8[i];
        return true;
      case 0xf9:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = L.u16[b16 + i] - S.u16[i];
        return true;
      case 0xfa:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] - S.u32[i];
        return true;
      case 0xec:
        for (let i = 0; i < n; i++) L.i8[b8 + i] = satS8(L.i8[b8 + i] + S.i8[i]);
        return true;
      case 0xed:
        for (let i = 0; i < n16; i++) L.i16[b16 + i] = satS16(L.i16[b16 + i] + S.i16[i]);
        return true;
      case 0xdc:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = satU8(L.u8[b8 + i] + S.u8[i]);
        return true;
      case 0xdd:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = satU16(L.u16[b16 + i] + S.u16[i]);
        return true;
      case 0xe8:
        for (let i = 0; i < n; i++) L.i8[b8 + i] = satS8(L.i8[b8 + i] - S.i8[i]);
        return true;
      case 0xe9:
        for (let i = 0; i < n16; i++) L.i16[b16 + i] = satS16(L.i16[b16 + i] - S.i16[i]);
        return true;
      case 0xd8:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = satU8(L.u8[b8 + i] - S.u8[i]);
        return true;
      case 0xd9:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = satU16(L.u16[b16 + i] - S.u16[i]);
        return true;
      // Multiplies.
      case 0xd5:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = Math.imul(L.i16[b16 + i], S.i16[i]);
        return true;
      case 0xe5:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = (L.i16[b16 + i] * S.i16[i]) >> 16;
        return true;
      case 0xe4:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = (L.u16[b16 + i] * S.u16[i]) >>> 16;
        return true;
      case 0xf4: {
        // PMULUDQ
        for (let i = 0; i < n32; i += 2) {
          const a = L.u32[b32 + i];
          const c = S.u32[i];
          L.u32[b32 + i] = Math.imul(a, c);
          L.u32[b32 + i + 1] = mulHiU32(a, c);
        }
        return true;
      }
      case 0xf5: {
        // PMADDWD
        this.copyToTmp(L, d, n);
        for (let i = 0; i < n32; i++) {
          L.i32[b32 + i] = (T.i16[2 * i] * S.i16[2 * i] + T.i16[2 * i + 1] * S.i16[2 * i + 1]) | 0;
        }
        return true;
      }
      case 0xf6: {
        // PSADBW
        for (let q = 0; q < n; q += 8) {
          let sum = 0;
          for (let k = 0; k < 8; k++) sum += Math.abs(L.u8[b8 + q + k] - S.u8[q + k]);
          L.u32[b32 + (q >> 2)] = sum;
          L.u32[b32 + (q >> 2) + 1] = 0;
        }
        return true;
      }
      // Logic.
      case 0xdb:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] & S.u32[i];
        return true;
      case 0xdf:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = ~L.u32[b32 + i] & S.u32[i];
        return true;
      case 0xeb:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] | S.u32[i];
        return true;
      case 0xef:
        for (let i = 0; i < n32; i++) L.u32[b32 + i] = L.u32[b32 + i] ^ S.u32[i];
        return true;
      // SSE integer additions.
      case 0xe0:
        for (let i = 0; i < n; i++) L.u8[b8 + i] = (L.u8[b8 + i] + S.u8[i] + 1) >> 1;
        return true;
      case 0xe3:
        for (let i = 0; i < n16; i++) L.u16[b16 + i] = (L.u16[b16 + i] + S.u16[i] + 1) >> 1;
        return true;
      case 0xda:
        for (let i = 0; i < n; i++) if (S.u8[i] < L.u8[b8 + i]) L.u8[b8 + i] = S.u8[i];
        return true;
      case 0xde:
        for (let i = 0; i < n; i++) if (S.u8[i] > L.u8[b8 + i]) L.u8[b8 + i] = S.u8[i];
        return true;
      case 0xea:
        for (let i = 0; i < n16; i++) if (S.i16[i] < L.i16[b16 + i]) L.i16[b16 + i] = S.i16[i];
        return true;
      case 0xee:
        for (let i = 0; i < n16; i++) if (S.i16[i] > L.i16[b16 + i]) L.i16[b16 + i] = S.i16[i];
        return true;
    }
    return false;
  }

  // ---- State --------------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<Simd>("simd", 1, {
    xmm: typed(Uint32Array, 32, { get: (s: Simd) => s.xmm.u32, set: (s: Simd, v: Uint32Array) => s.xmm.u32.set(v) }),
    mxcsr: range(0, MXCSR_MASK, { in: "fp" }),
  });

  saveState(): SavedState {
    return Simd.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Simd.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Simd.STATE.load(this, state);
    this.fp.flags = 0;
  }
}
