// SSE/SSE2 with exceptions unmasked, against hardware (see sse-unmasked-reference.py): whether #XM
// is taken, which MXCSR flags are recorded at that point, and that the destination is unchanged.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createX87 } from "../../src/emulator/cpu/fpu/index.ts";
import { createSimd } from "../../src/emulator/cpu/simd/index.ts";
import { CpuException, FakeHost } from "../fpu/fake-host.ts";

function setHex128(view: Uint32Array, base: number, hex: string): void {
  for (let i = 0; i < 4; i++) view[base + i] = parseInt(hex.slice(24 - 8 * i, 32 - 8 * i), 16);
}
function hex128(view: Uint32Array, base: number): string {
  let s = "";
  for (let i = 3; i >= 0; i--) s += view[base + i].toString(16).padStart(8, "0");
  return s;
}

describe("SSE with unmasked exceptions against hardware", () => {
  const lines = readFileSync(new URL("./sse-unmasked-reference.txt", import.meta.url), "utf8").trim().split("\n");
  const byName = new Map<string, string[][]>();
  for (const l of lines) {
    const f = l.split(" ");
    if (!byName.has(f[0])) byName.set(f[0], []);
    byName.get(f[0])!.push(f);
  }
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
