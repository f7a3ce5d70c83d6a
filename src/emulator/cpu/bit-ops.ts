// Bit instructions: BT/BTS/BTR/BTC (register bit offsets reach beyond the memory operand), group 8
// with an immediate offset, BSF/BSR.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { CF, ZF, materializeFlags } from "./flags.ts";
import { decodeModrm, readE16, readE16m, readE32, readE32m, readG16, readG32, writeE16, writeE32 } from "./modrm.ts";
import { checkEaAt } from "./seg-limits.ts";

/** op: 0 BT, 1 BTS, 2 BTR, 3 BTC. `offset` is the (signed for memory) bit offset. */
function bitOp(c: CPU, op: number, offset: number, fromRegister: boolean): void {
  const o32 = c.o32;
  const bits = o32 ? 32 : 16;
  let v: number;
  let addr = 0;
  const isReg = c.modrm >= 0xc0;
  if (!isReg && fromRegister) {
    // The bit offset selects a different word/dword relative to the operand.
    const words = o32 ? offset >> 5 : ((offset << 16) >> 16) >> 4;
    checkEaAt(c, words * (bits >> 3), bits >> 3, op !== 0);
    addr = (c.ea + words * (bits >> 3)) | 0;
    v = o32 ? c.rd32(addr) : c.rd16(addr);
  } else {
    addr = c.ea;
    // BTS/BTR/BTC write the operand: checked for the write before anything changes.
    v = op !== 0 ? (o32 ? readE32m(c) : readE16m(c)) : o32 ? readE32(c) : readE16(c);
  }
  const bit = offset & (bits - 1);
  const cf = (v >>> bit) & 1;
  materializeFlags(c);
  c.flags = (c.flags & ~CF) | cf;
  if (op === 0) return;
  const m = 1 << bit;
  const r = op === 1 ? v | m : op === 2 ? v & ~m : v ^ m;
  if (isReg) {
    if (o32) writeE32(c, r);
    else writeE16(c, r & 0xffff);
  } else if (o32) c.wr32(addr, r);
  else c.wr16(addr, r);
}

export function installBitOps0F(t: Handler[]): void {
  const withReg = (op: number): Handler => (c) => {
    decodeModrm(c);
    bitOp(c, op, c.o32 ? readG32(c) : readG16(c), true);
  };
  t[0xa3] = withReg(0);
  t[0xab] = withReg(1);
  t[0xb3] = withReg(2);
  t[0xbb] = withReg(3);
  t[0xba] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    if (op < 4) c.ud();
    bitOp(c, op - 4, c.fetch8(), false);
  };
  t[0xbc] = (c) => {
    decodeModrm(c);
    const v = c.o32 ? readE32(c) : readE16(c);
    materializeFlags(c);
    if (v === 0) {
      c.flags |= ZF;
      return;
    }
    c.flags &= ~ZF;
    const idx = 31 - Math.clz32(v & -v);
    if (c.o32) c.r32[(c.modrm >> 3) & 7] = idx;
    else c.r16[((c.modrm >> 3) & 7) << 1] = idx;
  };
  t[0xbd] = (c) => {
    decodeModrm(c);
    const v = c.o32 ? readE32(c) : readE16(c);
    materializeFlags(c);
    if (v === 0) {
      c.flags |= ZF;
      return;
    }
    c.flags &= ~ZF;
    const idx = 31 - Math.clz32(v);
    if (c.o32) c.r32[(c.modrm >> 3) & 7] = idx;
    else c.r16[((c.modrm >> 3) & 7) << 1] = idx;
  };
}
