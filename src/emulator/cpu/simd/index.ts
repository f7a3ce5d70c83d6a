// The MMX/SSE/SSE2 unit's entry point for the integer core (see ../coprocessor.ts). It needs the
// concrete x87 unit: MMX registers alias the x87 registers and FXSAVE/FXRSTOR cover both.

import type { CoprocessorHost, X87Unit } from "../coprocessor.ts";
import { X87 } from "../fpu/x87.ts";
import { Simd } from "./simd.ts";

export { Simd } from "./simd.ts";

export function createSimd(host: CoprocessorHost, x87: X87Unit): Simd {
  if (!(x87 instanceof X87)) throw new TypeError("createSimd needs the x87 unit made by createX87 (MMX registers alias its registers)");
  return new Simd(host, x87);
}
