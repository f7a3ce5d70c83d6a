import { describe, expect, it } from "vitest";
import { StateError } from "../../src/emulator/state.ts";
import { MODE_03H, MODE_13H } from "../../src/emulator/devices/vga/vga-modes.ts";
import { makeVga, programMode, setDac } from "./harness.ts";

describe("VGA save/restore", () => {
  it("restores registers, planes, DAC, latches and DISPI into a fresh device", () => {
    const a = makeVga();
    programMode(a.io, MODE_13H);
    setDac(a.io, 9, 1, 2, 3);
    for (let i = 0; i < 64000; i += 97) a.memory.write8(0xa0000 + i, i & 0xff);
    a.io.out8(0x3c7, 9);
    a.io.in8(0x3c9); // mid-triple DAC read
    a.io.in8(0x3da);
    a.io.out8(0x3c0, 0x30); // attribute flip-flop left in the data state, index 0x10
    a.io.out16(0x1ce, 5);
    const before = a.vga.render();
    const pixelsBefore = before.pixels.slice();
    const saved = a.vga.saveState();
    expect(saved.type).toBe("vga");
    expect(saved.version).toBe(1);

    const b = makeVga();
    b.vga.loadState(saved);
    expect(b.vga.mode()).toEqual({ kind: "graphics", width: 320, height: 200, bpp: 8 });
    expect(b.vga.render().pixels).toEqual(pixelsBefore);
    expect(b.io.in8(0x3c9)).toBe(2); // continues the DAC triple
    expect(b.io.in16(0x1ce)).toBe(5);
    b.io.out8(0x3c0, 0x45); // data write to index 0x10 (flip-flop state restored)
    expect(b.vga.regs.attr[0x10]).toBe(0x45);
    expect(b.memory.read8(0xa0000 + 97)).toBe(97);
  });

  it("restores a text screen and rejects states that do not fit", () => {
    const a = makeVga();
    programMode(a.io, MODE_03H);
    a.memory.write16(0xb8000, 0x0748);
    a.memory.write16(0xb8002, 0x0769);
    const saved = a.vga.saveState();
    const b = makeVga();
    b.vga.loadState(saved);
    expect(b.vga.textLines()[0]).toBe("Hi");

    const small = makeVga({ vramMiB: 1 });
    expect(() => small.vga.loadState(saved)).toThrow(StateError);
    expect(() => b.vga.loadState({ ...saved, version: 99 })).toThrow(/version/);
    expect(() => b.vga.loadState({ ...saved, fields: { ...saved.fields, crtc: new Uint8Array(3) } })).toThrow(/crtc/);
    expect(() => b.vga.loadState({ ...saved, fields: { ...saved.fields, dacComponent: 7 } })).toThrow(/dacComponent/);
  });
});
