// Known answers measured on the host CPU (see sse-reference.py): SSE/SSE2/MMX results, MXCSR flags
// and the EAX/EFLAGS outputs must match bit for bit, under every rounding mode with FTZ/DAZ.

import { describe, expect, it } from "vitest";
import { createX87 } from "../../src/emulator/cpu/fpu/index.ts";
import { createSimd } from "../../src/emulator/cpu/simd/index.ts";
import { FakeHost } from "../fpu/fake-host.ts";
import { hex128, referenceCases, setHex128 } from "./reference-cases.ts";

describe("SSE/SSE2/MMX against hardware reference results", () => {
  // Cases group by instruction family: the name without its width or immediate suffix.
  const groups = referenceCases("sse-reference.txt", (f) => f[0].replace(/_i\d+$/, "").replace(/\d+$/, ""));
  for (const [family, cases] of groups) {
    it(`${family}: ${cases.length} cases bit-exact`, () => {
      const h = new FakeHost();
      const x87 = createX87(h);
      const simd = createSimd(h, x87);
      const mm = new Uint32Array(x87.mmBuffer);
      const failures: string[] = [];
      for (const f of cases) {
        const [name, opc, pfx, modrm, imm, check, mx, a, b] = f;
        const mmx = name.endsWith("_mmx");
        simd.mxcsr = parseInt(mx, 16);
        if (mmx) {
          setHex128(mm, 0, a.slice(16).padStart(32, "0"));
          mm.fill(0, 2, 4);
          setHex128(mm, 2, b.slice(16).padStart(32, "0"));
          mm[4] = 0;
          mm[5] = 0;
        } else {
          setHex128(simd.xmm.u32, 0, a);
          setHex128(simd.xmm.u32, 4, b);
        }
        h.regs[0] = parseInt(b.slice(24), 16);
        h.eflags = 0x202;
        if (Number(imm) >= 0) h.imm.push(Number(imm));
        simd.execute(parseInt(opc, 16), parseInt(pfx, 16), parseInt(modrm, 16), -1);
        const r = mmx ? "0000000000000000" + hex128(mm, 0).slice(16) : hex128(simd.xmm.u32, 0);
        let got = `${r} ${simd.mxcsr.toString(16).padStart(8, "0")}`;
        let want = `${f[9]} ${f[10]}`;
        if (check === "a") {
          got += ` eax=${h.regs[0].toString(16).padStart(8, "0")}`;
          want += ` eax=${f[11]}`;
        } else if (check === "f") {
          got += ` flags=${(h.eflags & 0x45).toString(16)}`;
          want += ` flags=${(parseInt(f[11], 16) & 0x45).toString(16)}`;
        }
        if (got !== want) failures.push(`${name} mxcsr=${mx} a=${a} b=${b}\n   want ${want}\n   got  ${got}`);
      }
      expect(failures.slice(0, 6).join("\n"), `${failures.length} mismatches`).toBe("");
    });
  }
});
