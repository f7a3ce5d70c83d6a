// Creates the x87 and SIMD units for a CPU. The real units live in cpu/fpu and cpu/simd (another
// engineer's part); until they exist, the fallbacks make the CPU behave like one without them.

import type { CoprocessorHost, SimdUnit, X87Unit } from "./coprocessor.ts";
import { createAbsentSimd, createAbsentX87 } from "./coprocessor-fallback.ts";

export interface CoprocessorUnits {
  x87: X87Unit;
  simd: SimdUnit;
  hasFpu: boolean;
  hasSimd: boolean;
}

export function createCoprocessors(host: CoprocessorHost): CoprocessorUnits {
  const x87 = createAbsentX87(host);
  return { x87, simd: createAbsentSimd(host), hasFpu: false, hasSimd: false };
}
