// Data movement: MOV in all forms (registers, memory, immediates, segment registers, moffs), LEA,
// XCHG, XLAT, LAHF/SAHF, CBW/CWDE/CWD/CDQ, far-pointer loads (LDS/LES/LSS/LFS/LGS), MOVZX/MOVSX,
// CMOVcc, BSWAP, XADD, CMPXCHG, CMPXCHG8B, MOVNTI.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { CS, DS, EAX, EBX, ECX, EDX, ES, FS, GS, SS, REG8_INDEX } from "./constants.ts";
import { ZF, AF, CF, PF, SF, materializeFlags, setSubFlags, testCondition, getCF } from "./flags.ts";
import { loadSegment } from "./segmentation.ts";
import {
  checkE, checkEW, decodeAddress, decodeModrm, readE16, readE16m, readE32, readE32m, readE8, readE8m, readG16, readG32, readG8, segAddress, writeE16, writeE32, writeE8, writeG16,
  writeG32, writeG8,
} from "./modrm.ts";

/** MOV to a segment register (or POP), with the interrupt shadow after SS. */
export function writeSegment(c: CPU, seg: number, sel: number): void {
  loadSegment(c, seg, sel);
  if (seg === SS) {
    c.shadow = true;
    c.eventPending = true;
  }
}

function loadFarPointer(c: CPU, seg: number): void {
  decodeModrm(c);
  if (c.modrm >= 0xc0) c.ud();
  // A 16:32 far pointer is aligned like a dword, a 16:16 one like a word (#AC, SDM 6.15).
  checkE(c, c.o32 ? 6 : 4, c.o32 ? 4 : 2);
  if (c.o32) {
    const off = c.rd32(c.ea);
    const sel = c.rd16((c.ea + 4) | 0);
    loadSegment(c, seg, sel);
    writeG32(c, off);
  } else {
    const off = c.rd16(c.ea);
    const sel = c.rd16((c.ea + 2) | 0);
    loadSegment(c, seg, sel);
    writeG16(c, off);
  }
}

export function installDataMove(t: Handler[]): void {
  t[0x88] = (c) => {
    decodeModrm(c);
    writeE8(c, readG8(c));
  };
  t[0x89] = (c) => {
    const m = c.fetch8();
    c.modrm = m;
    if (c.o32) {
      if (m >= 0xc0) c.r32[m & 7] = c.r32[(m >> 3) & 7];
      else {
        decodeAddress(c, m);
        checkEW(c, 4);
        c.wr32(c.ea, c.r32[(m >> 3) & 7]);
      }
    } else {
      if (m < 0xc0) decodeAddress(c, m);
      writeE16(c, readG16(c));
    }
  };
  t[0x8a] = (c) => {
    decodeModrm(c);
    writeG8(c, readE8(c));
  };
  t[0x8b] = (c) => {
    const m = c.fetch8();
    c.modrm = m;
    if (c.o32) {
      if (m >= 0xc0) c.r32[(m >> 3) & 7] = c.r32[m & 7];
      else {
        decodeAddress(c, m);
        checkE(c, 4);
        c.r32[(m >> 3) & 7] = c.rd32(c.ea);
      }
    } else {
      if (m < 0xc0) decodeAddress(c, m);
      writeG16(c, readE16(c));
    }
  };
  t[0x8c] = (c) => {
    decodeModrm(c);
    const s = (c.modrm >> 3) & 7;
    if (s > 5) c.ud();
    if (c.modrm >= 0xc0 && c.o32) c.r32[c.modrm & 7] = c.segSel[s];
    else writeE16(c, c.segSel[s]);
  };
  t[0x8e] = (c) => {
    decodeModrm(c);
    const s = (c.modrm >> 3) & 7;
    if (s > 5 || s === CS) c.ud();
    writeSegment(c, s, readE16(c));
  };
  t[0x8d] = (c) => {
    decodeModrm(c);
    if (c.modrm >= 0xc0) c.ud();
    if (c.o32) writeG32(c, c.eaOff);
    else writeG16(c, c.eaOff);
  };
  // MOV AL/eAX <-> moffs
  const moffs = (c: CPU, size: number, write = false): number => segAddress(c, DS, c.a32 ? c.fetch32() : c.fetch16(), size, write);
  t[0xa0] = (c) => { c.r8[0] = c.rd8(moffs(c, 1)); };
  t[0xa1] = (c) => {
    const a = moffs(c, c.o32 ? 4 : 2);
    if (c.o32) c.r32[EAX] = c.rd32(a);
    else c.r16[0] = c.rd16(a);
  };
  t[0xa2] = (c) => { c.wr8(moffs(c, 1, true), c.r8[0]); };
  t[0xa3] = (c) => {
    const a = moffs(c, c.o32 ? 4 : 2, true);
    if (c.o32) c.wr32(a, c.r32[EAX]);
    else c.wr16(a, c.r16[0]);
  };
  for (let r = 0; r < 8; r++) {
    const i8 = REG8_INDEX[r];
    t[0xb0 + r] = (c) => { c.r8[i8] = c.fetch8(); };
    t[0xb8 + r] = (c) => {
      if (c.o32) c.r32[r] = c.fetch32();
      else c.r16[r << 1] = c.fetch16();
    };
  }
  t[0xc6] = (c) => {
    decodeModrm(c);
    if ((c.modrm & 0x38) !== 0) c.ud();
    writeE8(c, c.fetch8());
  };
  t[0xc7] = (c) => {
    decodeModrm(c);
    if ((c.modrm & 0x38) !== 0) c.ud();
    if (c.o32) writeE32(c, c.fetch32());
    else writeE16(c, c.fetch16());
  };
  // XCHG
  t[0x86] = (c) => {
    decodeModrm(c);
    const a = readE8(c);
    writeE8(c, readG8(c));
    writeG8(c, a);
  };
  t[0x87] = (c) => {
    decodeModrm(c);
    if (c.o32) {
      const a = readE32(c);
      writeE32(c, readG32(c));
      writeG32(c, a);
    } else {
      const a = readE16(c);
      writeE16(c, readG16(c));
      writeG16(c, a);
    }
  };
  t[0x90] = () => {}; // NOP (and PAUSE with F3)
  for (let r = 1; r < 8; r++) {
    t[0x90 + r] = (c) => {
      if (c.o32) {
        const v = c.r32[r];
        c.r32[r] = c.r32[EAX];
        c.r32[EAX] = v;
      } else {
        const v = c.r16[r << 1];
        c.r16[r << 1] = c.r16[0];
        c.r16[0] = v;
      }
    };
  }
  t[0x98] = (c) => {
    if (c.o32) c.r32[EAX] = (c.r32[EAX] << 16) >> 16;
    else c.r16[0] = (c.r8[0] << 24) >> 24;
  };
  t[0x99] = (c) => {
    if (c.o32) c.r32[EDX] = c.r32[EAX] >> 31;
    else c.r16[EDX << 1] = (c.r16[0] & 0x8000) !== 0 ? 0xffff : 0;
  };
  t[0x9e] = (c) => {
    // SAHF: SF ZF AF PF CF from AH.
    materializeFlags(c);
    const m = SF | ZF | AF | PF | CF;
    c.flags = (c.flags & ~m) | (c.r8[1] & m);
  };
  t[0x9f] = (c) => { c.r8[1] = c.getEflags() & 0xff; };
  t[0xd7] = (c) => {
    const off = c.a32 ? (c.r32[EBX] + c.r8[0]) | 0 : (c.r16[EBX << 1] + c.r8[0]) & 0xffff;
    c.r8[0] = c.rd8(segAddress(c, DS, off, 1));
  };
  t[0xd6] = (c) => { c.r8[0] = getCF(c) ? 0xff : 0; }; // SALC
  t[0xc4] = (c) => loadFarPointer(c, ES);
  t[0xc5] = (c) => loadFarPointer(c, DS);
}

/** Two-byte-map (0F xx) data-movement opcodes, indexed by the second byte. */
export function installDataMove0F(t: Handler[]): void {
  t[0xb2] = (c) => {
    loadFarPointer(c, SS);
  };
  t[0xb4] = (c) => loadFarPointer(c, FS);
  t[0xb5] = (c) => loadFarPointer(c, GS);
  t[0xb6] = (c) => {
    decodeModrm(c);
    const v = readE8(c);
    if (c.o32) writeG32(c, v);
    else writeG16(c, v);
  };
  t[0xb7] = (c) => {
    decodeModrm(c);
    const v = readE16(c);
    if (c.o32) writeG32(c, v);
    else writeG16(c, v);
  };
  t[0xbe] = (c) => {
    decodeModrm(c);
    const v = (readE8(c) << 24) >> 24;
    if (c.o32) writeG32(c, v);
    else writeG16(c, v);
  };
  t[0xbf] = (c) => {
    decodeModrm(c);
    const v = (readE16(c) << 16) >> 16;
    if (c.o32) writeG32(c, v);
    else writeG16(c, v);
  };
  for (let cc = 0; cc < 16; cc++) {
    t[0x40 + cc] = (c) => {
      decodeModrm(c);
      // The source is read (and may fault) whether or not the condition holds.
      if (c.o32) {
        const v = readE32(c);
        if (testCondition(c, cc)) writeG32(c, v);
      } else {
        const v = readE16(c);
        if (testCondition(c, cc)) writeG16(c, v);
      }
    };
  }
  for (let r = 0; r < 8; r++) {
    t[0xc8 + r] = (c) => {
      const v = c.r32[r];
      if (c.o32) c.r32[r] = (v >>> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
      else c.r16[r << 1] = 0; // BSWAP with a 16-bit operand is undefined; P6 clears the low word
    };
  }
  // XADD: SRC := DEST, then DEST := SUM, so `xadd r, r` leaves the sum. A memory destination is
  // written first so that a faulting store leaves the register untouched.
  t[0xc0] = (c) => {
    decodeModrm(c);
    const a = readE8(c), b = readG8(c);
    const r = (a + b) & 0xff;
    if (c.modrm >= 0xc0) writeG8(c, a);
    writeE8(c, r);
    if (c.modrm < 0xc0) writeG8(c, a);
    addFlags(c, a, b, r, 7);
  };
  t[0xc1] = (c) => {
    decodeModrm(c);
    if (c.o32) {
      const a = readE32(c), b = readG32(c);
      const r = (a + b) | 0;
      if (c.modrm >= 0xc0) writeG32(c, a);
      writeE32(c, r);
      if (c.modrm < 0xc0) writeG32(c, a);
      addFlags(c, a, b, r, 31);
    } else {
      const a = readE16(c), b = readG16(c);
      const r = (a + b) & 0xffff;
      if (c.modrm >= 0xc0) writeG16(c, a);
      writeE16(c, r);
      if (c.modrm < 0xc0) writeG16(c, a);
      addFlags(c, a, b, r, 15);
    }
  };
  // CMPXCHG: compare accumulator with Ev; equal -> Ev = Gv, else accumulator = Ev. The destination
  // is written in both cases (as the bus cycle does).
  t[0xb0] = (c) => {
    decodeModrm(c);
    const d = readE8m(c);
    const a = c.r8[0];
    setSubFlags(c, a, d, (a - d) & 0xff, 7);
    if (a === d) writeE8(c, readG8(c));
    else {
      writeE8(c, d);
      c.r8[0] = d;
    }
  };
  t[0xb1] = (c) => {
    decodeModrm(c);
    if (c.o32) {
      const d = readE32m(c);
      const a = c.r32[EAX];
      setSubFlags(c, a, d, (a - d) | 0, 31);
      if (a === d) writeE32(c, readG32(c));
      else {
        writeE32(c, d);
        c.r32[EAX] = d;
      }
    } else {
      const d = readE16m(c);
      const a = c.r16[0];
      setSubFlags(c, a, d, (a - d) & 0xffff, 15);
      if (a === d) writeE16(c, readG16(c));
      else {
        writeE16(c, d);
        c.r16[0] = d;
      }
    }
  };
  // Group 9: /1 CMPXCHG8B m64.
  t[0xc7] = (c) => {
    decodeModrm(c);
    if (((c.modrm >> 3) & 7) !== 1 || c.modrm >= 0xc0) c.ud();
    checkEW(c, 8);
    const lo = c.rd32(c.ea);
    const hi = c.rd32((c.ea + 4) | 0);
    materializeFlags(c);
    if (lo === c.r32[EAX] && hi === c.r32[EDX]) {
      c.probeWrite(c.ea, 8);
      c.wr32(c.ea, c.r32[EBX]);
      c.wr32((c.ea + 4) | 0, c.r32[ECX]);
      c.flags |= ZF;
    } else {
      c.probeWrite(c.ea, 8);
      c.wr32(c.ea, lo);
      c.wr32((c.ea + 4) | 0, hi);
      c.r32[EAX] = lo;
      c.r32[EDX] = hi;
      c.flags &= ~ZF;
    }
  };
  // MOVNTI m32, r32
  t[0xc3] = (c) => {
    decodeModrm(c);
    if (c.modrm >= 0xc0) c.ud();
    checkEW(c, 4);
    c.wr32(c.ea, readG32(c));
  };
}

function addFlags(c: CPU, a: number, b: number, r: number, shift: number): void {
  c.lfKind = 0;
  c.lfShift = shift;
  c.lfOp1 = a;
  c.lfOp2 = b;
  c.lfRes = r;
  c.lazy = 0x8d5;
}
