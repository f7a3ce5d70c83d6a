import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Dma8237 } from "../../src/emulator/devices/chipset/dma-8237.ts";
import { FloppyController } from "../../src/emulator/devices/floppy/floppy-controller.ts";
import { floppyGeometryForSize } from "../../src/emulator/devices/floppy/floppy-geometry.ts";
import { makeTestContext } from "../devices/fake-context.ts";

const FREEDOS = `${process.env.HYPERTAB_GUESTS ?? new URL("../../../shared/guests", import.meta.url).pathname}/freedos-boot-1440k.img`;

function setup(image: Uint8Array | null, writeMode?: "in-place" | "copy-on-write") {
  const ctx = makeTestContext();
  const dma = new Dma8237(ctx);
  const fdc = new FloppyController(ctx, { dma, drives: [image ? { image, writeMode } : { present: true, media: null }] });
  const io = ctx.io;
  const send = (...bytes: number[]) => {
    for (const b of bytes) {
      expect(io.in8(0x3f4) & 0xc0, "RQM set, DIO clear before a command byte").toBe(0x80);
      io.out8(0x3f5, b);
    }
  };
  const results = () => {
    const out: number[] = [];
    while ((io.in8(0x3f4) & 0xd0) === 0xd0) out.push(io.in8(0x3f5));
    return out;
  };
  const programDma = (addr: number, bytes: number, toMemory: boolean) => {
    io.out8(0x0a, 0x06);
    io.out8(0x0c, 0);
    io.out8(0x0b, toMemory ? 0x46 : 0x4a);
    io.out8(0x04, addr & 0xff);
    io.out8(0x04, (addr >> 8) & 0xff);
    io.out8(0x81, addr >>> 16);
    io.out8(0x05, (bytes - 1) & 0xff);
    io.out8(0x05, (bytes - 1) >> 8);
    io.out8(0x0a, 0x02);
  };
  const resetController = () => {
    io.out8(0x3f2, 0x08);
    io.out8(0x3f2, 0x1c);
    expect(ctx.levels[6]).toBe(true);
    for (let d = 0; d < 4; d++) {
      send(0x08);
      expect(results()).toEqual([0xc0 | d, 0]);
    }
    expect(ctx.levels[6]).toBe(false);
  };
  return { ctx, fdc, io, send, results, programDma, resetController };
}

describe("82077AA floppy controller", () => {
  it("reads a known sector of the FreeDOS floppy into memory through DMA channel 2 with IRQ6", () => {
    const image = new Uint8Array(readFileSync(FREEDOS));
    const { ctx, send, results, programDma, resetController } = setup(image);
    resetController();
    send(0x03, 0xdf, 0x02); // SPECIFY, DMA mode
    expect(results()).toEqual([]);
    // Seek to cylinder 1 head 1, then read sector 5 there: LBA = (1*2+1)*18 + 4 = 58.
    send(0x0f, 0x04, 1);
    expect(ctx.levels[6]).toBe(true);
    send(0x08);
    expect(results()).toEqual([0x20 | 0x04, 1]);
    expect(ctx.levels[6]).toBe(false);
    programDma(0x10000, 512, true);
    const raisesBefore = ctx.raises[6];
    send(0xe6, 0x04, 1, 1, 5, 2, 18, 0x1b, 0xff);
    expect(ctx.raises[6]).toBe(raisesBefore + 1);
    expect(ctx.memory.ram.subarray(0x10000, 0x10200)).toEqual(image.subarray(58 * 512, 59 * 512));
    expect(results()).toEqual([0x04, 0x00, 0x00, 1, 1, 6, 2]); // normal end at TC; next sector 6
    expect(ctx.levels[6]).toBe(false);
  });

  it("seeks implicitly when READ DATA names another cylinder, as SeaBIOS expects (it never sends SEEK)", () => {
    const image = new Uint8Array(readFileSync(FREEDOS));
    const { ctx, send, results, programDma, resetController } = setup(image);
    resetController();
    send(0x07, 0x00);
    send(0x08);
    results();
    programDma(0x50000, 512, true);
    send(0xe6, 0x00, 40, 0, 1, 2, 1, 0x1b, 0xff); // cylinder 40, head 0, sector 1
    expect(results()).toEqual([0x04, 0, 0, 40, 1, 1, 2]); // EOT reached with MT on head 0: next is head 1 sector 1
    expect(ctx.memory.ram.subarray(0x50000, 0x50200)).toEqual(image.subarray(40 * 36 * 512, 40 * 36 * 512 + 512));
  });

  it("reads the boot sector and continues across heads with multi-track", () => {
    const image = new Uint8Array(readFileSync(FREEDOS));
    const { ctx, send, results, programDma, resetController } = setup(image);
    resetController();
    send(0x07, 0x00);
    send(0x08);
    expect(results()).toEqual([0x20, 0]);
    programDma(0x7c00, 512, true);
    send(0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results()).toEqual([0x00, 0, 0, 0, 0, 2, 2]);
    expect(ctx.memory.ram[0x7c00 + 510]).toBe(0x55);
    expect(ctx.memory.ram[0x7c00 + 511]).toBe(0xaa);
    programDma(0x20000, 1024, true);
    send(0xe6, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff);
    expect(results()).toEqual([0x04, 0, 0, 0, 1, 2, 2]);
    expect(ctx.memory.ram.subarray(0x20000, 0x20400)).toEqual(image.subarray(17 * 512, 19 * 512));
    // Without MT the read stops at EOT: abnormal termination with End of Cylinder.
    programDma(0x20000, 4096, true);
    send(0x66, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    expect(results()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
  });

  it("writes through DMA under copy-on-write, reports write protection, and formats a track", () => {
    const image = new Uint8Array(1474560);
    const { ctx, fdc, send, results, programDma, resetController } = setup(image);
    resetController();
    ctx.memory.ram.fill(0xab, 0x30000, 0x30200);
    programDma(0x30000, 512, false);
    send(0xc5, 0x00, 0, 0, 3, 2, 18, 0x1b, 0xff);
    expect(results()).toEqual([0x00, 0, 0, 0, 0, 4, 2]);
    expect(image[2 * 512]).toBe(0); // caller's bytes untouched
    expect(fdc.mediaImage(0)![2 * 512]).toBe(0xab);
    // FORMAT TRACK cylinder 0 head 1 with filler 0xF6: 18 IDs from memory.
    const ids: number[] = [];
    for (let r = 1; r <= 18; r++) ids.push(0, 1, r, 2);
    ctx.memory.ram.set(ids, 0x40000);
    programDma(0x40000, ids.length, false);
    send(0x4d, 0x04, 2, 18, 0x54, 0xf6);
    expect(results()[0]).toBe(0x04);
    expect(fdc.mediaImage(0)![18 * 512]).toBe(0xf6);
    expect(fdc.mediaImage(0)![36 * 512 - 1]).toBe(0xf6);
    fdc.insertMedia(0, { image: new Uint8Array(737280), readOnly: true });
    programDma(0x30000, 512, false);
    send(0xc5, 0x00, 0, 0, 1, 2, 9, 0x1b, 0xff);
    expect(results()).toEqual([0x40, 0x02, 0, 0, 0, 1, 2]);
  });

  it("reads without DMA through the FIFO and ends at EOT", () => {
    const image = new Uint8Array(368640).map((_, i) => (i >> 9) & 0xff);
    const { io, send, results, resetController, ctx } = setup(image);
    resetController();
    send(0x03, 0xdf, 0x03); // non-DMA
    send(0x46, 0x00, 0, 0, 8, 2, 9, 0x2a, 0xff);
    expect(ctx.levels[6]).toBe(true);
    expect(io.in8(0x3f4)).toBe(0xf0);
    const got: number[] = [];
    while (io.in8(0x3f4) === 0xf0) got.push(io.in8(0x3f5));
    expect(got.length).toBe(1024);
    expect(got[0]).toBe(7);
    expect(got[1023]).toBe(8);
    expect(results()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
  });

  it("answers VERSION, CONFIGURE/DUMPREG, LOCK, READ ID, SENSE DRIVE STATUS and invalid commands", () => {
    const image = new Uint8Array(1474560);
    const { send, results, resetController, io, fdc } = setup(image);
    resetController();
    send(0x10);
    expect(results()).toEqual([0x90]);
    send(0x13, 0, 0x57, 0x10);
    send(0x94);
    expect(results()).toEqual([0x10]);
    send(0x0e);
    const dump = results();
    expect(dump.length).toBe(10);
    expect(dump[7] & 0x80).toBe(0x80);
    expect(dump[8]).toBe(0x57);
    expect(dump[9]).toBe(0x10);
    send(0x4a, 0x00);
    const id = results();
    expect(id.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(id[6]).toBe(2);
    send(0x04, 0x00);
    expect(results()[0] & 0x30).toBe(0x30); // ready + track 0
    send(0x18); // PART ID is not an 82077AA command
    expect(results()).toEqual([0x80]);
    send(0x08); // nothing pending
    expect(results()).toEqual([0x80]);
    // Disk change line: set at power-on, cleared by a seek with media, set again by a media change.
    expect(io.in8(0x3f7) & 0x80).toBe(0x80);
    send(0x0f, 0x00, 1);
    send(0x08);
    results();
    expect(io.in8(0x3f7) & 0x80).toBe(0);
    fdc.eject(0);
    expect(io.in8(0x3f7) & 0x80).toBe(0x80);
  });

  it("knows the floppy formats by size and rejects others naming the accepted ones", () => {
    expect(floppyGeometryForSize(163840)).toMatchObject({ cylinders: 40, heads: 1, sectorsPerTrack: 8 });
    expect(floppyGeometryForSize(2949120)).toMatchObject({ sectorsPerTrack: 36, cmosDriveType: 5 });
    expect(() => floppyGeometryForSize(1000)).toThrow(/1\.44M \(1474560 bytes\)/);
  });

  it("restores written media and controller state from a snapshot", () => {
    const image = new Uint8Array(1474560);
    const a = setup(image);
    a.resetController();
    a.ctx.memory.ram.fill(0x5c, 0x30000, 0x30200);
    a.programDma(0x30000, 512, false);
    a.send(0xc5, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    a.results();
    const saved = a.fdc.saveState();
    const b = setup(new Uint8Array(1474560));
    b.fdc.loadState(saved);
    expect(b.fdc.mediaImage(0)![0]).toBe(0x5c);
  });
});
