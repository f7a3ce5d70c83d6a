// A guest may program anything: random register and memory traffic must never throw, never make
// the device allocate without bound, and always leave mode()/textLines()/render() consistent.

import { describe, expect, it } from "vitest";
import { makeVga } from "./harness.ts";
import { xorshift32 } from "../xorshift.ts";

describe("VGA robustness", () => {
  it("survives random port and memory traffic with bounded, consistent output", () => {
    const { vga, io, memory, clock, pciFunctions } = makeVga({ vramMiB: 4 });
    const lfb = 0x00800000;
    pciFunctions[0].bars![0]!.onMap(lfb);
    pciFunctions[0].bars![2]!.onMap(0x00c00000);
    const rnd = xorshift32(0x5eed);
    for (let step = 0; step < 60_000; step++) {
      const r = rnd();
      const v = rnd();
      switch (r % 9) {
        case 0:
        case 1:
          io.out8(0x3b0 + (v % 0x30), v >>> 8);
          break;
        case 2:
          io.in8(0x3b0 + (v % 0x30));
          break;
        case 3:
          io.out16(0x1ce, (v >>> 4) % 12);
          io.out16(0x1cf, v >>> 16);
          break;
        case 4:
          memory.write8(0xa0000 + (v % 0x20000), v >>> 24);
          break;
        case 5:
          memory.write32(0xa0000 + (v % 0x20000), v);
          break;
        case 6:
          memory.read16(0xa0000 + (v % 0x20000));
          break;
        case 7:
          memory.write32(lfb + (v % (4 << 20)), r);
          break;
        default:
          memory.write16(0x00c00000 + (v % 0x1000), r >>> 16);
      }
      if (step % 3000 === 0) {
        clock.advance(5e6);
        const m = vga.mode();
        const frame = vga.render();
        expect(frame.width).toBeGreaterThan(0);
        expect(frame.height).toBeGreaterThan(0);
        expect(frame.width * frame.height).toBeLessThanOrEqual(4608 * 2048);
        expect(frame.pixels.length).toBe(frame.width * frame.height * 4);
        if (m.kind === "text") {
          const lines = vga.textLines();
          expect(lines.length).toBe(m.rows);
          for (const l of lines) expect(l.length).toBeLessThanOrEqual(m.cols);
        } else {
          expect(vga.textLines()).toEqual([]);
          expect(m.width * m.height * Math.max(1, m.bpp / 8)).toBeLessThanOrEqual((4 << 20) * 4);
        }
      }
    }
    const saved = vga.saveState();
    const copy = makeVga({ vramMiB: 4 });
    copy.vga.loadState(saved);
    expect(copy.vga.mode()).toEqual(vga.mode());
    expect(copy.vga.textLines()).toEqual(vga.textLines());
  });
});
