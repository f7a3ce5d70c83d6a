import { describe, expect, it } from "vitest";
import { MODE_04H, MODE_12H, MODE_13H, egaPaletteEntry } from "../../src/emulator/devices/vga/vga-modes.ts";
import { makeVga, pixel, programMode, setDac } from "./harness.ts";

const six2eight = (v: number) => ((v << 2) | (v >> 4)) & 0xff;
const ega = (i: number) => [...egaPaletteEntry(i).map(six2eight), 255];

describe("VGA graphics modes", () => {
  it("mode 13h: 320x200x8, chain-4 bytes at 0xA0000 through the DAC", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_13H);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 320, height: 200, bpp: 8 });
    expect(vga.textLines()).toEqual([]);
    setDac(io, 4, 63, 0, 0);
    setDac(io, 200, 0, 32, 63);
    memory.write8(0xa0000 + 10 * 320 + 17, 4);
    memory.write8(0xa0000 + 199 * 320 + 319, 200);
    memory.write32(0xa0000 + 320 * 100, 0x04c80404);
    expect(memory.read8(0xa0000 + 10 * 320 + 17)).toBe(4);
    const frame = vga.render();
    expect(frame.width).toBe(320);
    expect(frame.height).toBe(200);
    expect(pixel(frame, 17, 10)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 319, 199)).toEqual([0, six2eight(32), 255, 255]);
    expect(pixel(frame, 2, 100)).toEqual([0, six2eight(32), 255, 255]);
    expect(pixel(frame, 3, 100)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 16, 10)).toEqual([0, 0, 0, 255]);
    // Chain-4 byte 4k+p is plane p, word k: visible to planar reads after leaving chain-4 (mode X).
    io.out16(0x3c4, 0x0604);
    io.out16(0x3ce, 0x0104); // read map 1
    expect(memory.read8(0xa0000 + (10 * 320 + 17) / 4 - 0.25)).toBe(4);
  });

  it("mode X: unchained 256 colours, 320x240, pixel x in plane x&3, page flipping by start address", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_13H);
    io.out16(0x3c4, 0x0604); // chain-4 off
    io.out16(0x3d4, 0x0011); // unprotect
    io.out16(0x3d4, 0x0014); // doubleword mode off
    io.out16(0x3d4, 0xe317); // byte mode
    // 480 displayed lines (vertical display end 0x1DF) with each row shown twice: 240 rows.
    io.out16(0x3d4, 0xdf12);
    io.out16(0x3d4, 0x3e07);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 320, height: 240, bpp: 8 });
    setDac(io, 1, 63, 0, 0);
    setDac(io, 2, 0, 63, 0);
    io.out16(0x3c4, 0x0202); // plane 1 only
    memory.write8(0xa0000 + 10 * 80 + 3, 1); // pixel (13, 10)
    io.out16(0x3c4, 0x0f02); // all planes: 4 pixels per byte written
    memory.write8(0xa0000 + 239 * 80 + 79, 2); // pixels (316..319, 239)
    // Second page at plane offset 0x4B00 (320*240/4).
    memory.write8(0xa0000 + 0x4b00, 1);
    let frame = vga.render();
    expect(pixel(frame, 13, 10)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 12, 10)).toEqual([0, 0, 0, 255]);
    expect(pixel(frame, 14, 10)).toEqual([0, 0, 0, 255]);
    expect(pixel(frame, 316, 239)).toEqual([0, 255, 0, 255]);
    expect(pixel(frame, 319, 239)).toEqual([0, 255, 0, 255]);
    expect(pixel(frame, 0, 0)).toEqual([0, 0, 0, 255]);
    io.out16(0x3d4, 0x4b0c);
    io.out16(0x3d4, 0x000d);
    frame = vga.render();
    expect(pixel(frame, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 3, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(frame, 4, 0)).toEqual([0, 0, 0, 255]);
    // Latched copy (write mode 1) moves all four planes at once.
    io.out16(0x3d4, 0x000c);
    memory.read8(0xa0000 + 10 * 80 + 3);
    io.out16(0x3ce, 0x4105);
    memory.write8(0xa0000 + 20 * 80 + 3, 0);
    frame = vga.render();
    expect(pixel(frame, 13, 20)).toEqual([255, 0, 0, 255]);
  });

  it("mode 12h planar: write modes 0-3, set/reset, rotate, logical ops, bit mask, map mask", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_12H);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 640, height: 480, bpp: 4 });
    const readPlane = (addr: number, plane: number) => {
      io.out16(0x3ce, (plane << 8) | 0x04);
      return memory.read8(addr);
    };
    const planes = (addr: number) => [0, 1, 2, 3].map((p) => readPlane(addr, p));
    const A = 0xa0000;

    // Write mode 0, plain: data to every plane in the map mask.
    io.out16(0x3c4, 0x0502); // planes 0 and 2
    memory.write8(A, 0xa5);
    expect(planes(A)).toEqual([0xa5, 0, 0xa5, 0]);

    // Write mode 0 with set/reset on planes 1 and 3 (colour 0b1010), enable set/reset 0b1010.
    io.out16(0x3c4, 0x0f02);
    io.out16(0x3ce, 0x0a00);
    io.out16(0x3ce, 0x0a01);
    memory.write8(A + 1, 0x3c);
    expect(planes(A + 1)).toEqual([0x3c, 0xff, 0x3c, 0xff]);
    io.out16(0x3ce, 0x0001);

    // Rotate by 4 and XOR with the latches, bit mask 0xF0.
    readPlane(A + 1, 0); // load latches from word 1
    io.out16(0x3ce, 0x1c03); // XOR, rotate 4
    io.out16(0x3ce, 0xf008);
    memory.write8(A + 1, 0x0f); // rotated → 0xF0
    expect(planes(A + 1)).toEqual([0xcc, 0x0f, 0xcc, 0x0f]);
    io.out16(0x3ce, 0x0003);
    io.out16(0x3ce, 0xff08);

    // Write mode 1: copies the latches (word 1) to word 2.
    readPlane(A + 1, 0);
    io.out16(0x3ce, 0x0105);
    memory.write8(A + 2, 0x00);
    expect(planes(A + 2)).toEqual([0xcc, 0x0f, 0xcc, 0x0f]);

    // Write mode 2: the low nibble is a colour spread over the bit mask.
    io.out16(0x3ce, 0x0205);
    io.out16(0x3ce, 0x8108);
    memory.read8(A + 3); // latches = zeros
    memory.write8(A + 3, 0x06);
    expect(planes(A + 3)).toEqual([0x00, 0x81, 0x81, 0x00]);

    // Write mode 3: set/reset colour, bit mask ANDed with the rotated data.
    io.out16(0x3ce, 0x0305);
    io.out16(0x3ce, 0x0900); // colour 9
    io.out16(0x3ce, 0x3c08);
    memory.read8(A + 4);
    memory.write8(A + 4, 0xf0);
    expect(planes(A + 4)).toEqual([0x30, 0, 0, 0x30]);

    // Read mode 1: colour compare against colour 9 with all planes cared about.
    io.out16(0x3ce, 0x0805);
    io.out16(0x3ce, 0x0902);
    io.out16(0x3ce, 0x0f07);
    expect(memory.read8(A + 4)).toBe(0x30);
    io.out16(0x3ce, 0x0107); // only plane 0 matters: every pixel with plane 0 set
    expect(memory.read8(A + 4)).toBe(0x30);
    io.out16(0x3ce, 0x0002); // compare colour 0 with don't-care 0: all match
    io.out16(0x3ce, 0x0007);
    expect(memory.read8(A + 4)).toBe(0xff);

    // Rendering: pixel 8*4+2 (bit 5 of word 4) has colour 9 → attribute 0x39 → EGA palette 0x39.
    const frame = vga.render();
    expect(frame.width).toBe(640);
    expect(frame.height).toBe(480);
    expect(pixel(frame, 34, 0)).toEqual(ega(0x39));
    expect(pixel(frame, 33, 0)).toEqual(ega(0));
    // Word 0 = planes 0,2 with 0xA5: pixel 0 → colour 5 → attribute 5.
    expect(pixel(frame, 0, 0)).toEqual(ega(5));
    expect(pixel(frame, 1, 0)).toEqual(ega(0));
  });

  it("colour plane enable masks planar pixels, and the attribute palette maps them", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_12H);
    io.out16(0x3ce, 0x0205); // write mode 2
    memory.read8(0xa0000 + 80);
    memory.write8(0xa0000 + 80, 0x0f); // row 1: 8 pixels of colour 15
    expect(pixel(vga.render(), 3, 1)).toEqual(ega(0x3f));
    io.in8(0x3da);
    io.out8(0x3c0, 0x32); // colour plane enable (index 0x12 with PAS set)
    io.out8(0x3c0, 0x03);
    expect(pixel(vga.render(), 3, 1)).toEqual(ega(0x03));
    io.out8(0x3c0, 0x23); // palette register 3 with PAS set: written, screen stays on
    io.out8(0x3c0, 0x10);
    expect(pixel(vga.render(), 3, 1)).toEqual(ega(0x10));
    io.out8(0x3c0, 0x03); // PAS clear: the screen blanks
    io.out8(0x3c0, 0x11);
    expect(pixel(vga.render(), 3, 1)).toEqual([0, 0, 0, 255]);
    io.out8(0x3c0, 0x20);
    expect(pixel(vga.render(), 3, 1)).toEqual(ega(0x11));
    io.out8(0x3c0, 0x21); // flip-flop was in the data state: this is data for palette 0
    expect(io.in8(0x3c0)).toBe(0x20);
    io.in8(0x3da);
    io.out8(0x3c0, 0x21);
    expect(io.in8(0x3c0)).toBe(0x21);
    expect(io.in8(0x3c1)).toBe(0x01);
  });

  it("colour select (with and without P5/P4 select) and horizontal pixel panning", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_12H);
    io.out16(0x3ce, 0x0205); // write mode 2
    memory.read8(0xa0000);
    io.out16(0x3ce, 0x2008); // bit mask: pixel 2 only
    memory.write8(0xa0000, 0x05); // pixel 2 = colour 5 -> attribute palette 0x05
    setDac(io, 0xc5, 10, 20, 30); // colour select bits 2-3 = 3 -> DAC 0xC0 | 0x05
    setDac(io, 0xe5, 40, 50, 60); // ...and with P5/P4 from colour select bits 0-1 = 2: 0xC0 | 0x20 | 0x05
    const rgb = (r: number, g: number, b: number) => [r, g, b].map((v) => ((v << 2) | (v >> 4)) & 0xff).concat(255);
    const writeAttr = (index: number, value: number) => {
      io.in8(0x3da);
      io.out8(0x3c0, 0x20 | index);
      io.out8(0x3c0, value);
    };
    writeAttr(0x14, 0x0e);
    expect(pixel(vga.render(), 2, 0)).toEqual(rgb(10, 20, 30));
    writeAttr(0x10, 0x81); // graphics + P54S
    expect(pixel(vga.render(), 2, 0)).toEqual(rgb(40, 50, 60));
    writeAttr(0x13, 0x02); // pan left by 2 pixels
    const panned = vga.render();
    expect(pixel(panned, 0, 0)).toEqual(rgb(40, 50, 60));
    expect(pixel(panned, 2, 0)).not.toEqual(rgb(40, 50, 60));
  });

  it("CGA mode 4: 320x200x2 with odd lines in the 0x2000 bank", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_04H);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 320, height: 200, bpp: 2 });
    memory.write8(0xb8000, 0b00_01_10_11); // row 0, pixels 0-3 = colours 0, 1, 2, 3
    memory.write8(0xb8000 + 0x2000 + 1, 0b01_00_00_00); // row 1, pixel 4
    memory.write8(0xb8000 + 80 * 99, 0xff); // row 198, pixels 0-3
    const frame = vga.render();
    expect(frame.width).toBe(320);
    expect(frame.height).toBe(200);
    // Attribute palette of mode 4: 1 → 0x13, 2 → 0x15, 3 → 0x17.
    expect(pixel(frame, 0, 0)).toEqual(ega(0x00));
    expect(pixel(frame, 1, 0)).toEqual(ega(0x13));
    expect(pixel(frame, 2, 0)).toEqual(ega(0x15));
    expect(pixel(frame, 3, 0)).toEqual(ega(0x17));
    expect(pixel(frame, 4, 1)).toEqual(ega(0x13));
    expect(pixel(frame, 4, 0)).toEqual(ega(0x00));
    expect(pixel(frame, 2, 198)).toEqual(ega(0x17));
  });

  it("split screen: rows after the line compare come from address 0", () => {
    const { vga, io, memory } = makeVga();
    programMode(io, MODE_13H);
    setDac(io, 1, 63, 63, 63);
    memory.write8(0xa0000, 1); // pixel (0,0)
    io.out16(0x3d4, 0x0011); // unprotect
    io.out16(0x3d4, 0x100c); // start address 0x1000 words = byte 0x4000
    io.out16(0x3d4, 0x0f07); // line compare bit 8 clear
    io.out16(0x3d4, 0x0109); // line compare bit 9 clear, still 2 scan lines per row
    io.out16(0x3d4, 0x6318); // line compare 99 (scan lines): split after output row 49
    let frame = vga.render();
    expect(pixel(frame, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(frame, 0, 50)).toEqual([255, 255, 255, 255]);
    expect(pixel(frame, 0, 49)).toEqual([0, 0, 0, 255]);
    io.out16(0x3d4, 0xff18);
    frame = vga.render();
    expect(pixel(frame, 0, 50)).toEqual([0, 0, 0, 255]);
  });

  it("input status 1 resets the attribute flip-flop and shows retrace from virtual time", () => {
    const { io, clock } = makeVga();
    io.out8(0x3c0, 0x11); // index
    io.in8(0x3da); // reset: next write is an index again
    io.out8(0x3c0, 0x31);
    expect(io.in8(0x3c0)).toBe(0x31);
    const frameNs = 1e9 / 60;
    clock.advance(frameNs * 10 + 1000);
    expect(io.in8(0x3da) & 0x08).toBe(0x08);
    clock.advance(frameNs / 2);
    expect(io.in8(0x3da) & 0x09).toBe(0);
    // A poller on a stopped clock still sees retrace come round.
    let seen = false;
    for (let i = 0; i < 100_000 && !seen; i++) seen = (io.in8(0x3da) & 0x08) !== 0;
    expect(seen).toBe(true);
    // Mono ports do not decode in colour mode.
    expect(io.in8(0x3ba)).toBe(0xff);
  });

  it("DAC read/write sequences auto-increment every three components", () => {
    const { io } = makeVga();
    io.out8(0x3c8, 0xfe);
    for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9]) io.out8(0x3c9, v | 0x40); // top bits dropped (6-bit DAC)
    expect(io.in8(0x3c8)).toBe(0x01); // 0xFE, 0xFF, then wrapped to 0x00 and on to 0x01
    expect(io.in8(0x3c7)).toBe(0x00);
    io.out8(0x3c7, 0xfe);
    expect(io.in8(0x3c7)).toBe(0x03);
    expect([...Array(9)].map(() => io.in8(0x3c9))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    io.out8(0x3c7, 0xff);
    io.in8(0x3c9);
    io.out8(0x3c7, 0xff); // re-setting the index restarts at red
    expect(io.in8(0x3c9)).toBe(4);
    io.out8(0x3c6, 0x0f);
    expect(io.in8(0x3c6)).toBe(0x0f);
  });

  it("memory map select: B8000 32K window only, A0000 unmapped", () => {
    const { io, memory } = makeVga();
    // Power-on mode 3 maps B8000-BFFFF only.
    memory.write8(0xa0000, 0x55);
    expect(memory.read8(0xa0000)).toBe(0xff);
    expect(memory.read8(0xb0000)).toBe(0xff);
    memory.write8(0xb8000, 0x41);
    expect(memory.read8(0xb8000)).toBe(0x41);
    io.out16(0x3ce, 0x0206); // 128K at A0000: the same plane bytes now start at 0xA0000
    expect(memory.read8(0xa0000)).toBe(0x41);
    io.out16(0x3ce, 0x0606); // 64K at A0000: B8000 gone
    expect(memory.read8(0xb8000)).toBe(0xff);
  });
});
