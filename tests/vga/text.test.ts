import { describe, expect, it } from "vitest";
import { MODE_03H, egaPaletteEntry } from "../../src/emulator/devices/vga/vga-modes.ts";
import { makeVga, pixel, programMode } from "./harness.ts";

const six2eight = (v: number) => ((v << 2) | (v >> 4)) & 0xff;

function writeText(memory: { write8(a: number, v: number): void }, row: number, col: number, text: string | number[], attr: number): void {
  const codes = typeof text === "string" ? [...text].map((c) => c.charCodeAt(0)) : text;
  codes.forEach((code, i) => {
    const addr = 0xb8000 + (row * 80 + col + i) * 2;
    memory.write8(addr, code);
    memory.write8(addr + 1, attr);
  });
}

/** Loads one 16-line glyph into font map 0 of plane 2 the way the VGA BIOS does. */
function loadGlyph(io: import("../../src/emulator/io-bus.ts").IOBus, memory: { write8(a: number, v: number): void }, code: number, rows: number[]): void {
  io.out16(0x3c4, 0x0402); // map mask: plane 2
  io.out16(0x3c4, 0x0604); // sequential addressing
  io.out16(0x3ce, 0x0005); // write mode 0, no odd/even
  io.out16(0x3ce, 0x0406); // A0000, 64K, text
  rows.forEach((bits, line) => memory.write8(0xa0000 + code * 32 + line, bits));
  io.out16(0x3c4, 0x0302);
  io.out16(0x3c4, 0x0204);
  io.out16(0x3ce, 0x1005);
  io.out16(0x3ce, 0x0e06);
}

describe("VGA text mode", () => {
  it("reads characters written at 0xB8000 back as text lines, with CP437 box drawing", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    writeText(memory, 0, 0, "A:\\>dir", 0x07);
    writeText(memory, 3, 10, [0xc9, 0xcd, 0xcd, 0xbb, 0x20, 0xb0, 0xdb, 0x01], 0x1f);
    const lines = vga.textLines();
    expect(lines).toHaveLength(25);
    expect(lines[0]).toBe("A:\\>dir");
    expect(lines[3]).toBe("          ╔══╗ ░█☺");
    expect(lines[1]).toBe("");
    // Memory reads back through the odd/even path.
    expect(memory.read8(0xb8000)).toBe(0x41);
    expect(memory.read8(0xb8001)).toBe(0x07);
    expect(memory.read16(0xb8002)).toBe(0x073a);
  });

  it("follows the CRTC start address, 80x50 and 40x25 layouts", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    writeText(memory, 1, 0, "second row", 0x07);
    io.out16(0x3d4, 0x000c);
    io.out16(0x3d4, 0x500d); // start at cell 80 = row 1
    expect(vga.textLines()[0]).toBe("second row");
    io.out16(0x3d4, 0x000d);
    io.out16(0x3d4, 0x2701); // CR11 protect bit is set in mode 3: ignored
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    io.out16(0x3d4, 0x0e11);
    io.out16(0x3d4, 0x4709); // 8-line characters → 80x50
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 50 });
    io.out16(0x3d4, 0x4f09);
    io.out16(0x3d4, 0x2701); // 40 columns displayed
    io.out16(0x3d4, 0x1413); // row offset 40 cells
    expect(vga.mode()).toEqual({ kind: "text", cols: 40, rows: 25 });
    expect(vga.textLines()[2]).toBe("second row");
    // A real 40-column mode halves the dot clock: pixels are drawn double width.
    io.out16(0x3c4, 0x0801);
    expect(vga.mode()).toEqual({ kind: "text", cols: 40, rows: 25 });
    const frame = vga.render();
    expect([frame.width, frame.height]).toEqual([720, 400]);
  });

  it("reports the cursor from CRTC 0x0A/0x0B/0x0E/0x0F and draws it blinking", () => {
    const { vga, io, memory, clock } = makeVga();
    programMode(io, MODE_03H);
    writeText(memory, 2, 0, " ".repeat(80), 0x07);
    const pos = 2 * 80 + 5;
    io.out16(0x3d4, ((pos >> 8) << 8) | 0x0e);
    io.out16(0x3d4, ((pos & 0xff) << 8) | 0x0f);
    expect(vga.cursor()).toEqual({ row: 2, col: 5, visible: true });
    let frame = vga.render();
    expect(frame.width).toBe(720);
    expect(frame.height).toBe(400);
    const grey = [0xaa, 0xaa, 0xaa, 255];
    const black = [0, 0, 0, 255];
    // Mode 3 cursor covers lines 13-14 of the cell, in the cell's foreground colour.
    expect(pixel(frame, 5 * 9 + 3, 2 * 16 + 13)).toEqual(grey);
    expect(pixel(frame, 5 * 9 + 8, 2 * 16 + 14)).toEqual(grey);
    expect(pixel(frame, 5 * 9 + 3, 2 * 16 + 12)).toEqual(black);
    expect(pixel(frame, 6 * 9 + 3, 2 * 16 + 13)).toEqual(black);
    clock.advance(17 * (1e9 / 60)); // cursor blink phase off
    frame = vga.render();
    expect(pixel(frame, 5 * 9 + 3, 2 * 16 + 13)).toEqual(black);
    clock.advance(16 * (1e9 / 60));
    frame = vga.render();
    expect(pixel(frame, 5 * 9 + 3, 2 * 16 + 13)).toEqual(grey);
    io.out16(0x3d4, 0x200a); // cursor disable bit
    expect(vga.cursor()!.visible).toBe(false);
    frame = vga.render();
    expect(pixel(frame, 5 * 9 + 3, 2 * 16 + 13)).toEqual(black);
  });

  it("renders glyph pixels from plane 2 with attribute and DAC colours, 9th column and blink", () => {
    const { vga, io, memory, clock } = makeVga();
    programMode(io, MODE_03H);
    const rows = new Array(16).fill(0);
    rows[4] = 0b1000_0001;
    rows[5] = 0xff;
    loadGlyph(io, memory, 0x41, rows);
    loadGlyph(io, memory, 0xc4, rows);
    writeText(memory, 1, 2, "A", 0x1e); // yellow on blue
    writeText(memory, 1, 3, [0xc4], 0x1e);
    writeText(memory, 1, 4, "A", 0x9e); // blinking
    const frame = vga.render();
    const [yr, yg, yb] = egaPaletteEntry(0x3e).map(six2eight);
    const [br, bg, bb] = egaPaletteEntry(0x01).map(six2eight);
    const y0 = 16 + 4;
    expect(pixel(frame, 2 * 9, y0)).toEqual([yr, yg, yb, 255]);
    expect(pixel(frame, 2 * 9 + 1, y0)).toEqual([br, bg, bb, 255]);
    expect(pixel(frame, 2 * 9 + 7, y0)).toEqual([yr, yg, yb, 255]);
    expect(pixel(frame, 2 * 9 + 8, y0)).toEqual([br, bg, bb, 255]); // 9th column: background for letters
    expect(pixel(frame, 3 * 9 + 8, y0)).toEqual([yr, yg, yb, 255]); // ...but line graphics repeat column 8
    expect(pixel(frame, 2 * 9 + 3, y0 + 1)).toEqual([yr, yg, yb, 255]);
    expect(pixel(frame, 2 * 9 + 3, y0 + 2)).toEqual([br, bg, bb, 255]);
    // Blinking character: visible in the first half second, background-only in the next.
    expect(pixel(frame, 4 * 9, y0)).toEqual([yr, yg, yb, 255]);
    clock.advance(33 * (1e9 / 60));
    const later = vga.render();
    expect(pixel(later, 4 * 9, y0)).toEqual([br, bg, bb, 255]);
    expect(pixel(later, 2 * 9, y0)).toEqual([yr, yg, yb, 255]);
    // With blink disabled (mode control bit 3), bit 7 is background intensity instead.
    io.in8(0x3da);
    io.out8(0x3c0, 0x30);
    io.out8(0x3c0, 0x04);
    const noBlink = vga.render();
    const [ir, ig, ib] = egaPaletteEntry(0x39).map(six2eight);
    expect(pixel(noBlink, 4 * 9 + 1, y0)).toEqual([ir, ig, ib, 255]);
  });

  it("monochrome addressing: CRTC and status at 0x3Bx, text at 0xB0000, underline attribute", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    io.out8(0x3c2, 0x66); // mono: CRTC at 0x3B4, input status 1 at 0x3BA
    io.out16(0x3ce, 0x0a06); // text, B0000 32K
    expect(io.in8(0x3d5)).toBe(0xff); // colour ports no longer decode
    io.out16(0x3d4, 0x000f); // ...nor take writes
    io.out16(0x3b4, 0x0f14); // underline on line 15
    io.out16(0x3b4, 0x200a); // cursor off
    io.out8(0x3b4, 0x14);
    expect(io.in8(0x3b5)).toBe(0x0f);
    io.in8(0x3ba); // resets the attribute flip-flop in mono mode
    io.out8(0x3c0, 0x30);
    io.out8(0x3c0, 0x0e); // mode control: mono, line graphics, blink
    loadGlyph(io, memory, 0x41, new Array(16).fill(0));
    io.out16(0x3ce, 0x0a06);
    memory.write16(0xb0000, 0x0141); // "A", underline attribute
    memory.write16(0xb0002, 0x0741); // "A", normal
    expect(vga.textLines()[0]).toBe("AA");
    expect(memory.read8(0xb8000)).toBe(0xff);
    const frame = vga.render();
    expect(pixel(frame, 4, 15)).toEqual([0, 0, 0xaa, 255]); // EGA palette entry 1 (blue) from attribute 1
    expect(pixel(frame, 8, 15)).toEqual([0, 0, 0xaa, 255]);
    expect(pixel(frame, 4, 14)).toEqual([0, 0, 0, 255]);
    expect(pixel(frame, 9 + 4, 15)).toEqual([0, 0, 0, 255]);
  });

  it("DAC programming changes rendered text colours; the pel mask applies", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    writeText(memory, 0, 0, [0xdb], 0x07); // full block in colour 7
    io.out8(0x3c8, 0x07);
    io.out8(0x3c9, 0x3f);
    io.out8(0x3c9, 0x00);
    io.out8(0x3c9, 0x20);
    loadGlyph(io, memory, 0xdb, new Array(16).fill(0xff));
    let frame = vga.render();
    expect(pixel(frame, 3, 3)).toEqual([255, 0, six2eight(0x20), 255]);
    io.out8(0x3c6, 0x00); // pel mask 0: everything uses DAC entry 0
    frame = vga.render();
    expect(pixel(frame, 3, 3)).toEqual([0, 0, 0, 255]);
  });

  it("works before any BIOS: power-on state is 80x25 text with a fallback font", () => {
    const { vga, memory } = makeVga();
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    writeText(memory, 0, 0, "Linux", 0x07);
    expect(vga.textLines()[0]).toBe("Linux");
    const frame = vga.render();
    // The fallback "L" has its vertical stroke in column 1 of the cell and a bottom bar.
    let lit = 0;
    for (let y = 0; y < 16; y++) for (let x = 0; x < 9; x++) if (pixel(frame, x, y)[0] > 0) lit++;
    expect(lit).toBeGreaterThan(15);
    expect(pixel(frame, 1, 2)[0]).toBe(0xaa);
  });

  it("tracks dirty rows and a generation counter", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    vga.render();
    const g0 = vga.generation;
    vga.render();
    expect(vga.generation).toBe(g0);
    expect(vga.lastDirty).toEqual({ top: 0, bottom: 0 });
    writeText(memory, 10, 40, "x", 0x07);
    vga.render();
    expect(vga.generation).toBe(g0 + 1);
    // 1 KiB dirty granularity: the changed row plus at most the neighbours sharing its chunk.
    expect(vga.lastDirty.top).toBeLessThanOrEqual(160);
    expect(vga.lastDirty.bottom).toBeGreaterThanOrEqual(176);
    expect(vga.lastDirty.bottom - vga.lastDirty.top).toBeLessThanOrEqual(5 * 16);
    // Palette change: everything.
    io.out8(0x3c8, 0);
    for (let i = 0; i < 3; i++) io.out8(0x3c9, 0x10);
    vga.render();
    expect(vga.lastDirty).toEqual({ top: 0, bottom: 400 });
  });

  it("renders 720x400 text fast enough for 60 fps", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_03H);
    const frames = 120;
    const t0 = performance.now();
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < 2000; i += 7) memory.write16(0xb8000 + i * 2, 0x0700 | ((f + i) & 0xff));
      io.out8(0x3c8, 0); // palette write: forces a full redraw
      for (let i = 0; i < 3; i++) io.out8(0x3c9, f & 0x3f);
      vga.render();
    }
    const perFrame = (performance.now() - t0) / frames;
    console.log(`vga: full 720x400 text render ${perFrame.toFixed(2)} ms/frame`);
    expect(perFrame).toBeLessThan(16);
  });
});
