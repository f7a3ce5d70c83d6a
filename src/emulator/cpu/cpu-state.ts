// Saving and restoring the whole CPU as named, versioned fields (the x87/SIMD units nested inside).

import type { CPU } from "./cpu.ts";
import { booleanField, expectState, numberField, StateError, typedField, type SavedState, type StateValue } from "../state.ts";
import { updateSegLimits } from "./seg-limits.ts";

const TYPE = "cpu";
/** 2 added PAE: `efer` and the cached PDPTEs `pdpte`. Version 1 states load with both zero (no PAE then). */
const VERSION = 2;

export function saveCpuState(c: CPU): SavedState {
  return {
    type: TYPE,
    version: VERSION,
    fields: {
      regs: c.r32.slice(),
      eip: c.eip,
      eflags: c.getEflags(),
      segSel: c.segSel.slice(),
      segBase: c.segBase.slice(),
      segLimit: c.segLimit.slice(),
      segAttr: c.segAttr.slice(),
      gdtBase: c.gdtBase, gdtLimit: c.gdtLimit,
      idtBase: c.idtBase, idtLimit: c.idtLimit,
      ldtSel: c.ldtSel, ldtBase: c.ldtBase, ldtLimit: c.ldtLimit, ldtAttr: c.ldtAttr,
      trSel: c.trSel, trBase: c.trBase, trLimit: c.trLimit, trAttr: c.trAttr,
      cr0: c.cr0, cr2: c.cr2, cr3: c.cr3, cr4: c.cr4,
      pdpte: c.pdpte.slice(),
      efer: c.efer,
      dr: c.dr.slice(),
      cpl: c.cpl,
      sysenterCs: c.sysenterCs, sysenterEsp: c.sysenterEsp, sysenterEip: c.sysenterEip,
      apicBase: c.apicBase,
      tscOffset: c.tscOffset,
      mtrr: c.mtrr.slice(),
      patLo: c.patLo, patHi: c.patHi,
      miscEnable: c.miscEnable,
      halted: c.halted,
      intrLine: c.intrLine,
      nmiPending: c.nmiPending,
      nmiBlocked: c.nmiBlocked,
      shadow: c.shadow,
      instructionCount: c.instructionCount,
      x87: c.x87.saveState() as unknown as StateValue,
      simd: c.simd.saveState() as unknown as StateValue,
    },
  };
}

export function loadCpuState(c: CPU, state: SavedState): void {
  const v1 = (state as Partial<SavedState> | null)?.version === 1;
  const f = expectState(state, TYPE, v1 ? 1 : VERSION);
  const n = (name: string): number => numberField(f, TYPE, name) | 0;
  const b = (name: string): boolean => booleanField(f, TYPE, name);
  // Validate into temporaries first so a bad state leaves the CPU untouched.
  const regs = typedField(f, TYPE, "regs", new Int32Array(8));
  const segSel = typedField(f, TYPE, "segSel", new Uint16Array(6));
  const segBase = typedField(f, TYPE, "segBase", new Int32Array(6));
  const segLimit = typedField(f, TYPE, "segLimit", new Int32Array(6));
  const segAttr = typedField(f, TYPE, "segAttr", new Int32Array(6));
  const dr = typedField(f, TYPE, "dr", new Int32Array(8));
  const mtrr = typedField(f, TYPE, "mtrr", new Int32Array(c.mtrr.length));
  const pdpte = v1 ? new Int32Array(8) : typedField(f, TYPE, "pdpte", new Int32Array(8));
  const efer = v1 ? 0 : n("efer");
  if ((efer & ~0x800) !== 0) throw new StateError(`${TYPE}: field "efer" has reserved bits set: ${efer}`);
  const cpl = n("cpl");
  if (cpl < 0 || cpl > 3) throw new StateError(`${TYPE}: field "cpl" must be 0-3, got ${cpl}`);
  const tscOffset = numberField(f, TYPE, "tscOffset");
  const instructionCount = numberField(f, TYPE, "instructionCount");
  const scalars = {
    eip: n("eip"), gdtBase: n("gdtBase"), gdtLimit: n("gdtLimit") & 0xffff,
    idtBase: n("idtBase"), idtLimit: n("idtLimit") & 0xffff, ldtSel: n("ldtSel") & 0xffff, ldtBase: n("ldtBase"),
    ldtLimit: n("ldtLimit"), ldtAttr: n("ldtAttr"), trSel: n("trSel") & 0xffff, trBase: n("trBase"), trLimit: n("trLimit"),
    trAttr: n("trAttr"), cr0: n("cr0"), cr2: n("cr2"), cr3: n("cr3"), cr4: n("cr4"), sysenterCs: n("sysenterCs"),
    sysenterEsp: n("sysenterEsp"), sysenterEip: n("sysenterEip"), apicBase: n("apicBase"), patLo: n("patLo"),
    patHi: n("patHi"), miscEnable: n("miscEnable"),
  };
  const eflags = n("eflags");
  const flagsB = { halted: b("halted"), intrLine: b("intrLine"), nmiPending: b("nmiPending"), nmiBlocked: b("nmiBlocked"), shadow: b("shadow") };
  const x87 = f.x87 as unknown as SavedState;
  const simd = f.simd as unknown as SavedState;
  if (typeof x87 !== "object" || x87 === null) throw new StateError(`${TYPE}: field "x87" must be a saved state`);
  if (typeof simd !== "object" || simd === null) throw new StateError(`${TYPE}: field "simd" must be a saved state`);

  c.x87.loadState(x87);
  c.simd.loadState(simd);
  c.r32.set(regs);
  c.segSel.set(segSel);
  c.segBase.set(segBase);
  c.segLimit.set(segLimit);
  c.segAttr.set(segAttr);
  for (let seg = 0; seg < 6; seg++) updateSegLimits(c, seg);
  c.dr.set(dr);
  c.mtrr.set(mtrr);
  c.pdpte.set(pdpte);
  c.efer = efer;
  c.cpl = cpl;
  Object.assign(c, scalars);
  c.setEflags(eflags);
  c.tscOffset = tscOffset;
  c.instructionCount = instructionCount;
  Object.assign(c, flagsB);
  c.deliveringVector = -1;
  c.eventPending = true;
  c.updateCpuMode();
  c.updateBreakpoints();
  c.flushTlb(false);
}
