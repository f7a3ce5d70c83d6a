import { describe, expect, it } from "vitest";
import { Dma8237 } from "../../src/emulator/devices/chipset/dma-8237.ts";
import { makeTestContext } from "../devices/fake-context.ts";

function program8(ctx: ReturnType<typeof makeTestContext>, channel: number, addr: number, count: number, mode: number) {
  const io = ctx.io;
  io.out8(0x0a, 0x04 | channel); // mask
  io.out8(0x0c, 0); // flip-flop
  io.out8(channel * 2, addr & 0xff);
  io.out8(channel * 2, (addr >> 8) & 0xff);
  io.out8([0x87, 0x83, 0x81, 0x82][channel], addr >>> 16);
  io.out8(0x0c, 0);
  io.out8(channel * 2 + 1, count & 0xff);
  io.out8(channel * 2 + 1, count >> 8);
  io.out8(0x0b, mode | channel);
  io.out8(0x0a, channel); // unmask
}

describe("8237 DMA", () => {
  it("moves device data into memory on channel 2, bounded by the count, then masks at TC", () => {
    const ctx = makeTestContext();
    const dma = new Dma8237(ctx);
    program8(ctx, 2, 0x12345, 511, 0x44); // single mode, write to memory
    expect(dma.remaining(2)).toBe(512);
    const data = new Uint8Array(600).map((_, i) => (i * 7) & 0xff);
    expect(dma.writeToMemory(2, data)).toBe(512);
    expect(ctx.memory.ram.subarray(0x12345, 0x12345 + 512)).toEqual(data.subarray(0, 512));
    expect(ctx.memory.ram[0x12345 + 512]).toBe(0);
    expect(dma.remaining(2)).toBe(0); // masked at terminal count
    expect(ctx.io.in8(0x08) & 0x04).toBe(0x04); // TC bit for channel 2
    expect(ctx.io.in8(0x08) & 0x04).toBe(0); // cleared by the read
    // Current address advanced: read back through the flip-flop.
    ctx.io.out8(0x0c, 0);
    expect(ctx.io.in8(0x04) | (ctx.io.in8(0x04) << 8)).toBe((0x2345 + 512) & 0xffff);
    expect(ctx.io.in8(0x81)).toBe(0x01);
  });

  it("reads memory for the device, auto-initialises, and splits transfers across calls", () => {
    const ctx = makeTestContext();
    const dma = new Dma8237(ctx);
    ctx.memory.ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x8000);
    program8(ctx, 1, 0x8000, 7, 0x58); // auto-init, read from memory
    expect(Array.from(dma.readFromMemory(1, 3))).toEqual([1, 2, 3]);
    expect(dma.remaining(1)).toBe(5);
    expect(Array.from(dma.readFromMemory(1, 10))).toEqual([4, 5, 6, 7, 8]);
    expect(dma.remaining(1)).toBe(8); // reloaded, still unmasked
    expect(Array.from(dma.readFromMemory(1, 2))).toEqual([1, 2]);
  });

  it("16-bit channels count words and address in 128K pages", () => {
    const ctx = makeTestContext();
    const dma = new Dma8237(ctx);
    const io = ctx.io;
    io.out8(0xd8, 0);
    io.out8(0xc4, 0x00); // channel 5 address (words) 0x1000 → byte 0x2000
    io.out8(0xc4, 0x10);
    io.out8(0x8b, 0x02); // page → 0x20000
    io.out8(0xc6, 3); // 4 words
    io.out8(0xc6, 0);
    io.out8(0xd6, 0x44 | 1);
    io.out8(0xd4, 1);
    expect(dma.remaining(5)).toBe(8);
    expect(dma.writeToMemory(5, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 9, 9]))).toBe(8);
    expect(Array.from(ctx.memory.ram.subarray(0x22000, 0x2200a))).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 0, 0]);
  });

  it("master clear masks everything; verify transfers touch nothing; state round-trips", () => {
    const ctx = makeTestContext();
    const dma = new Dma8237(ctx);
    program8(ctx, 3, 0x1000, 15, 0x40); // verify
    expect(dma.writeToMemory(3, new Uint8Array(16).fill(5))).toBe(16);
    expect(ctx.memory.ram[0x1000]).toBe(0);
    program8(ctx, 3, 0x1000, 15, 0x44);
    const saved = dma.saveState();
    ctx.io.out8(0x0d, 0);
    expect(dma.remaining(3)).toBe(0);
    dma.loadState(saved);
    expect(dma.remaining(3)).toBe(16);
    expect(() => dma.loadState({ ...saved, version: 9 })).toThrow(/version 9/);
  });
});
