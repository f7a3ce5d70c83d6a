// Exceptions and interrupts: what happens between instructions (NMI, INTR, HLT wake-up, interrupt
// shadow, single step), exception delivery with double/triple-fault escalation, delivery through
// the real-mode IVT or the protected-mode IDT (interrupt/trap/task gates, stack switch, v8086
// exits), and IRET.

import type { CPU } from "./cpu.ts";
import {
  CS, DS, ES, FS, GS, SS, ESP, EVENTS_ONE, EVENTS_RUN, EVENTS_STOP,
  EXC_DF, EXC_GP, EXC_NP, EXC_PF, EXC_TS, EXC_SS,
  INT_EXCEPTION, INT_EXTERNAL, INT_NMI, INT_SOFTWARE,
} from "./constants.ts";
import { AC, IF, IOPL, NT, RF, TF, VIF, VIP, VM } from "./flags.ts";
import {
  checkStackSegment, descriptorAttr, descriptorBase, descriptorLimit, loadCodeSegment, loadSegmentRealMode,
  loadStackSegment, nullInaccessibleSegments, readDescriptor, readTssStack, setSegmentCache,
} from "./segmentation.ts";
import { taskSwitch, TASK_IRET, TASK_INT } from "./task-switch.ts";
import { checkStackSpan, stackSpanFits } from "./seg-limits.ts";

/** Called between instructions when c.eventPending is set. */
export function serviceEvents(c: CPU): number {
  if (c.stopRequested) {
    c.stopRequested = false;
    return EVENTS_STOP;
  }
  if (c.shadow) {
    c.shadow = false;
    return EVENTS_ONE;
  }
  try {
    if (c.nmiPending && !c.nmiBlocked) {
      c.nmiPending = false;
      c.nmiBlocked = true;
      c.halted = false;
      c.instrStart = c.eip;
      deliverInterrupt(c, 2, -1, INT_NMI);
    } else if (c.intrLine && (c.flags & IF) !== 0 && c.interruptController !== null && !hostStepMasksIntr(c)) {
      const vector = c.interruptController.acknowledgeInterrupt();
      if (vector >= 0) {
        c.halted = false;
        c.instrStart = c.eip;
        deliverInterrupt(c, vector & 0xff, -1, INT_EXTERNAL);
      }
    }
  } catch (e) {
    if (e !== c.fault) throw e;
    deliverPendingFault(c);
  }
  if (c.halted) {
    c.eventPending = true;
    return EVENTS_STOP;
  }
  c.eventPending = (c.intrLine && (c.flags & IF) !== 0) || (c.nmiPending && !c.nmiBlocked);
  // RF: the next instruction runs alone, which clears it at its start (cpu.ts run).
  if ((c.flags & (TF | RF)) !== 0 || c.debugActive) return EVENTS_ONE;
  return EVENTS_RUN;
}

/** A host debugger's single step runs the next instruction, not an interrupt handler: external
 *  interrupts wait (as with QEMU's gdbstub), unless the CPU sleeps in HLT (only one wakes it). */
function hostStepMasksIntr(c: CPU): boolean {
  return c.hostDebugger !== null && c.hostDebugger.stepping && !c.halted;
}

function isContributory(v: number): boolean {
  return v === 0 || (v >= 10 && v <= 13);
}

/** Delivers the fault in c.fault (thrown by the instruction at c.instrStart), escalating to #DF or
 *  a triple fault when it happened while delivering another exception. */
export function deliverPendingFault(c: CPU): void {
  c.clearPrefixes();
  for (let attempt = 0; attempt < 4; attempt++) {
    let vector = c.fault.vector;
    let code = c.fault.errorCode;
    c.eip = c.instrStart;
    const prev = c.deliveringVector;
    if (prev >= 0) {
      if (prev === EXC_DF) {
        tripleFault(c, `fault ${vector} while delivering a double fault`);
        return;
      }
      if ((isContributory(prev) && isContributory(vector)) || (prev === EXC_PF && (vector === EXC_PF || isContributory(vector)))) {
        vector = EXC_DF;
        code = 0;
      }
    }
    c.deliveringVector = vector;
    // SDM 17.3.1.1: the EFLAGS image of a fault-class exception has RF set (so that the faulting
    // instruction, restarted by IRET, does not hit its instruction breakpoint again), except for
    // the #DB of an instruction breakpoint; #DF (an abort) pushes RF as it is.
    const rf = vector !== EXC_DF && !c.fault.instructionBreakpoint ? RF : 0;
    try {
      deliverInterrupt(c, vector, code, INT_EXCEPTION, rf);
      c.deliveringVector = -1;
      return;
    } catch (e) {
      if (e !== c.fault) throw e;
    }
  }
  tripleFault(c, "exception delivery kept faulting");
}

export function tripleFault(c: CPU, reason: string): void {
  c.deliveringVector = -1;
  if (c.onTripleFault) {
    c.halted = true;
    c.stopRequested = true;
    c.eventPending = true;
    c.onTripleFault(reason);
  } else {
    c.reset();
  }
}

/** Delivers interrupt `vector` now; the return address is c.eip. `errorCode` < 0 = none pushed.
 *  `rf` (RF or 0) is ORed into the EFLAGS image saved (faults: see deliverPendingFault). */
export function deliverInterrupt(c: CPU, vector: number, errorCode: number, kind: number, rf = 0): void {
  c.interruptsDelivered++;
  if ((c.cr0 & 1) === 0) {
    deliverReal(c, vector);
    return;
  }
  const ext = kind === INT_SOFTWARE ? 0 : 1;
  const gateErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > c.idtLimit) c.gp(gateErr);
  const lo = c.sysRd32((c.idtBase + vector * 8) | 0);
  const hi = c.sysRd32((c.idtBase + vector * 8 + 4) | 0);
  const type = (hi >>> 8) & 0x1f;
  if (type !== 0x05 && type !== 0x06 && type !== 0x07 && type !== 0x0e && type !== 0x0f) c.gp(gateErr);
  if (kind === INT_SOFTWARE && ((hi >>> 13) & 3) < c.cpl) c.gp(vector * 8 + 2);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, gateErr);
  const sel = lo >>> 16;
  if (type === 0x05) {
    // The outgoing task's EFLAGS image gets RF too (IRET back to it is a task switch).
    c.flags |= rf;
    taskSwitch(c, sel, TASK_INT, kind === INT_EXCEPTION ? errorCode : -1);
    return;
  }
  const gate32 = (type & 8) !== 0;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) c.gp(ext);
  readDescriptor(c, sel, EXC_GP);
  const csLo = c.descLo, csHi = c.descHi, csAddr = c.descAddr;
  const dpl = (csHi >>> 13) & 3;
  if ((csHi & 0x1800) !== 0x1800 || dpl > c.cpl) c.gp((sel & 0xfffc) + ext);
  if ((csHi & 0x8000) === 0) c.raise(EXC_NP, (sel & 0xfffc) + ext);
  const conforming = (csHi & 0x400) !== 0;
  const oldFlags = c.getEflags() | rf;
  // The entry point must lie inside the new code segment (SDM INT n: #GP(0)), checked before
  // anything is pushed.
  if (offset >>> 0 > descriptorLimit(csLo, csHi) >>> 0) c.gp(0);
  const withError = kind === INT_EXCEPTION && errorCode >= 0;
  const fromVm = (oldFlags & VM) !== 0;
  if (!conforming && dpl < c.cpl) {
    if (fromVm && dpl !== 0) c.gp(sel & 0xfffc);
    readTssStack(c, dpl);
    const newSs = c.tssSs, newEsp = c.tssEsp;
    checkStackSegment(c, newSs, dpl, EXC_TS);
    const ssLo = c.descLo, ssHi = c.descHi, ssAddr = c.descAddr;
    const ssBase = descriptorBase(ssLo, ssHi);
    const ssMask = (ssHi & 0x400000) !== 0 ? -1 : 0xffff;
    const scratch = c.scratch;
    let n = 0;
    if (fromVm) {
      scratch[n++] = c.segSel[GS]; scratch[n++] = c.segSel[FS]; scratch[n++] = c.segSel[DS]; scratch[n++] = c.segSel[ES];
    }
    scratch[n++] = c.segSel[SS]; scratch[n++] = c.r32[ESP]; scratch[n++] = oldFlags;
    scratch[n++] = c.segSel[CS]; scratch[n++] = c.eip;
    if (withError) scratch[n++] = errorCode;
    const size = gate32 ? 4 : 2;
    // The new stack must hold the whole frame: #SS(new SS) otherwise, before anything changes.
    if (!stackSpanFits(descriptorLimit(ssLo, ssHi), descriptorAttr(ssHi), (newEsp - n * size) & ssMask, n * size, ssMask)) {
      c.raise(EXC_SS, (newSs & 0xfffc) + ext);
    }
    let sp = newEsp;
    for (let i = 0; i < n; i++) {
      sp = (sp - size) & ssMask;
      const lin = (ssBase + sp) | 0;
      if (gate32) c.sysWr32(lin, scratch[i]);
      else c.sysWr16(lin, scratch[i]);
    }
    // Commit.
    c.descLo = ssLo; c.descHi = ssHi; c.descAddr = ssAddr;
    loadStackSegment(c, newSs);
    if (ssMask === -1) c.r32[ESP] = sp;
    else c.r16[ESP * 2] = sp;
    if (fromVm) {
      for (const s of [ES, DS, FS, GS]) setSegmentCache(c, s, 0, 0, 0, 0);
    }
  } else if (conforming || dpl === c.cpl) {
    if (fromVm) c.gp(sel & 0xfffc);
    // Same privilege: check both ends of the frame before writing.
    const size = gate32 ? 4 : 2;
    const count = withError ? 4 : 3;
    const top = (c.r32[ESP] - size * count) & c.stackMask;
    checkStackSpan(c, top, size * count);
    c.probeWrite((c.segBase[SS] + top) | 0, size * count);
    if (gate32) {
      c.push32(oldFlags); c.push32(c.segSel[CS]); c.push32(c.eip);
      if (withError) c.push32(errorCode);
    } else {
      c.push16(oldFlags); c.push16(c.segSel[CS]); c.push16(c.eip);
      if (withError) c.push16(errorCode);
    }
  } else {
    c.gp((sel & 0xfffc) + ext);
  }
  c.descLo = csLo; c.descHi = csHi; c.descAddr = csAddr;
  const newCpl = conforming ? c.cpl : dpl;
  let f = oldFlags & ~(TF | NT | VM | RF);
  if ((type & 1) === 0) f &= ~IF;
  c.setEflags(f);
  loadCodeSegment(c, sel, newCpl);
  c.eip = offset;
}

function deliverReal(c: CPU, vector: number): void {
  if (vector * 4 + 3 > c.idtLimit) c.gp(0);
  const off = c.sysRd16((c.idtBase + vector * 4) | 0);
  const seg = c.sysRd16((c.idtBase + vector * 4 + 2) | 0);
  const sp = (c.r32[ESP] - 6) & c.stackMask;
  checkStackSpan(c, sp, 6);
  c.probeWrite((c.segBase[SS] + sp) | 0, 6);
  c.push16(c.getEflags());
  c.push16(c.segSel[CS]);
  c.push16(c.eip);
  c.setEflags(c.getEflags() & ~(IF | TF | AC | RF));
  loadSegmentRealMode(c, CS, seg);
  c.eip = off;
}

/** IRET / IRETD in every mode. */
export function iret(c: CPU): void {
  const o32 = c.o32;
  if ((c.cr0 & 1) === 0) {
    // Real mode.
    const eip = o32 ? c.peek32(0) : c.peek16(0);
    const cs = o32 ? c.peek32(4) & 0xffff : c.peek16(2);
    const fl = o32 ? c.peek32(8) : c.peek16(4);
    // Real mode: the cached CS limit stays, and the return EIP must lie inside it.
    if ((o32 ? eip : eip & 0xffff) >>> 0 > c.codeLimit) c.gp(0);
    c.addSp(o32 ? 12 : 6);
    loadSegmentRealMode(c, CS, cs);
    c.eip = o32 ? eip : eip & 0xffff;
    const keep = o32 ? VM | VIF | VIP : ~0xffff;
    c.setEflags((c.getEflags() & keep) | (fl & ~keep));
    c.nmiBlocked = false;
    return;
  }
  if ((c.flags & VM) !== 0) {
    // Virtual-8086 mode without VME: only with IOPL 3; IOPL itself cannot change.
    if ((c.flags & IOPL) !== IOPL) c.gp(0);
    const eip = o32 ? c.peek32(0) : c.peek16(0);
    const cs = o32 ? c.peek32(4) & 0xffff : c.peek16(2);
    const fl = o32 ? c.peek32(8) : c.peek16(4);
    c.addSp(o32 ? 12 : 6);
    loadSegmentRealMode(c, CS, cs);
    c.eip = o32 ? eip : eip & 0xffff;
    const keep = o32 ? VM | IOPL | VIF | VIP : ~0xffff | IOPL;
    c.setEflags((c.getEflags() & keep) | (fl & ~keep));
    c.nmiBlocked = false;
    return;
  }
  c.nmiBlocked = false;
  if ((c.flags & NT) !== 0) {
    const link = c.sysRd16(c.trBase);
    taskSwitch(c, link, TASK_IRET, -1);
    return;
  }
  const eip = o32 ? c.peek32(0) : c.peek16(0);
  const cs = o32 ? c.peek32(4) & 0xffff : c.peek16(2);
  const fl = o32 ? c.peek32(8) : c.peek16(4);
  if (o32 && (fl & VM) !== 0 && c.cpl === 0) {
    returnToVm86(c, eip, cs, fl);
    return;
  }
  const rpl = cs & 3;
  if ((cs & 0xfffc) === 0) c.gp(0);
  readDescriptor(c, cs);
  const hi = c.descHi;
  const dpl = (hi >>> 13) & 3;
  if ((hi & 0x1800) !== 0x1800 || rpl < c.cpl) c.gp(cs & 0xfffc);
  if ((hi & 0x400) !== 0 ? dpl > rpl : dpl !== rpl) c.gp(cs & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, cs & 0xfffc);
  const csLo = c.descLo, csHi = c.descHi, csAddr = c.descAddr;
  const oldCpl = c.cpl;
  const newFlags = mergeIretFlags(c, fl, o32, oldCpl);
  if ((o32 ? eip : eip & 0xffff) >>> 0 > descriptorLimit(csLo, csHi) >>> 0) c.gp(0);
  if (rpl === oldCpl) {
    c.addSp(o32 ? 12 : 6);
    loadCodeSegment(c, cs, rpl);
    c.eip = o32 ? eip : eip & 0xffff;
    c.setEflags(newFlags);
    return;
  }
  // Return to an outer privilege level: ESP and SS follow on the stack.
  const esp = o32 ? c.peek32(12) : c.peek16(6);
  const ss = o32 ? c.peek32(16) & 0xffff : c.peek16(8);
  checkStackSegment(c, ss, rpl, EXC_GP);
  const ssLo = c.descLo, ssHi = c.descHi, ssAddr = c.descAddr;
  c.descLo = csLo; c.descHi = csHi; c.descAddr = csAddr;
  loadCodeSegment(c, cs, rpl);
  c.descLo = ssLo; c.descHi = ssHi; c.descAddr = ssAddr;
  loadStackSegment(c, ss);
  if (c.stack32) c.r32[ESP] = esp;
  else c.r16[ESP * 2] = esp;
  c.eip = o32 ? eip : eip & 0xffff;
  c.setEflags(newFlags);
  nullInaccessibleSegments(c);
}

/** EFLAGS after IRET/POPF in protected mode: IOPL only at CPL 0, IF only when CPL <= IOPL. */
function mergeIretFlags(c: CPU, fl: number, o32: boolean, cpl: number): number {
  const old = c.getEflags();
  let changeable = TF | 0x8d5 | 0x400 | NT | IF | IOPL | RF | AC | 0x200000;
  if (cpl > 0) changeable &= ~IOPL;
  if (cpl > ((old & IOPL) >>> 12)) changeable &= ~IF;
  if (!o32) changeable &= 0xffff;
  else changeable |= VIF | VIP;
  if (cpl > 0) changeable &= ~(VIF | VIP);
  return (old & ~changeable) | (fl & changeable);
}

function returnToVm86(c: CPU, eip: number, cs: number, fl: number): void {
  const esp = c.peek32(12);
  const ss = c.peek32(16) & 0xffff;
  const es = c.peek32(20) & 0xffff;
  const ds = c.peek32(24) & 0xffff;
  const fs = c.peek32(28) & 0xffff;
  const gs = c.peek32(32) & 0xffff;
  c.setEflags(fl);
  c.cpl = 3;
  for (const [s, v] of [[CS, cs], [SS, ss], [ES, es], [DS, ds], [FS, fs], [GS, gs]] as const) {
    setSegmentCache(c, s, v, v << 4, 0xffff, s === CS ? 0xfb : 0xf3);
  }
  c.r32[ESP] = esp;
  c.eip = eip & 0xffff;
  c.updateCpuMode();
}

// Re-exported for the descriptor helpers' users.
export { descriptorAttr, descriptorLimit, EXC_SS, INT_NMI };
