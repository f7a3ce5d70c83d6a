// Stand-ins used only while the real x87 (cpu/fpu) and SIMD (cpu/simd) units are not available: they
// behave like a CPU without those units (ESC raises #NM when CR0.EM/TS says so, else #UD... more
// precisely: with no FPU the ESC opcodes trap #NM when EM=1, and are #UD otherwise).

import { EXC_NM, EXC_UD, type CoprocessorHost, type SimdUnit, type X87Unit } from "./coprocessor.ts";
import { StateLayout, type SavedState } from "../state.ts";

/** A unit with nothing to save; its type still tells a snapshot that the unit was absent. */
class NoState {
  constructor(private readonly layout: StateLayout<object>) {}
  saveState(): SavedState {
    return this.layout.save(this);
  }
  checkState(state: SavedState): void {
    this.layout.check(state);
  }
  loadState(state: SavedState): void {
    this.layout.load(this, state);
  }
}

const ABSENT_X87 = new StateLayout<object>("x87-absent", 1, {});
const ABSENT_SIMD = new StateLayout<object>("simd-absent", 1, {});

class AbsentX87 extends NoState implements X87Unit {
  constructor(private readonly host: CoprocessorHost) {
    super(ABSENT_X87);
  }
  reset(): void {}
  execute(): void {
    if ((this.host.cr0 & 0xc) !== 0) this.host.raiseException(EXC_NM);
    this.host.raiseException(EXC_UD);
  }
  wait(): void {
    if ((this.host.cr0 & 0xa) === 0xa) this.host.raiseException(EXC_NM);
  }
}

class AbsentSimd extends NoState implements SimdUnit {
  constructor(private readonly host: CoprocessorHost) {
    super(ABSENT_SIMD);
  }
  reset(): void {}
  execute(): void {
    this.host.raiseException(EXC_UD);
  }
}

export function createAbsentX87(host: CoprocessorHost): X87Unit {
  return new AbsentX87(host);
}

export function createAbsentSimd(host: CoprocessorHost): SimdUnit {
  return new AbsentSimd(host);
}
