// The number-limb fast paths must agree bit for bit with the exact BigInt core (itself checked
// against hardware in x87-hardware.test.ts) on random normal operands, every precision and rounding.

import { describe, expect, it } from "vitest";
import { FastExtended } from "../../src/emulator/cpu/fpu/fast-extended.ts";
import { ExactOps, FLAG_PE, FMT_EXT24, FMT_EXT53, FMT_EXT64, Rounder } from "../../src/emulator/cpu/fpu/softfloat.ts";
import { xorshift32 } from "../xorshift.ts";

describe("x87 fast paths agree with the exact core", () => {
  it("add, subtract, multiply and divide of normal operands (40000 random cases)", () => {
    const r = xorshift32(12345);
    const fast = new FastExtended();
    const ops = new ExactOps();
    const rnd = new Rounder();
    let checked = 0;
    const failures: string[] = [];
    for (let i = 0; i < 40000; i++) {
      const op = i % 4; // 0 add, 1 sub, 2 mul, 3 div
      const p = [24, 53, 64][(i >> 2) % 3];
      const rc = (i >> 4) & 3;
      const fmt = p === 24 ? FMT_EXT24 : p === 53 ? FMT_EXT53 : FMT_EXT64;
      const sa = r() & 1;
      const sb = r() & 1;
      const ea = 16383 + (r() % 200) - 100;
      let eb = r() % 4 === 0 ? ea + (r() % 3) - 1 : 16383 + (r() % 200) - 100;
      if (r() % 16 === 0) eb = ea + 70 + (r() % 60);
      const ahi = (r() | 0x80000000) >>> 0;
      const alo = r() % 8 === 0 ? 0 : r();
      let bhi = (r() | 0x80000000) >>> 0;
      let blo = r() % 8 === 0 ? 0 : r();
      if (r() % 8 === 0) {
        bhi = ahi;
        blo = (alo ^ (r() & 0xff)) >>> 0;
      }
      const sbEff = op === 1 ? sb ^ 1 : sb;
      const ok =
        op === 3 ? fast.div(sa, ea, ahi, alo, sb, eb, bhi, blo, p, rc) : op === 2 ? fast.mul(sa, ea, ahi, alo, sb, eb, bhi, blo, p, rc) : fast.add(sa, ea, ahi, alo, sbEff, eb, bhi, blo, p, rc);
      if (!ok) continue;
      checked++;
      const A = (BigInt(ahi) << 32n) | BigInt(alo);
      const B = (BigInt(bhi) << 32n) | BigInt(blo);
      if (op === 3) ops.div(sa, A, ea - 16446, sb, B, eb - 16446, p);
      else if (op === 2) ops.mul(sa, A, ea - 16446, sb, B, eb - 16446);
      else ops.add(sa, A, ea - 16446, sbEff, B, eb - 16446, rc);
      let se: number, sig: bigint, flags = 0, up = false;
      if (ops.rM === 0n) {
        se = ops.rSign << 15;
        sig = 0n;
      } else {
        rnd.rc = rc;
        rnd.flags = 0;
        rnd.round(fmt, ops.rSign, ops.rM, ops.rE, ops.rSticky);
        se = (rnd.outSign << 15) | rnd.outExp;
        sig = rnd.outSig << BigInt(64 - p);
        flags = rnd.flags;
        up = rnd.roundedUp && (flags & FLAG_PE) !== 0;
      }
      const got = `${fast.se.toString(16)} ${((BigInt(fast.hi) << 32n) | BigInt(fast.lo)).toString(16)} ${fast.flags} ${fast.roundedUp}`;
      const want = `${se.toString(16)} ${sig.toString(16)} ${flags} ${up}`;
      if (got !== want && failures.length < 5) failures.push(`op${op} p${p} rc${rc} ${sa}:${ea}:${ahi}:${alo} ${sb}:${eb}:${bhi}:${blo}: want ${want} got ${got}`);
    }
    expect(failures.join("\n")).toBe("");
    expect(checked).toBeGreaterThan(35000);
  });
});

describe("integer paths", () => {
  it("isqrt returns floor(sqrt(n)) for random sizes", async () => {
    const { isqrt } = await import("../../src/emulator/cpu/fpu/softfloat.ts");
    const r = xorshift32(99);
    for (let i = 0; i < 3000; i++) {
      const words = 1 + (i % 40);
      let n = 0n;
      for (let k = 0; k < words; k++) n = (n << 32n) | BigInt(r());
      const s = isqrt(n);
      expect(s * s <= n && (s + 1n) * (s + 1n) > n).toBe(true);
    }
  });

  it("FILD m64 then FISTP m64 round-trips every 64-bit integer pattern", async () => {
    const { X87 } = await import("../../src/emulator/cpu/fpu/index.ts");
    const { FakeHost } = await import("./fake-host.ts");
    const h = new FakeHost();
    const x = new X87(h);
    x.execute(0xdb, 0xe3, -1);
    const r = xorshift32(5);
    const specials = [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x100000000n, -0x100000000n];
    for (let i = 0; i < 3000; i++) {
      let v = i < specials.length ? specials[i] : BigInt.asIntN(64, (BigInt(r()) << 32n) | BigInt(r()));
      if (i % 3 === 1) v >>= BigInt(r() % 63);
      h.write64(0x100, BigInt.asUintN(64, v));
      x.execute(0xdf, 0x28, 0x100); // FILD m64
      x.execute(0xdf, 0x38, 0x200); // FISTP m64
      expect(BigInt.asIntN(64, h.read64(0x200))).toBe(v);
    }
    expect(x.statusWord() & 0x3f).toBe(0);
  });
});
