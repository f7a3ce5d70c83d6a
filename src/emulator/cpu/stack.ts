// Stack instructions: PUSH/POP (registers, immediates, memory, segment registers), PUSHA/POPA,
// PUSHF/POPF with the IOPL/VM rules, ENTER/LEAVE.

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { CS, DS, EBP, ES, ESP, FS, GS, SS } from "./constants.ts";
import { AC, ID, IF, IOPL, RF, VIF, VIP, VM } from "./flags.ts";
import { decodeModrm, writeE16, writeE32 } from "./modrm.ts";
import { writeSegment } from "./data-move.ts";
import { checkSegRead, checkStackSpan } from "./seg-limits.ts";

export function pushV(c: CPU, v: number): void {
  if (c.o32) c.push32(v);
  else c.push16(v);
}

/** The EFLAGS image PUSHF stores (VM and RF read as 0). */
function pushfImage(c: CPU): number {
  return c.getEflags() & ~(VM | RF);
}

/** POPF/IRET-in-vm86 rules for loading EFLAGS from the stack. */
export function popfLoad(c: CPU, v: number, o32: boolean): void {
  const old = c.getEflags();
  let changeable = 0x3f7fd5 & ~(VM | RF | VIF | VIP); // all implemented flags but VM/RF/VIF/VIP
  if ((c.flags & VM) !== 0) {
    changeable &= ~IOPL;
  } else if ((c.cr0 & 1) !== 0) {
    if (c.cpl > 0) changeable &= ~IOPL;
    if (c.cpl > (old & IOPL) >>> 12) changeable &= ~IF;
  }
  if (!o32) changeable &= 0xffff;
  c.setEflags((old & ~changeable) | (v & changeable));
}

export function installStack(t: Handler[]): void {
  for (let r = 0; r < 8; r++) {
    t[0x50 + r] = (c) => {
      if (c.o32) c.push32(c.r32[r]);
      else c.push16(c.r16[r << 1]);
    };
    t[0x58 + r] = (c) => {
      if (c.o32) {
        const v = c.pop32();
        c.r32[r] = v;
      } else {
        const v = c.pop16();
        c.r16[r << 1] = v;
      }
    };
  }
  t[0x68] = (c) => {
    if (c.o32) c.push32(c.fetch32());
    else c.push16(c.fetch16());
  };
  t[0x6a] = (c) => pushV(c, c.fetchS8());
  const pushSeg = (seg: number): Handler => (c) => pushV(c, c.segSel[seg]);
  const popSeg = (seg: number): Handler => (c) => {
    const v = c.o32 ? c.peek32(0) & 0xffff : c.peek16(0);
    writeSegment(c, seg, v);
    c.addSp(c.o32 ? 4 : 2);
  };
  t[0x06] = pushSeg(ES);
  t[0x07] = popSeg(ES);
  t[0x0e] = pushSeg(CS);
  t[0x16] = pushSeg(SS);
  t[0x17] = popSeg(SS);
  t[0x1e] = pushSeg(DS);
  t[0x1f] = popSeg(DS);
  t[0x60] = (c) => {
    const n = c.o32 ? 32 : 16;
    checkStackSpan(c, (c.r32[ESP] - n) & c.stackMask, n);
    c.probeWrite((c.segBase[SS] + ((c.r32[ESP] - n) & c.stackMask)) | 0, n);
    const sp = c.r32[ESP];
    for (let r = 0; r < 8; r++) {
      if (c.o32) c.push32(r === ESP ? sp : c.r32[r]);
      else c.push16(r === ESP ? sp : c.r16[r << 1]);
    }
  };
  t[0x61] = (c) => {
    const n = c.o32 ? 32 : 16;
    checkStackSpan(c, c.r32[ESP] & c.stackMask, n);
    c.probeRead((c.segBase[SS] + (c.r32[ESP] & c.stackMask)) | 0, n);
    for (let r = 7; r >= 0; r--) {
      if (c.o32) {
        const v = c.pop32();
        if (r !== ESP) c.r32[r] = v;
      } else {
        const v = c.pop16();
        if (r !== ESP) c.r16[r << 1] = v;
      }
    }
  };
  t[0x9c] = (c) => {
    if ((c.flags & VM) !== 0 && (c.flags & IOPL) !== IOPL) c.gp(0);
    if (c.o32) c.push32(pushfImage(c));
    else c.push16(pushfImage(c));
  };
  t[0x9d] = (c) => {
    if ((c.flags & VM) !== 0 && (c.flags & IOPL) !== IOPL) c.gp(0);
    const v = c.o32 ? c.pop32() : c.pop16();
    popfLoad(c, v, c.o32);
  };
  t[0x8f] = (c) => {
    // POP Ev: the address is computed after ESP has been incremented.
    const size = c.o32 ? 4 : 2;
    const v = c.o32 ? c.peek32(0) : c.peek16(0);
    const oldEsp = c.r32[ESP];
    c.addSp(size);
    try {
      decodeModrm(c);
      if (((c.modrm >> 3) & 7) !== 0) c.ud();
      if (c.o32) writeE32(c, v);
      else writeE16(c, v);
    } catch (e) {
      c.r32[ESP] = oldEsp;
      throw e;
    }
  };
  t[0xc8] = (c) => {
    const size = c.fetch16();
    const level = c.fetch8() & 31;
    const o32 = c.o32;
    const w = o32 ? 4 : 2;
    const mask = c.stackMask;
    const ssBase = c.segBase[SS];
    // Check the whole new frame first so that a fault leaves no partial state: the pushes, the
    // outer frame pointers copied from [EBP], and the new ESP (the SDM's #SS(0) for ENTER).
    const total = w * (1 + level);
    if (c.segCheck[SS] !== 0) {
      checkStackSpan(c, (c.r32[ESP] - total) & mask, total);
      if (level > 1) checkStackSpan(c, (c.r32[EBP] - w * (level - 1)) & mask, w * (level - 1));
      checkSegRead(c, SS, (c.r32[ESP] - total - size) & mask, w, 1);
    }
    c.probeWrite((ssBase + ((c.r32[ESP] - total) & mask)) | 0, total);
    pushV(c, c.r32[EBP]);
    const frame = c.r32[ESP] & mask;
    let bp = c.r32[EBP];
    for (let i = 1; i < level; i++) {
      bp = (bp - w) & mask;
      const v = o32 ? c.rd32((ssBase + bp) | 0) : c.rd16((ssBase + bp) | 0);
      pushV(c, v);
    }
    if (level > 0) pushV(c, frame);
    // The operand size (not the stack size) says whether EBP or only BP receives the frame pointer.
    if (o32) c.r32[EBP] = frame;
    else c.r16[EBP << 1] = frame;
    c.setSp((c.r32[ESP] - size) & mask);
  };
  t[0xc9] = (c) => {
    const bp = c.r32[EBP] & c.stackMask;
    if (c.segCheck[SS] !== 0) checkSegRead(c, SS, bp, c.o32 ? 4 : 2);
    const v = c.o32 ? c.rd32((c.segBase[SS] + bp) | 0) : c.rd16((c.segBase[SS] + bp) | 0);
    c.setSp((bp + (c.o32 ? 4 : 2)) & c.stackMask);
    if (c.o32) c.r32[EBP] = v;
    else c.r16[EBP << 1] = v;
  };
  void AC; void ID; void DS;
}

export function installStack0F(t: Handler[]): void {
  const pushSeg = (seg: number): Handler => (c) => pushV(c, c.segSel[seg]);
  const popSeg = (seg: number): Handler => (c) => {
    const v = c.o32 ? c.peek32(0) & 0xffff : c.peek16(0);
    writeSegment(c, seg, v);
    c.addSp(c.o32 ? 4 : 2);
  };
  t[0xa0] = pushSeg(FS);
  t[0xa1] = popSeg(FS);
  t[0xa8] = pushSeg(GS);
  t[0xa9] = popSeg(GS);
}
