// SSE/SSE2 with exceptions unmasked, against hardware (see sse-unmasked-reference.py): whether #XM
// is taken, which MXCSR flags are recorded at that point, and that the destination is unchanged.

import { describe, expect, it } from "vitest";
import { createX87 } from "../../src/emulator/cpu/fpu/index.ts";
import { createSimd } from "../../src/emulator/cpu/simd/index.ts";
import { CpuException, FakeHost } from "../fpu/fake-host.ts";
import { hex128, referenceCases, setHex128 } from "./reference-cases.ts";

describe("SSE with unmasked exceptions against hardware", () => {
  const byName = referenceCases("sse-unmasked-reference.txt", (f) => f[0]);
  for (const [name, cases] of byName) {
    it(`${name}: ${cases.length} cases`, () => {
      const h = new FakeHost();
      const simd = createSimd(h, createX87(h));
      const failures: string[] = [];
      for (const f of cases) {
        const [, opc, pfx, modrm, imm, mx, a, b, wantFault, wantR, wantMx] = f;
        simd.mxcsr = parseInt(mx, 16);
        setHex128(simd.xmm.u32, 0, a);
        setHex128(simd.xmm.u32, 4, b);
        if (Number(imm) >= 0) h.imm.push(Number(imm));
        let faulted = "0";
        try {
          simd.execute(parseInt(opc, 16), parseInt(pfx, 16), parseInt(modrm, 16), -1);
        } catch (e) {
          if (!(e instanceof CpuException) || e.vector !== 19) throw e;
          faulted = "1";
        }
        h.imm.length = 0;
        const got = `${faulted} ${hex128(simd.xmm.u32, 0)} ${simd.mxcsr.toString(16).padStart(8, "0")}`;
        const want = `${wantFault} ${wantR} ${wantMx}`;
        if (got !== want) failures.push(`mxcsr=${mx} a=${a} b=${b}\n   want ${want}\n   got  ${got}`);
      }
      expect(failures.slice(0, 5).join("\n"), `${failures.length} mismatches`).toBe("");
    });
  }
});
