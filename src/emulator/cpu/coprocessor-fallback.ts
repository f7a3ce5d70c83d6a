// Stand-ins used only while the real x87 (cpu/fpu) and SIMD (cpu/simd) units are not available: they
// behave like a CPU without those units (ESC raises #NM when CR0.EM/TS says so, else #UD... more
// precisely: with no FPU the ESC opcodes trap #NM when EM=1, and are #UD otherwise).

import { EXC_NM, EXC_UD, type CoprocessorHost, type SimdUnit, type X87Unit } from "./coprocessor.ts";
import type { SavedState } from "../state.ts";

class AbsentX87 implements X87Unit {
  constructor(private readonly host: CoprocessorHost) {}
  reset(): void {}
  execute(): void {
    if ((this.host.cr0 & 0xc) !== 0) this.host.raiseException(EXC_NM);
    this.host.raiseException(EXC_UD);
  }
  wait(): void {
    if ((this.host.cr0 & 0xa) === 0xa) this.host.raiseException(EXC_NM);
  }
  saveState(): SavedState {
    return { type: "x87-absent", version: 1, fields: {} };
  }
  loadState(): void {}
}

class AbsentSimd implements SimdUnit {
  constructor(private readonly host: CoprocessorHost) {}
  reset(): void {}
  execute(): void {
    this.host.raiseException(EXC_UD);
  }
  saveState(): SavedState {
    return { type: "simd-absent", version: 1, fields: {} };
  }
  loadState(): void {}
}

export function createAbsentX87(host: CoprocessorHost): X87Unit {
  return new AbsentX87(host);
}

export function createAbsentSimd(host: CoprocessorHost): SimdUnit {
  return new AbsentSimd(host);
}
