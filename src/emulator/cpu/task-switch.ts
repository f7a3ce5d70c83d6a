// Hardware task switching through a TSS (32-bit and 16-bit formats): JMP/CALL to a TSS or task
// gate, INT/exception through a task gate (Linux i386 sends #DF there), and IRET with NT=1.

import type { CPU } from "./cpu.ts";
import { loadPdptes } from "./paging-pae.ts";
import { CS, DS, ES, FS, GS, SS, EXC_GP, EXC_NP, EXC_TS } from "./constants.ts";
import { NT, VM } from "./flags.ts";
import {
  descriptorAttr, descriptorBase, descriptorLimit, loadSegment, loadSegmentRealMode, readDescriptor, setSegmentCache,
  loadCodeSegment,
} from "./segmentation.ts";

export const TASK_JMP = 0, TASK_CALL = 1, TASK_IRET = 2, TASK_INT = 3;

const SEG_ORDER = [ES, CS, SS, DS, FS, GS];

export function taskSwitch(c: CPU, sel: number, source: number, errorCode: number): void {
  if ((sel & 4) !== 0 || (sel & 0xfffc) === 0) c.raise(source === TASK_IRET ? EXC_TS : EXC_GP, sel & 0xfffc);
  readDescriptor(c, sel, source === TASK_IRET ? EXC_TS : EXC_GP);
  const lo = c.descLo, hi = c.descHi, descAddr = c.descAddr;
  const type = (hi >>> 8) & 0x1f;
  const busy = (type & 2) !== 0;
  if ((type & 0x15) !== 0x01) c.raise(source === TASK_IRET ? EXC_TS : EXC_GP, sel & 0xfffc);
  if (source === TASK_IRET ? !busy : busy) c.raise(source === TASK_IRET ? EXC_TS : EXC_GP, sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(EXC_NP, sel & 0xfffc);
  const newIs32 = (type & 8) !== 0;
  const newBase = descriptorBase(lo, hi);
  const newLimit = descriptorLimit(lo, hi);
  if (newLimit >>> 0 < (newIs32 ? 0x67 : 0x2b)) c.raise(EXC_TS, sel & 0xfffc);

  // Read the whole new state first (faults here leave the old task intact).
  const r = new Int32Array(8);
  const segs = new Int32Array(6);
  let newEip: number, newFlags: number, newLdt: number, newCr3 = c.cr3;
  if (newIs32) {
    newCr3 = c.sysRd32((newBase + 0x1c) | 0);
    newEip = c.sysRd32((newBase + 0x20) | 0);
    newFlags = c.sysRd32((newBase + 0x24) | 0);
    for (let i = 0; i < 8; i++) r[i] = c.sysRd32((newBase + 0x28 + i * 4) | 0);
    for (let i = 0; i < 6; i++) segs[i] = c.sysRd16((newBase + 0x48 + i * 4) | 0);
    newLdt = c.sysRd16((newBase + 0x60) | 0);
  } else {
    newEip = c.sysRd16((newBase + 0x0e) | 0);
    newFlags = c.sysRd16((newBase + 0x10) | 0);
    for (let i = 0; i < 8; i++) r[i] = c.sysRd16((newBase + 0x12 + i * 2) | 0) | 0xffff0000;
    for (let i = 0; i < 4; i++) segs[i] = c.sysRd16((newBase + 0x22 + i * 2) | 0);
    segs[4] = segs[5] = 0;
    newLdt = c.sysRd16((newBase + 0x2a) | 0);
  }

  // Save the outgoing task.
  const oldBase = c.trBase;
  let oldFlags = c.getEflags();
  if (source === TASK_IRET) oldFlags &= ~NT;
  if ((c.trAttr & 8) !== 0) {
    c.sysWr32((oldBase + 0x20) | 0, c.eip);
    c.sysWr32((oldBase + 0x24) | 0, oldFlags);
    for (let i = 0; i < 8; i++) c.sysWr32((oldBase + 0x28 + i * 4) | 0, c.r32[i]);
    for (let i = 0; i < 6; i++) c.sysWr16((oldBase + 0x48 + i * 4) | 0, c.segSel[i]);
  } else {
    c.sysWr16((oldBase + 0x0e) | 0, c.eip);
    c.sysWr16((oldBase + 0x10) | 0, oldFlags);
    for (let i = 0; i < 8; i++) c.sysWr16((oldBase + 0x12 + i * 2) | 0, c.r32[i]);
    for (let i = 0; i < 4; i++) c.sysWr16((oldBase + 0x22 + i * 2) | 0, c.segSel[i]);
  }
  if (source === TASK_JMP || source === TASK_IRET) setBusy(c, c.trSel, false);
  if (source === TASK_CALL || source === TASK_INT) {
    c.sysWr16(newBase, c.trSel);
    newFlags |= NT;
  }
  if (source !== TASK_IRET) {
    c.descAddr = descAddr;
    c.sysWr8((descAddr + 5) | 0, ((hi >>> 8) | 2) & 0xff);
  }

  // Switch.
  c.trSel = sel;
  c.trBase = newBase;
  c.trLimit = newLimit;
  c.trAttr = descriptorAttr(hi) | 2;
  c.cr0 |= 8; // TS
  let pdptesOk = true;
  if (newIs32 && (c.cr0 & 0x80000000) !== 0 && newCr3 !== c.cr3) {
    // Under PAE the new PDPTEs load with CR3 (the old ones stay if invalid).
    if ((c.cr4 & 0x20) !== 0) pdptesOk = loadPdptes(c, newCr3);
    c.cr3 = newCr3;
    c.flushTlb(true);
  }
  c.r32.set(r);
  c.eip = newEip;
  c.setEflags(newFlags | 2);
  // Invalid PDPTEs: #GP(0) in the new task, past the commit point like the #TS checks below.
  if (!pdptesOk) c.gp(0);
  // LDT first: the segment descriptors may live there.
  if ((newLdt & 0xfffc) === 0) {
    c.ldtSel = 0;
    c.ldtBase = 0;
    c.ldtLimit = 0;
  } else {
    if ((newLdt & 4) !== 0) c.raise(EXC_TS, newLdt & 0xfffc);
    readDescriptor(c, newLdt & ~4, EXC_TS);
    if (((c.descHi >>> 8) & 0x1f) !== 0x02) c.raise(EXC_TS, newLdt & 0xfffc);
    c.ldtSel = newLdt;
    c.ldtBase = descriptorBase(c.descLo, c.descHi);
    c.ldtLimit = descriptorLimit(c.descLo, c.descHi);
    c.ldtAttr = descriptorAttr(c.descHi);
  }
  if ((newFlags & VM) !== 0) {
    c.cpl = 3;
    for (let i = 0; i < 6; i++) loadSegmentRealMode(c, SEG_ORDER[i], segs[i]);
  } else {
    const csSel = segs[1];
    const newCpl = csSel & 3;
    c.cpl = newCpl;
    // Start from null caches so a failing load leaves nothing stale.
    for (let i = 0; i < 6; i++) setSegmentCache(c, i, segs[i], 0, 0, 0);
    if ((csSel & 0xfffc) === 0) c.raise(EXC_TS, 0);
    readDescriptor(c, csSel, EXC_TS);
    if ((c.descHi & 0x1800) !== 0x1800) c.raise(EXC_TS, csSel & 0xfffc);
    if ((c.descHi & 0x8000) === 0) c.raise(EXC_NP, csSel & 0xfffc);
    loadCodeSegment(c, csSel, newCpl);
    loadSegment(c, SS, segs[2]);
    loadSegment(c, ES, segs[0]);
    loadSegment(c, DS, segs[3]);
    loadSegment(c, FS, segs[4]);
    loadSegment(c, GS, segs[5]);
  }
  c.updateCpuMode();
  if (errorCode >= 0) {
    if (newIs32) c.push32(errorCode);
    else c.push16(errorCode);
  }
}

function setBusy(c: CPU, sel: number, busy: boolean): void {
  const addr = (c.gdtBase + (sel & 0xfff8) + 5) | 0;
  const b = c.sysRd8(addr);
  c.sysWr8(addr, busy ? b | 2 : b & ~2);
}
