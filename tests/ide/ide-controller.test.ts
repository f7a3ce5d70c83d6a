import { describe, expect, it } from "vitest";
import { IdeController, type IdeControllerOptions } from "../../src/emulator/devices/ide/ide-controller.ts";
import { AtapiCdrom } from "../../src/emulator/devices/ide/atapi-cdrom.ts";
import { makeTestContext } from "../devices/fake-context.ts";

const BM = 0xc000;

/** A disk image whose every sector starts with its LBA (32-bit LE) and is filled with a pattern. */
function makeDisk(sectors: number): Uint8Array {
  const img = new Uint8Array(sectors * 512);
  const dv = new DataView(img.buffer);
  for (let s = 0; s < sectors; s++) {
    for (let i = 4; i < 512; i++) img[s * 512 + i] = (s + i) & 0xff;
    dv.setUint32(s * 512, s, true);
  }
  return img;
}

function makeIso(blocks: number): Uint8Array {
  const img = new Uint8Array(blocks * 2048);
  const dv = new DataView(img.buffer);
  for (let b = 0; b < blocks; b++) {
    dv.setUint32(b * 2048, b ^ 0xc0ffee, true);
    img[b * 2048 + 2047] = b & 0xff;
  }
  return img;
}

function setup(options: IdeControllerOptions) {
  const ctx = makeTestContext(8);
  const ide = new IdeController(ctx, options);
  const fn = ctx.pciFunctions[0];
  fn.config[4] |= 0x05; // I/O + bus master (the PCI bus would do this from the guest's write)
  fn.bars![4]!.onMap(BM);
  const io = ctx.io;
  const readWords = (port: number, words: number) => {
    const out = new Uint8Array(words * 2);
    for (let i = 0; i < words; i++) {
      const w = io.in16(port);
      out[2 * i] = w & 0xff;
      out[2 * i + 1] = w >> 8;
    }
    return out;
  };
  /** Writes the primary channel's task file: device/head, sector count, then the three address
   *  bytes (LBA bits 0-23, or sector and cylinder low/high in CHS mode). The command goes separately. */
  const taskFile = (device: number, count: number, [low, mid, high]: [number, number, number]) => {
    io.out8(0x1f6, device);
    io.out8(0x1f2, count);
    io.out8(0x1f3, low);
    io.out8(0x1f4, mid);
    io.out8(0x1f5, high);
  };
  /** The same for an LBA48 command: each register written twice, the high-order byte first (LBA
   *  bits 24-47, then 0-23). */
  const taskFile48 = (device: number, count: number, lba: number) => {
    const byte = (shift: number) => Math.floor(lba / 2 ** shift) % 256;
    io.out8(0x1f6, device);
    io.out8(0x1f2, count >> 8);
    io.out8(0x1f2, count & 0xff);
    for (let i = 0; i < 3; i++) {
      io.out8(0x1f3 + i, byte(24 + 8 * i));
      io.out8(0x1f3 + i, byte(8 * i));
    }
  };
  return { ctx, ide, fn, io, readWords, taskFile, taskFile48 };
}

/** Writes a PRD table at `table` describing [addr, len] pieces; marks the last one EOT. */
function writePrd(ctx: ReturnType<typeof makeTestContext>, table: number, pieces: [number, number][]) {
  pieces.forEach(([addr, len], i) => {
    ctx.memory.write32(table + i * 8, addr);
    ctx.memory.write32(table + i * 8 + 4, (len & 0xffff) | (i === pieces.length - 1 ? 0x80000000 : 0));
  });
}

describe("PIIX3 IDE with an ATA disk", () => {
  const sectors = 20000;
  const image = makeDisk(sectors);

  it("registers PCI function 01.1 (8086:7010, IDE class, bus master BAR4) and shows ATA signatures", () => {
    const { fn, io } = setup({ primary: { master: { kind: "disk", image } } });
    expect([fn.device, fn.fn]).toEqual([1, 1]);
    expect(fn.config[0] | (fn.config[1] << 8)).toBe(0x8086);
    expect(fn.config[2] | (fn.config[3] << 8)).toBe(0x7010);
    expect([fn.config[0x0b], fn.config[0x0a], fn.config[0x09]]).toEqual([0x01, 0x01, 0x80]);
    expect(fn.bars![4]).toMatchObject({ size: 16, kind: "io" });
    expect(io.in8(0x1f7)).toBe(0x50);
    expect([io.in8(0x1f2), io.in8(0x1f3), io.in8(0x1f4), io.in8(0x1f5)]).toEqual([1, 1, 0, 0]);
    // SeaBIOS-style presence check: registers hold what was written.
    io.out8(0x1f2, 0x55);
    io.out8(0x1f3, 0xaa);
    expect([io.in8(0x1f2), io.in8(0x1f3)]).toEqual([0x55, 0xaa]);
    // The secondary channel has no device: the bus floats.
    expect(io.in8(0x177)).toBe(0xff);
    // Absent slave on the primary channel reads as zero status.
    io.out8(0x1f6, 0xb0);
    expect(io.in8(0x1f7)).toBe(0);
  });

  it("answers IDENTIFY DEVICE with sizes, LBA48, DMA modes, strings and a valid checksum", () => {
    const { io, ctx, readWords } = setup({ primary: { master: { kind: "disk", image, model: "Test Disk", serial: "SN123" } } });
    io.out8(0x1f6, 0xa0);
    io.out8(0x1f7, 0xec);
    expect(ctx.levels[14]).toBe(true);
    expect(io.in8(0x1f7) & 0x08).toBe(0x08);
    expect(ctx.levels[14]).toBe(false);
    const id = readWords(0x1f0, 256);
    const w = (i: number) => id[2 * i] | (id[2 * i + 1] << 8);
    const str = (first: number, words: number) => {
      let s = "";
      for (let i = 0; i < words; i++) s += String.fromCharCode(w(first + i) >> 8, w(first + i) & 0xff);
      return s.trim();
    };
    expect(str(27, 20)).toBe("Test Disk");
    expect(str(10, 10)).toBe("SN123");
    expect(w(49) & 0x0300).toBe(0x0300);
    expect(w(60) | (w(61) << 16)).toBe(sectors);
    expect(w(100) + w(101) * 65536).toBe(sectors);
    expect(w(83) & 0x0400).toBe(0x0400);
    expect(w(88) & 0x3f).toBe(0x3f);
    expect(w(63) & 0x07).toBe(0x07);
    expect(w(1)).toBe(Math.floor(sectors / (16 * 63)));
    let sum = 0;
    for (const b of id) sum += b;
    expect(sum & 0xff).toBe(0);
    expect(w(255) & 0xff).toBe(0xa5);
    expect(io.in8(0x1f7)).toBe(0x50);
  });

  it("reads sectors by PIO (LBA28, CHS, multiple mode, LBA48) with one IRQ per block", () => {
    const { io, ctx, readWords, taskFile, taskFile48 } = setup({ primary: { master: { kind: "disk", image } } });
    taskFile(0xe0, 3, [100, 0, 0]); // LBA, master
    const before = ctx.raises[14];
    io.out8(0x1f7, 0x20);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      expect(io.in8(0x1f7) & 0x89).toBe(0x08);
      got.push(readWords(0x1f0, 256));
    }
    expect(ctx.raises[14] - before).toBe(3);
    expect(io.in8(0x1f7)).toBe(0x50);
    expect(Buffer.concat(got)).toEqual(Buffer.from(image.subarray(100 * 512, 103 * 512)));
    // CHS: cylinder 1, head 2, sector 5 with the default 16/63 translation.
    taskFile(0xa2, 1, [5, 1, 0]);
    io.out8(0x1f7, 0x20);
    const chsLba = (1 * 16 + 2) * 63 + 4;
    expect(new DataView(readWords(0x1f0, 256).buffer).getUint32(0, true)).toBe(chsLba);
    // READ MULTIPLE needs SET MULTIPLE first.
    io.out8(0x1f6, 0xe0);
    io.out8(0x1f7, 0xc4);
    expect(io.in8(0x1f7) & 0x01).toBe(0x01);
    expect(io.in8(0x1f1)).toBe(0x04);
    io.out8(0x1f2, 4);
    io.out8(0x1f7, 0xc6);
    expect(io.in8(0x1f7)).toBe(0x50);
    io.out8(0x1f2, 8);
    io.out8(0x1f3, 0);
    const r0 = ctx.raises[14];
    io.out8(0x1f7, 0xc4);
    for (let block = 0; block < 2; block++) {
      expect(io.in8(0x1f7) & 0x08).toBe(0x08); // the driver's ISR reads status, dropping INTRQ
      readWords(0x1f0, 256 * 4);
    }
    expect(ctx.raises[14] - r0).toBe(2);
    // READ SECTORS EXT at LBA 19998, two sectors, 32-bit data port reads.
    taskFile48(0x40, 2, 19998);
    io.out8(0x1f7, 0x24);
    expect(io.in32(0x1f0)).toBe(19998);
    for (let i = 1; i < 128; i++) io.in32(0x1f0);
    expect(io.in32(0x1f0)).toBe(19999);
  });

  it("writes by PIO into a copy-on-write overlay and rejects out-of-range LBAs with IDNF", () => {
    const own = makeDisk(64);
    const { io, ide, ctx, taskFile } = setup({ primary: { master: { kind: "disk", image: own } } });
    taskFile(0xe0, 1, [7, 0, 0]);
    io.out8(0x1f7, 0x30);
    expect(ctx.levels[14]).toBe(false); // no IRQ before the first block of a write
    for (let i = 0; i < 256; i++) io.out16(0x1f0, 0xbeef);
    expect(ctx.levels[14]).toBe(true);
    expect(io.in8(0x1f7)).toBe(0x50);
    expect(own[7 * 512]).toBe(7); // caller's image untouched
    io.out8(0x1f2, 1);
    io.out8(0x1f3, 7);
    io.out8(0x1f7, 0x20);
    expect(io.in16(0x1f0)).toBe(0xbeef);
    const disk = ide.deviceAt(0, false)!;
    const saved = disk.saveState();
    expect(() => disk.loadState(saved)).not.toThrow();
    io.out8(0x1f2, 2);
    io.out8(0x1f3, 63);
    io.out8(0x1f7, 0x20);
    expect(io.in8(0x1f7) & 0x01).toBe(0x01);
    expect(io.in8(0x1f1)).toBe(0x10);
  });

  it("reads by DMA through a PRD table scattered over two buffers, with BM status and IRQ", () => {
    const { io, ctx, taskFile } = setup({ primary: { master: { kind: "disk", image } } });
    writePrd(ctx, 0x1000, [
      [0x100000, 1536],
      [0x200000, 2560],
    ]);
    io.out32(BM + 4, 0x1000);
    io.out8(BM + 2, 0x06); // clear interrupt/error
    io.out8(BM, 0x08); // direction: to memory
    taskFile(0xe0, 8, [0x34, 0x12, 0]);
    io.out8(0x1f7, 0xc8);
    expect(ctx.levels[14]).toBe(false);
    io.out8(BM, 0x09); // start
    expect(ctx.levels[14]).toBe(true);
    expect(io.in8(BM + 2) & 0x07).toBe(0x04); // interrupt, not active (PRD used up exactly), no error
    expect(io.in8(0x1f7)).toBe(0x50);
    io.out8(BM, 0x08);
    const lba = 0x1234;
    expect(ctx.memory.ram.subarray(0x100000, 0x100000 + 1536)).toEqual(image.subarray(lba * 512, lba * 512 + 1536));
    expect(ctx.memory.ram.subarray(0x200000, 0x200000 + 2560)).toEqual(image.subarray(lba * 512 + 1536, (lba + 8) * 512));
  });

  it("writes by DMA (EXT) and fails cleanly when the PRD table is too short", () => {
    const own = makeDisk(4096);
    const { io, ctx, ide, taskFile48 } = setup({ primary: { slave: { kind: "disk", image: own, writeMode: "in-place" } } });
    ctx.memory.ram.fill(0x3c, 0x300000, 0x300000 + 1024);
    writePrd(ctx, 0x2000, [[0x300000, 1024]]);
    io.out32(BM + 4, 0x2000);
    taskFile48(0x50, 2, 10); // slave, LBA
    io.out8(BM, 0x01); // start first (direction: from memory)
    io.out8(0x1f7, 0x35);
    expect(io.in8(0x1f7)).toBe(0x50);
    expect(own[10 * 512]).toBe(0x3c); // in place
    expect(own[12 * 512]).toBe(12);
    io.out8(BM, 0x00);
    io.out8(BM + 2, 0x06);
    io.out8(0x1f2, 4); // 2 KiB wanted, only 1 KiB described
    io.out8(0x1f3, 20);
    io.out8(BM, 0x01);
    io.out8(0x1f7, 0xca);
    expect(io.in8(0x1f7) & 0x01).toBe(0x01);
    expect(io.in8(BM + 2) & 0x03).toBe(0x02);
    expect(ide.deviceAt(0, true)).not.toBeNull();
  });

  it("resets the channel with SRST and honours nIEN", () => {
    const { io, ctx } = setup({ primary: { master: { kind: "disk", image } } });
    io.out8(0x3f6, 0x02); // nIEN
    io.out8(0x1f6, 0xa0);
    io.out8(0x1f7, 0xec);
    expect(ctx.levels[14]).toBe(false);
    io.out8(0x3f6, 0x06);
    expect(io.in8(0x3f6) & 0x80).toBe(0x80);
    io.out8(0x3f6, 0x02);
    expect(io.in8(0x1f7)).toBe(0x50);
    expect(io.in8(0x1f1)).toBe(0x01);
    expect([io.in8(0x1f2), io.in8(0x1f3), io.in8(0x1f4), io.in8(0x1f5)]).toEqual([1, 1, 0, 0]);
  });

  it("continues a PIO read in the middle of a sector after save and restore into a fresh controller", () => {
    const a = setup({ primary: { master: { kind: "disk", image } }, secondary: { master: { kind: "cdrom", image: null } } });
    a.taskFile(0xe0, 2, [77, 0, 0]);
    a.io.out8(0x1f7, 0x20);
    const first = a.readWords(0x1f0, 100);
    const saved = a.ide.saveState();
    const b = setup({ primary: { master: { kind: "disk", image } }, secondary: { master: { kind: "cdrom", image: null } } });
    b.ide.loadState(saved);
    const rest = b.readWords(0x1f0, 156);
    expect(b.io.in8(0x1f7) & 0x08).toBe(0x08);
    const second = b.readWords(0x1f0, 256);
    expect(Buffer.concat([first, rest, second])).toEqual(Buffer.from(image.subarray(77 * 512, 79 * 512)));
    expect(b.io.in8(0x1f7)).toBe(0x50);
    const c = setup({ primary: { master: { kind: "disk", image } } });
    expect(() => c.ide.loadState(saved)).toThrow(/presence differs/);
  });

  it("rejects disk images that are not whole sectors", () => {
    const ctx = makeTestContext();
    expect(() => new IdeController(ctx, { primary: { master: { kind: "disk", image: new Uint8Array(1000) } } })).toThrow(/multiple of 512/);
  });
});

describe("ATAPI CD-ROM", () => {
  const blocks = 2000; // ~4 MB
  const iso = makeIso(blocks);

  /** Sends a 12-byte packet; returns the data bytes read in PIO with the given byte count limit. */
  function packet(s: ReturnType<typeof setup>, cdb: number[], limit = 0xfffe, dma = false): { data: number[]; chunks: number[]; status: number } {
    const { io } = s;
    io.out8(0x176, 0xa0);
    io.out8(0x171, dma ? 1 : 0);
    io.out8(0x174, limit & 0xff);
    io.out8(0x175, limit >> 8);
    io.out8(0x177, 0xa0);
    expect(io.in8(0x177) & 0x08).toBe(0x08);
    expect(io.in8(0x172) & 3).toBe(1); // CoD: waiting for the packet
    const p = [...cdb, ...new Array(12 - cdb.length).fill(0)];
    for (let i = 0; i < 12; i += 2) io.out16(0x170, p[i] | (p[i + 1] << 8));
    const data: number[] = [];
    const chunks: number[] = [];
    if (dma) return { data, chunks, status: io.in8(0x377) };
    for (let guard = 0; guard < 100; guard++) {
      const st = io.in8(0x177);
      if (!(st & 0x08)) return { data, chunks, status: st };
      expect(io.in8(0x172) & 3).toBe(2); // IO: data to host
      const n = io.in8(0x174) | (io.in8(0x175) << 8);
      chunks.push(n);
      for (let i = 0; i < n; i += 2) {
        const w = io.in16(0x170);
        data.push(w & 0xff);
        if (i + 1 < n) data.push(w >> 8);
      }
    }
    throw new Error("packet did not finish");
  }

  it("has the ATAPI signature, aborts IDENTIFY DEVICE and answers IDENTIFY PACKET DEVICE", () => {
    const s = setup({ secondary: { master: { kind: "cdrom", image: iso } } });
    const { io, readWords } = s;
    expect([io.in8(0x174), io.in8(0x175)]).toEqual([0x14, 0xeb]);
    io.out8(0x176, 0xa0);
    io.out8(0x177, 0xec);
    expect(io.in8(0x177) & 0x01).toBe(1);
    expect([io.in8(0x174), io.in8(0x175)]).toEqual([0x14, 0xeb]);
    io.out8(0x177, 0xa1);
    const id = readWords(0x170, 256);
    expect(id[0] | (id[1] << 8)).toBe(0x85c0);
    let sum = 0;
    for (const b of id) sum += b;
    expect(sum & 0xff).toBe(0);
  });

  it("reports the unit attention once, then reads capacity and READ(10) blocks in byte-count-limited PIO chunks", () => {
    const s = setup({ secondary: { master: { kind: "cdrom", image: iso } } });
    s.ide.deviceAt(1, false);
    (s.ide.deviceAt(1, false) as AtapiCdrom).insertMedia(iso); // a media change
    let r = packet(s, [0x00]);
    expect(r.status & 0x01).toBe(1);
    expect(s.io.in8(0x171) >> 4).toBe(6);
    r = packet(s, [0x03, 0, 0, 0, 18]);
    expect([r.data[2], r.data[12]]).toEqual([6, 0x28]); // sense of the failed command
    r = packet(s, [0x03, 0, 0, 0, 18]);
    expect(r.data[2]).toBe(0); // consumed
    r = packet(s, [0x00]);
    expect(r.status).toBe(0x50);
    r = packet(s, [0x25]);
    expect(r.data).toEqual([0, 0, (blocks - 1) >> 8, (blocks - 1) & 0xff, 0, 0, 8, 0]);
    const lba = 1234;
    const irqs = s.ctx.raises[15];
    r = packet(s, [0x28, 0, 0, 0, lba >> 8, lba & 0xff, 0, 0, 3], 2048);
    expect(r.chunks).toEqual([2048, 2048, 2048]);
    expect(Uint8Array.from(r.data)).toEqual(iso.subarray(lba * 2048, (lba + 3) * 2048));
    expect(s.ctx.raises[15] - irqs).toBe(4); // one per data chunk and one for completion
    expect(s.io.in8(0x172) & 3).toBe(3); // completion: IO + CoD
    r = packet(s, [0x28, 0, 0, 0, (blocks - 1) >> 8, (blocks - 1) & 0xff, 0, 0, 2]);
    expect(r.status & 0x01).toBe(1);
    r = packet(s, [0x03, 0, 0, 0, 18]);
    expect([r.data[2], r.data[12]]).toEqual([5, 0x21]);
  });

  it("reads by DMA through the bus master", () => {
    const s = setup({ secondary: { master: { kind: "cdrom", image: iso } } });
    const { io, ctx } = s;
    writePrd(ctx, 0x3000, [[0x400000, 4096]]);
    io.out32(BM + 8 + 4, 0x3000);
    io.out8(BM + 8, 0x08);
    const r = packet(s, [0x28, 0, 0, 0, 0, 16, 0, 0, 2], 0xfffe, true);
    expect(r.data).toEqual([]);
    io.out8(BM + 8, 0x09);
    expect(io.in8(0x177)).toBe(0x50);
    expect(io.in8(BM + 8 + 2) & 0x05).toBe(0x04);
    expect(ctx.memory.ram.subarray(0x400000, 0x401000)).toEqual(iso.subarray(16 * 2048, 18 * 2048));
  });

  it("answers INQUIRY, READ TOC (LBA and MSF, session info), MODE SENSE page 2A, GET CONFIGURATION, event status, disc info", () => {
    const s = setup({ secondary: { master: { kind: "cdrom", image: iso } } });
    let r = packet(s, [0x12, 0, 0, 0, 36]);
    expect(r.data[0]).toBe(5);
    expect(String.fromCharCode(...r.data.slice(8, 16))).toBe("HYPERTAB");
    r = packet(s, [0x43, 0, 0, 0, 0, 0, 0, 0, 100]);
    expect(r.data.slice(0, 4)).toEqual([0, 18, 1, 1]);
    expect(r.data.slice(12, 20)).toEqual([0, 0x16, 0xaa, 0, 0, 0, blocks >> 8, blocks & 0xff]);
    r = packet(s, [0x43, 2, 0, 0, 0, 0, 0, 0, 100]);
    expect(r.data.slice(8, 12)).toEqual([0, 0, 2, 0]); // track 1 at 00:02:00
    r = packet(s, [0x43, 0, 1, 0, 0, 0, 0, 0, 12]);
    expect(r.data).toEqual([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    r = packet(s, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 255]);
    expect(r.data[8]).toBe(0x2a);
    expect(r.data.length).toBe(28);
    r = packet(s, [0x46, 0, 0, 0, 0, 0, 0, 0, 255]);
    expect((r.data[6] << 8) | r.data[7]).toBe(0x0008);
    r = packet(s, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]);
    expect(r.data.slice(2, 6)).toEqual([0x04, 0x10, 0, 0x02]);
    r = packet(s, [0x51, 0, 0, 0, 0, 0, 0, 0, 34]);
    expect(r.data[2]).toBe(0x0e);
    r = packet(s, [0xff]);
    expect(r.status & 0x01).toBe(1);
  });

  it("locks the tray, reports media events on eject and insert, and rejects odd image sizes", () => {
    const s = setup({ secondary: { master: { kind: "cdrom", image: iso } } });
    const cd = s.ide.deviceAt(1, false) as AtapiCdrom;
    packet(s, [0x1e, 0, 0, 0, 1]);
    let r = packet(s, [0x1b, 0, 0, 0, 0x02]);
    expect(r.status & 0x01).toBe(1);
    expect(cd.ejectMedia()).toBe(false);
    packet(s, [0x1e, 0, 0, 0, 0]);
    r = packet(s, [0x1b, 0, 0, 0, 0x02]);
    expect(r.status).toBe(0x50);
    expect(cd.hasMedia).toBe(false);
    r = packet(s, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]);
    expect(r.data[4]).toBe(3);
    r = packet(s, [0x00]);
    expect(s.io.in8(0x171) >> 4).toBe(2);
    expect(() => cd.insertMedia(new Uint8Array(3000))).toThrow(/multiple of 2048/);
    cd.insertMedia(iso);
    r = packet(s, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]);
    expect(r.data[4]).toBe(2);
  });
});
