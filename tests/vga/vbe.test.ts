import { describe, expect, it } from "vitest";
import { makeVga, pixel, setDac } from "./harness.ts";

const dispiWrite = (io: import("../../src/emulator/io-bus.ts").IOBus, index: number, value: number) => {
  io.out16(0x1ce, index);
  io.out16(0x1cf, value);
};
const dispiRead = (io: import("../../src/emulator/io-bus.ts").IOBus, index: number) => {
  io.out16(0x1ce, index);
  return io.in16(0x1cf);
};

describe("Bochs VBE (DISPI) and the PCI function", () => {
  it("describes itself as PCI 1234:1111 class 030000 with a prefetchable VRAM BAR0 and the VGA BIOS ROM", () => {
    const rom = new Uint8Array(1024);
    rom[0] = 0x55;
    rom[1] = 0xaa;
    const { pciFunctions } = makeVga({ vgaBios: rom, vramMiB: 8 });
    expect(pciFunctions).toHaveLength(1);
    const fn = pciFunctions[0];
    const c = fn.config;
    expect(c[0] | (c[1] << 8)).toBe(0x1234);
    expect(c[2] | (c[3] << 8)).toBe(0x1111);
    expect([c[0x0b], c[0x0a], c[0x09]]).toEqual([0x03, 0x00, 0x00]);
    expect(c[0x10] & 0x0f).toBe(0x08);
    expect(fn.bars?.[0]?.size).toBe(8 << 20);
    expect(fn.bars?.[0]?.kind).toBe("mem");
    expect(fn.bars?.[2]?.size).toBe(0x1000);
    expect(fn.romImage).toBe(rom);
    expect(() => makeVga({ vgaBios: new Uint8Array(1024) })).toThrow(/0x55 0xAA/);
    expect(() => makeVga({ vramMiB: 3 })).toThrow(/power of two/);
  });

  it("answers the DISPI ID handshake, capabilities and memory size", () => {
    const { io } = makeVga();
    expect(dispiRead(io, 0)).toBe(0xb0c0);
    dispiWrite(io, 0, 0xb0c5);
    expect(dispiRead(io, 0)).toBe(0xb0c5);
    dispiWrite(io, 0, 0x1234); // not an ID: ignored
    expect(dispiRead(io, 0)).toBe(0xb0c5);
    expect(dispiRead(io, 10)).toBe(256); // 16 MiB in 64 KiB units
    dispiWrite(io, 4, 0x02); // GETCAPS
    expect([dispiRead(io, 1), dispiRead(io, 2), dispiRead(io, 3)]).toEqual([2560, 1600, 32]);
    dispiWrite(io, 4, 0x00);
    expect(dispiRead(io, 1)).toBe(640);
    dispiWrite(io, 3, 13); // unsupported depth falls back to 8
    expect(dispiRead(io, 3)).toBe(8);
  });

  it("800x600x32 with the LFB at BAR0: writes through the framebuffer render", () => {
    const { vga, io, memory, pciFunctions } = makeVga({ vramMiB: 4 });
    // PhysicalMemory in the rig is 4 MiB; put the LFB just above it.
    const lfb = 0x00800000;
    pciFunctions[0].bars![0]!.onMap(lfb);
    dispiWrite(io, 1, 800);
    dispiWrite(io, 2, 600);
    dispiWrite(io, 3, 32);
    dispiWrite(io, 4, 0x41); // enabled + LFB
    expect(vga.mode()).toEqual({ kind: "graphics", width: 800, height: 600, bpp: 32 });
    expect(vga.textLines()).toEqual([]);
    expect(dispiRead(io, 6)).toBe(800);
    expect(dispiRead(io, 7)).toBe(Math.floor((4 << 20) / 3200));
    memory.write32(lfb + (10 * 800 + 20) * 4, 0x00ff8040); // B=0x40 G=0x80 R=0xFF
    memory.write32(lfb + (599 * 800 + 799) * 4, 0x000000ff);
    memory.write16(lfb + 4, 0xffff);
    expect(memory.read32(lfb + (10 * 800 + 20) * 4)).toBe(0x00ff8040);
    let frame = vga.render();
    expect(frame.width).toBe(800);
    expect(frame.height).toBe(600);
    expect(pixel(frame, 20, 10)).toEqual([0xff, 0x80, 0x40, 255]);
    expect(pixel(frame, 799, 599)).toEqual([0, 0, 0xff, 255]);
    expect(pixel(frame, 1, 0)).toEqual([0, 0xff, 0xff, 255]); // blue and green bytes written
    expect(pixel(frame, 0, 0)).toEqual([0, 0, 0, 255]);
    // Only changed rows are redrawn.
    memory.write32(lfb + (300 * 800) * 4, 0x00ffffff);
    frame = vga.render();
    expect(vga.lastDirty.top).toBeLessThanOrEqual(300);
    expect(vga.lastDirty.bottom).toBeGreaterThan(300);
    expect(vga.lastDirty.bottom - vga.lastDirty.top).toBeLessThan(4);
    // Moving the BAR unmaps the old window.
    pciFunctions[0].bars![0]!.onMap(0x01000000);
    expect(memory.read32(lfb + (10 * 800 + 20) * 4)).toBe(-1);
    expect(memory.read32(0x01000000 + (10 * 800 + 20) * 4)).toBe(0x00ff8040);
    // Y offset pans the display (double buffering).
    dispiWrite(io, 9, 10);
    frame = vga.render();
    expect(pixel(frame, 20, 0)).toEqual([0xff, 0x80, 0x40, 255]);
  });

  it("clears VRAM on enable unless NOCLEARMEM; banked window at 0xA0000; 8/15/16/24 bpp", () => {
    const { vga, io, memory } = makeVga();
    dispiWrite(io, 1, 640);
    dispiWrite(io, 2, 480);
    dispiWrite(io, 3, 8);
    dispiWrite(io, 4, 0x01); // banked
    setDac(io, 7, 63, 0, 63);
    memory.write8(0xa0000 + 5, 7);
    dispiWrite(io, 5, 1); // bank 1 = VRAM 64K..128K
    memory.write8(0xa0000 + 10, 7); // VRAM 65546 = row 102, x 266
    expect(memory.read8(0xa0000 + 10)).toBe(7);
    let frame = vga.render();
    expect(vga.mode()).toEqual({ kind: "graphics", width: 640, height: 480, bpp: 8 });
    expect(pixel(frame, 5, 0)).toEqual([255, 0, 255, 255]);
    expect(pixel(frame, 65546 % 640, Math.floor(65546 / 640))).toEqual([255, 0, 255, 255]);

    dispiWrite(io, 4, 0x00);
    dispiWrite(io, 3, 16);
    dispiWrite(io, 4, 0xc1); // NOCLEARMEM: old bytes survive
    expect(vga.memory.vram[5]).toBe(7);
    dispiWrite(io, 5, 0);
    memory.write16(0xa0000, 0xf800); // 5-6-5 red
    memory.write16(0xa0002, 0x07e0); // green
    frame = vga.render();
    expect(pixel(frame, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 1, 0)).toEqual([0, 255, 0, 255]);

    dispiWrite(io, 3, 15);
    memory.write16(0xa0000, 0x001f); // 5-5-5 blue
    frame = vga.render();
    expect(vga.mode()).toEqual({ kind: "graphics", width: 640, height: 480, bpp: 15 });
    expect(pixel(frame, 0, 0)).toEqual([0, 0, 255, 255]);

    dispiWrite(io, 3, 24);
    memory.write8(0xa0000, 0x11);
    memory.write8(0xa0001, 0x22);
    memory.write8(0xa0002, 0x33);
    frame = vga.render();
    expect(pixel(frame, 0, 0)).toEqual([0x33, 0x22, 0x11, 255]);

    dispiWrite(io, 4, 0x00);
    dispiWrite(io, 4, 0x01); // re-enable clears
    expect(vga.memory.vram[0]).toBe(0);
    dispiWrite(io, 4, 0x00);
  });

  it("4 bpp planar VBE: banked window through the planar write logic, rendered beyond 64 KiB planes", () => {
    const { vga, io, memory } = makeVga();
    dispiWrite(io, 1, 1024);
    dispiWrite(io, 2, 768);
    dispiWrite(io, 3, 4);
    dispiWrite(io, 4, 0x01);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 1024, height: 768, bpp: 4 });
    expect(dispiRead(io, 7)).toBe(Math.floor((16 << 20) / 512));
    io.out16(0x3c4, 0x0f02);
    io.out16(0x3ce, 0x0205); // write mode 2
    // Row 700 starts at plane word 700 * 128 = 89600 = bank 1, offset 24064.
    dispiWrite(io, 5, 1);
    memory.read8(0xa0000 + 24064);
    memory.write8(0xa0000 + 24064, 0x0c);
    expect(vga.memory.vram32[89600]).toBe(0x00000000 | (0xff << 16) | (0xff << 24));
    io.out16(0x3ce, 0x0005);
    io.out16(0x3ce, 0x0304); // read map 3
    expect(memory.read8(0xa0000 + 24064)).toBe(0xff);
    io.in8(0x3da);
    io.out8(0x3c0, 0x20);
    const frame = vga.render();
    const want = [0xff, 0x55, 0x55, 255]; // attribute 12 -> EGA 0x3c (light red) in the power-on palette
    expect(pixel(frame, 0, 700)).toEqual(want);
    expect(pixel(frame, 7, 700)).toEqual(want);
    expect(pixel(frame, 8, 700)).toEqual([0, 0, 0, 255]);
  });

  it("keeps the mode inside VRAM whatever the guest asks for", () => {
    const { vga, io } = makeVga({ vramMiB: 1 });
    dispiWrite(io, 1, 0xffff);
    dispiWrite(io, 2, 0xffff);
    dispiWrite(io, 3, 32);
    dispiWrite(io, 6, 0xffff);
    dispiWrite(io, 8, 0xffff);
    dispiWrite(io, 9, 0xffff);
    dispiWrite(io, 5, 0xffff);
    dispiWrite(io, 4, 0x41);
    const m = vga.mode();
    expect(m.kind).toBe("graphics");
    if (m.kind !== "graphics") return;
    expect(m.width * m.height * 4).toBeLessThanOrEqual(1 << 20);
    const frame = vga.render();
    expect(frame.pixels.length).toBe(m.width * m.height * 4);
    expect(dispiRead(io, 5)).toBeLessThan(16);
  });

  it("QEMU MMIO BAR2 mirrors the VGA ports and DISPI registers", () => {
    const { vga, memory, pciFunctions } = makeVga();
    const base = 0x00bff000; // above the rig's 4 MiB of RAM
    pciFunctions[0].bars![2]!.onMap(base);
    expect(memory.read16(base + 0x500)).toBe(0xb0c0);
    memory.write16(base + 0x502, 1024);
    memory.write16(base + 0x504, 768);
    memory.write16(base + 0x506, 16);
    memory.write16(base + 0x508, 0x41);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 1024, height: 768, bpp: 16 });
    memory.write8(base + 0x408, 5); // 0x3C8 DAC write index
    expect(memory.read8(base + 0x408)).toBe(5);
    expect(memory.read32(base + 0x600)).toBe(8);
    // EDID at offset 0: header, checksum, preferred 1024x768 detailed timing.
    const edid = memory.readBytes(base, 128);
    expect([...edid.subarray(0, 8)]).toEqual([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
    expect(edid.reduce((a, b) => a + b, 0) & 0xff).toBe(0);
    expect([edid[18], edid[19]]).toEqual([1, 4]);
    expect(edid[56] | ((edid[58] >> 4) << 8)).toBe(1024);
    expect(edid[59] | ((edid[61] >> 4) << 8)).toBe(768);
    expect((edid[54] | (edid[55] << 8)) * 10_000).toBe(65_000_000);
    expect(String.fromCharCode(...edid.subarray(95, 107))).toBe("Hypertab VGA");
    expect(memory.read32(base + 0x604)).toBe(0x1e1e1e1e);
  });

  it("a reset zeroes the VRAM written since the last one (also after a render cleared the dirty map), font apart", () => {
    const { vga, memory, pciFunctions } = makeVga({ vramMiB: 4 });
    const lfb = 0x00800000;
    pciFunctions[0].bars![0]!.onMap(lfb);
    const font = vga.memory.vram.slice(0, 0x40000);
    memory.write8(lfb + 0x3fffff, 0x11);
    memory.write16(lfb + 0x250000, 0x2222);
    memory.write32(lfb + 0x1000, 0x33333333);
    memory.write8(0xa0000, 0x44); // planar write through the legacy window
    vga.render();
    vga.reset();
    expect(memory.read8(lfb + 0x3fffff)).toBe(0);
    expect(memory.read16(lfb + 0x250000)).toBe(0);
    expect(vga.memory.vram.slice(0, 0x40000)).toEqual(font);
    expect(vga.memory.vram.subarray(0x40000).some((b) => b !== 0)).toBe(false);
  });
});
