// Creates the x87 (cpu/fpu) and MMX/SSE/SSE2 (cpu/simd) units for a CPU. The fallbacks in
// coprocessor-fallback.ts model a CPU without them (used by tests that want exactly that).

import type { CoprocessorHost, SimdUnit, X87Unit } from "./coprocessor.ts";
import { createX87 } from "./fpu/index.ts";
import { createSimd } from "./simd/index.ts";

export interface CoprocessorUnits {
  x87: X87Unit;
  simd: SimdUnit;
  hasFpu: boolean;
  hasSimd: boolean;
}

export function createCoprocessors(host: CoprocessorHost): CoprocessorUnits {
  const x87 = createX87(host);
  return { x87, simd: createSimd(host, x87), hasFpu: true, hasSimd: true };
}
