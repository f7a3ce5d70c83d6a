// Control transfer: Jcc, JMP, CALL, RET (near and far, with call gates and privilege changes),
// LOOP/JCXZ, INT n/INT3/INTO, IRET, BOUND, SETcc, and group 5 (FF).

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { CS, ECX, ESP, EXC_BP, EXC_BR, EXC_GP, EXC_NP, EXC_OF, EXC_SS, EXC_TS, INT_SOFTWARE, SS } from "./constants.ts";
import { IOPL, VM, getOF, testCondition } from "./flags.ts";
import { deliverInterrupt, iret } from "./interrupts.ts";
import {
  checkCodeTarget, checkStackSegment, descriptorAttr, descriptorBase, descriptorLimit, loadCodeSegment, loadSegmentRealMode, loadStackSegment,
  nullInaccessibleSegments, readDescriptor, readTssStack,
} from "./segmentation.ts";
import { taskSwitch, TASK_CALL, TASK_JMP } from "./task-switch.ts";
import { checkE, decodeModrm, readE16, readE16m, readE32, readE32m, readE8, writeE16, writeE32, writeE8 } from "./modrm.ts";
import { inc, dec } from "./alu.ts";
import { pushV } from "./stack.ts";
import { checkStackSpan, stackSpanFits } from "./seg-limits.ts";

/** #GP(0) unless `eip` lies inside the code segment's limit `limit` (SDM: every near and far
 *  transfer checks its target before it changes anything; sequential fetches are checked in
 *  cpu.ts). */
function checkTarget(c: CPU, eip: number, limit: number): void {
  if (eip >>> 0 > limit) c.gp(0);
}

/** The target of a relative jump from the current EIP (16-bit operand size: masked to 16 bits). */
function relTarget(c: CPU, rel: number): number {
  return c.o32 ? (c.eip + rel) | 0 : (c.eip + rel) & 0xffff;
}

function jumpRel(c: CPU, rel: number): void {
  const t = relTarget(c, rel);
  if (t >>> 0 > c.codeLimit) c.gp(0);
  c.eip = t;
}

/** Near transfer to an absolute EIP (RET, indirect JMP/CALL), after the limit check. */
function jumpAbs(c: CPU, eip: number): void {
  if (eip >>> 0 > c.codeLimit) c.gp(0);
  c.eip = eip;
}

/** Far JMP to sel:offset in any mode. */
export function farJump(c: CPU, sel: number, offset: number): void {
  if (!c.protectedMode) {
    // Real and virtual-8086 mode keep the cached CS limit.
    checkTarget(c, offset, c.codeLimit);
    loadSegmentRealMode(c, CS, sel);
    c.eip = offset;
    return;
  }
  if ((sel & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, sel);
  const hi = c.descHi;
  if ((hi & 0x1000) !== 0) {
    checkCodeTarget(c, sel, hi);
    checkTarget(c, offset, descriptorLimit(c.descLo, hi) >>> 0);
    loadCodeSegment(c, sel, c.cpl);
    c.eip = offset;
    return;
  }
  const type = (hi >>> 8) & 0x1f;
  const dpl = (hi >>> 13) & 3;
  if (type === 0x01 || type === 0x09) {
    if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
    taskSwitch(c, sel, TASK_JMP, -1);
    return;
  }
  if (type === 0x05) {
    if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
    if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
    taskSwitch(c, c.descLo >>> 16, TASK_JMP, -1);
    return;
  }
  if (type !== 0x04 && type !== 0x0c) c.gp(sel & 0xfffc);
  // Call gate: no privilege change for JMP.
  if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
  const target = c.descLo >>> 16;
  const off = type === 0x0c ? (c.descLo & 0xffff) | (hi & 0xffff0000) : c.descLo & 0xffff;
  if ((target & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, target);
  const th = c.descHi;
  const tdpl = (th >>> 13) & 3;
  if ((th & 0x1800) !== 0x1800) c.gp(target & 0xfffc);
  if ((th & 0x400) !== 0 ? tdpl > c.cpl : tdpl !== c.cpl) c.gp(target & 0xfffc);
  if ((th & 0x8000) === 0) c.raise(EXC_NP, target & 0xfffc);
  checkTarget(c, off, descriptorLimit(c.descLo, th) >>> 0);
  loadCodeSegment(c, target, c.cpl);
  c.eip = off;
}

/** Far CALL to sel:offset; pushes the return address with operand size `o32`. */
export function farCall(c: CPU, sel: number, offset: number): void {
  const o32 = c.o32;
  if (!c.protectedMode) {
    const w = o32 ? 4 : 2;
    checkTarget(c, offset, c.codeLimit);
    checkStackSpan(c, (c.r32[ESP] - 2 * w) & c.stackMask, 2 * w);
    c.probeWrite((c.segBase[SS] + ((c.r32[ESP] - 2 * w) & c.stackMask)) | 0, 2 * w);
    pushV(c, c.segSel[CS]);
    pushV(c, c.eip);
    loadSegmentRealMode(c, CS, sel);
    c.eip = offset;
    return;
  }
  if ((sel & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, sel);
  const hi = c.descHi;
  if ((hi & 0x1000) !== 0) {
    checkCodeTarget(c, sel, hi);
    checkTarget(c, offset, descriptorLimit(c.descLo, hi) >>> 0);
    const w = o32 ? 4 : 2;
    checkStackSpan(c, (c.r32[ESP] - 2 * w) & c.stackMask, 2 * w);
    c.probeWrite((c.segBase[SS] + ((c.r32[ESP] - 2 * w) & c.stackMask)) | 0, 2 * w);
    const lo = c.descLo, addr = c.descAddr;
    pushV(c, c.segSel[CS]);
    pushV(c, c.eip);
    c.descLo = lo; c.descHi = hi; c.descAddr = addr;
    loadCodeSegment(c, sel, c.cpl);
    c.eip = offset;
    return;
  }
  const type = (hi >>> 8) & 0x1f;
  const dpl = (hi >>> 13) & 3;
  if (type === 0x01 || type === 0x09) {
    if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
    taskSwitch(c, sel, TASK_CALL, -1);
    return;
  }
  if (type === 0x05) {
    if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
    if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
    taskSwitch(c, c.descLo >>> 16, TASK_CALL, -1);
    return;
  }
  if (type !== 0x04 && type !== 0x0c) c.gp(sel & 0xfffc);
  if (dpl < c.cpl || dpl < (sel & 3)) c.gp(sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
  const gate32 = type === 0x0c;
  const params = hi & 0x1f;
  const target = c.descLo >>> 16;
  const off = gate32 ? (c.descLo & 0xffff) | (hi & 0xffff0000) : c.descLo & 0xffff;
  if ((target & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, target);
  const th = c.descHi, tlo = c.descLo, taddr = c.descAddr;
  const tdpl = (th >>> 13) & 3;
  if ((th & 0x1800) !== 0x1800 || tdpl > c.cpl) c.gp(target & 0xfffc);
  if ((th & 0x8000) === 0) c.raise(EXC_NP, target & 0xfffc);
  checkTarget(c, off, descriptorLimit(tlo, th) >>> 0);
  const w = gate32 ? 4 : 2;
  if ((th & 0x400) === 0 && tdpl < c.cpl) {
    // More privileged: new stack from the TSS, copy the parameters.
    readTssStack(c, tdpl);
    const newSs = c.tssSs, newEsp = c.tssEsp;
    checkStackSegment(c, newSs, tdpl, EXC_TS);
    const sLo = c.descLo, sHi = c.descHi, sAddr = c.descAddr;
    const ssBase = descriptorBase(sLo, sHi);
    const ssMask = (sHi & 0x400000) !== 0 ? -1 : 0xffff;
    const vals = c.scratch;
    let n = 0;
    if (params > 0) checkStackSpan(c, c.r32[ESP] & c.stackMask, params * w);
    // The new stack must hold the whole frame: #SS(new SS) otherwise, before anything changes.
    if (!stackSpanFits(descriptorLimit(sLo, sHi), descriptorAttr(sHi), (newEsp - (4 + params) * w) & ssMask, (4 + params) * w, ssMask)) {
      c.raise(EXC_SS, newSs & 0xfffc);
    }
    vals[n++] = c.segSel[SS];
    vals[n++] = c.r32[ESP];
    for (let i = params - 1; i >= 0; i--) {
      const a = (c.segBase[SS] + ((c.r32[ESP] + i * w) & c.stackMask)) | 0;
      vals[n++] = gate32 ? c.rd32(a) : c.rd16(a);
    }
    vals[n++] = c.segSel[CS];
    vals[n++] = c.eip;
    let sp = newEsp;
    for (let i = 0; i < n; i++) {
      sp = (sp - w) & ssMask;
      if (gate32) c.sysWr32((ssBase + sp) | 0, vals[i]);
      else c.sysWr16((ssBase + sp) | 0, vals[i]);
    }
    c.descLo = sLo; c.descHi = sHi; c.descAddr = sAddr;
    loadStackSegment(c, newSs);
    if (ssMask === -1) c.r32[ESP] = sp;
    else c.r16[ESP * 2] = sp;
    c.descLo = tlo; c.descHi = th; c.descAddr = taddr;
    loadCodeSegment(c, target, tdpl);
  } else {
    checkStackSpan(c, (c.r32[ESP] - 2 * w) & c.stackMask, 2 * w);
    c.probeWrite((c.segBase[SS] + ((c.r32[ESP] - 2 * w) & c.stackMask)) | 0, 2 * w);
    if (gate32) {
      c.push32(c.segSel[CS]);
      c.push32(c.eip);
    } else {
      c.push16(c.segSel[CS]);
      c.push16(c.eip);
    }
    c.descLo = tlo; c.descHi = th; c.descAddr = taddr;
    loadCodeSegment(c, target, c.cpl);
  }
  c.eip = off;
}

/** RETF [imm16]. */
export function farReturn(c: CPU, imm: number): void {
  const o32 = c.o32;
  const w = o32 ? 4 : 2;
  const eip = o32 ? c.peek32(0) : c.peek16(0);
  const cs = o32 ? c.peek32(4) & 0xffff : c.peek16(2);
  if (!c.protectedMode) {
    checkTarget(c, eip, c.codeLimit);
    c.addSp(2 * w + imm);
    loadSegmentRealMode(c, CS, cs);
    c.eip = eip;
    return;
  }
  if ((cs & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, cs);
  const hi = c.descHi;
  const rpl = cs & 3;
  const dpl = (hi >>> 13) & 3;
  if ((hi & 0x1800) !== 0x1800 || rpl < c.cpl) c.gp(cs & 0xfffc);
  if ((hi & 0x400) !== 0 ? dpl > rpl : dpl !== rpl) c.gp(cs & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, cs & 0xfffc);
  checkTarget(c, eip, descriptorLimit(c.descLo, hi) >>> 0);
  if (rpl === c.cpl) {
    c.addSp(2 * w + imm);
    loadCodeSegment(c, cs, rpl);
    c.eip = eip;
    return;
  }
  const lo = c.descLo, addr = c.descAddr;
  const esp = o32 ? c.peek32(2 * w + imm) : c.peek16(2 * w + imm);
  const ss = (o32 ? c.peek32(3 * w + imm) : c.peek16(3 * w + imm)) & 0xffff;
  checkStackSegment(c, ss, rpl, EXC_GP);
  const sLo = c.descLo, sHi = c.descHi, sAddr = c.descAddr;
  c.descLo = lo; c.descHi = hi; c.descAddr = addr;
  loadCodeSegment(c, cs, rpl);
  c.descLo = sLo; c.descHi = sHi; c.descAddr = sAddr;
  loadStackSegment(c, ss);
  c.setSp((esp + imm) & c.stackMask);
  c.eip = eip;
  nullInaccessibleSegments(c);
}

/** INT n from an instruction (not INT3/INTO): IOPL check in v8086 mode. */
export function softwareInterrupt(c: CPU, vector: number): void {
  if ((c.flags & VM) !== 0 && (c.flags & IOPL) !== IOPL) c.gp(0);
  deliverInterrupt(c, vector, -1, INT_SOFTWARE);
}

export function installControlFlow(t: Handler[]): void {
  for (let cc = 0; cc < 16; cc++) {
    t[0x70 + cc] = (c) => {
      const rel = c.fetchS8();
      if (testCondition(c, cc)) jumpRel(c, rel);
    };
  }
  t[0xeb] = (c) => {
    const rel = c.fetchS8();
    jumpRel(c, rel);
  };
  t[0xe9] = (c) => {
    const rel = c.o32 ? c.fetch32() : c.fetch16();
    jumpRel(c, rel);
  };
  t[0xe8] = (c) => {
    const rel = c.o32 ? c.fetch32() : c.fetch16();
    const t = relTarget(c, rel);
    checkTarget(c, t, c.codeLimit);
    pushV(c, c.eip);
    c.eip = t;
  };
  t[0xc3] = (c) => {
    // The return address is checked against the CS limit before ESP moves.
    if (c.o32) {
      const v = c.peek32(0);
      jumpAbs(c, v);
      c.addSp(4);
    } else {
      jumpAbs(c, c.peek16(0));
      c.addSp(2);
    }
  };
  t[0xc2] = (c) => {
    const n = c.fetch16();
    const v = c.o32 ? c.peek32(0) : c.peek16(0);
    jumpAbs(c, v);
    c.addSp((c.o32 ? 4 : 2) + n);
  };
  t[0xea] = (c) => {
    const off = c.o32 ? c.fetch32() : c.fetch16();
    const sel = c.fetch16();
    farJump(c, sel, off);
  };
  t[0x9a] = (c) => {
    const off = c.o32 ? c.fetch32() : c.fetch16();
    const sel = c.fetch16();
    farCall(c, sel, off);
  };
  t[0xcb] = (c) => farReturn(c, 0);
  t[0xca] = (c) => farReturn(c, c.fetch16());
  // LOOPNE, LOOPE, LOOP, JCXZ
  for (let k = 0; k < 4; k++) {
    t[0xe0 + k] = (c) => {
      const rel = c.fetchS8();
      let count: number;
      if (k === 3) count = c.a32 ? c.r32[ECX] : c.r16[ECX << 1];
      else count = c.a32 ? (c.r32[ECX] - 1) | 0 : (c.r16[ECX << 1] - 1) & 0xffff;
      let take: boolean;
      if (k === 3) take = count === 0;
      else if (k === 2) take = count !== 0;
      else take = count !== 0 && testCondition(c, 4) === (k === 1);
      // A target beyond the CS limit faults before the count is written back.
      if (take) jumpRel(c, rel);
      if (k !== 3) {
        if (c.a32) c.r32[ECX] = count;
        else c.r16[ECX << 1] = count;
      }
    };
  }
  t[0xcc] = (c) => deliverInterrupt(c, EXC_BP, -1, INT_SOFTWARE);
  t[0xcd] = (c) => softwareInterrupt(c, c.fetch8());
  t[0xce] = (c) => {
    if (getOF(c)) deliverInterrupt(c, EXC_OF, -1, INT_SOFTWARE);
  };
  t[0xcf] = (c) => iret(c);
  t[0x62] = (c) => {
    decodeModrm(c);
    if (c.modrm >= 0xc0) c.ud();
    let idx: number, lo: number, hi: number;
    // Two signed words or dwords (#AC: each aligned like its size).
    checkE(c, c.o32 ? 8 : 4, c.o32 ? 4 : 2);
    if (c.o32) {
      idx = c.r32[(c.modrm >> 3) & 7];
      lo = c.rd32(c.ea);
      hi = c.rd32((c.ea + 4) | 0);
    } else {
      idx = (c.r16[((c.modrm >> 3) & 7) << 1] << 16) >> 16;
      lo = (c.rd16(c.ea) << 16) >> 16;
      hi = (c.rd16((c.ea + 2) | 0) << 16) >> 16;
    }
    if (idx < lo || idx > hi) c.raise(EXC_BR);
  };
  // Group 5
  t[0xff] = (c) => {
    decodeModrm(c);
    const op = (c.modrm >> 3) & 7;
    const o32 = c.o32;
    switch (op) {
      case 0:
        if (o32) writeE32(c, inc(c, readE32m(c), 31, -1));
        else writeE16(c, inc(c, readE16m(c), 15, 0xffff));
        return;
      case 1:
        if (o32) writeE32(c, dec(c, readE32m(c), 31, -1));
        else writeE16(c, dec(c, readE16m(c), 15, 0xffff));
        return;
      case 2: {
        const target = o32 ? readE32(c) : readE16(c);
        checkTarget(c, target, c.codeLimit);
        pushV(c, c.eip);
        c.eip = target;
        return;
      }
      case 3: {
        if (c.modrm >= 0xc0) c.ud();
        checkE(c, o32 ? 6 : 4, o32 ? 4 : 2);
        const off = o32 ? c.rd32(c.ea) : c.rd16(c.ea);
        const sel = c.rd16((c.ea + (o32 ? 4 : 2)) | 0);
        farCall(c, sel, off);
        return;
      }
      case 4:
        jumpAbs(c, o32 ? readE32(c) : readE16(c));
        return;
      case 5: {
        if (c.modrm >= 0xc0) c.ud();
        checkE(c, o32 ? 6 : 4, o32 ? 4 : 2);
        const off = o32 ? c.rd32(c.ea) : c.rd16(c.ea);
        const sel = c.rd16((c.ea + (o32 ? 4 : 2)) | 0);
        farJump(c, sel, off);
        return;
      }
      case 6: {
        const v = o32 ? readE32(c) : readE16(c);
        pushV(c, v);
        return;
      }
      default:
        c.ud();
    }
  };
}

export function installControlFlow0F(t: Handler[]): void {
  for (let cc = 0; cc < 16; cc++) {
    t[0x80 + cc] = (c) => {
      const rel = c.o32 ? c.fetch32() : c.fetch16();
      if (testCondition(c, cc)) jumpRel(c, rel);
    };
    t[0x90 + cc] = (c) => {
      decodeModrm(c);
      writeE8(c, testCondition(c, cc) ? 1 : 0);
    };
  }
  void readE8;
}
