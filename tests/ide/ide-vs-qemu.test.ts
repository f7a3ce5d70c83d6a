// Differential check of the IDE/ATAPI register protocol against QEMU's PIIX IDE (qtest: QEMU's
// devices answer port accesses directly, its CPU never runs). Every register read, PIO data word and
// status byte is compared; the few places where we knowingly differ are listed and skipped.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IdeController } from "../../src/emulator/devices/ide/ide-controller.ts";
import { makeTestContext } from "../devices/fake-context.ts";
import { differences, qemuAvailable, QtestScript, runOnOurs, runOnQemu } from "../devices/qtest-replay.ts";

function makeDisk(sectors: number): Uint8Array {
  const img = new Uint8Array(sectors * 512);
  const dv = new DataView(img.buffer);
  for (let s = 0; s < sectors; s++) {
    dv.setUint32(s * 512, s, true);
    for (let i = 4; i < 512; i++) img[s * 512 + i] = (s * 7 + i) & 0xff;
  }
  return img;
}

function makeIso(blocks: number): Uint8Array {
  const img = new Uint8Array(blocks * 2048);
  const dv = new DataView(img.buffer);
  for (let b = 0; b < blocks; b++) {
    dv.setUint32(b * 2048, b ^ 0x5a5a, true);
    img[b * 2048 + 2047] = b & 0xff;
  }
  return img;
}

/** Alternate status registers: reading them has no side effects, so waits can poll them. */
const PRIMARY_ALT_STATUS = 0x3f6;
const SECONDARY_ALT_STATUS = 0x376;

describe.skipIf(!qemuAvailable())("IDE and ATAPI against QEMU (qtest)", () => {
  it("answers the same registers, status bytes and data words as QEMU's PIIX IDE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hypertab-ide-"));
    const disk = makeDisk(4096);
    const iso = makeIso(300);
    writeFileSync(join(dir, "disk.img"), disk);
    writeFileSync(join(dir, "cd.iso"), iso);
    const s = new QtestScript();
    // Power-on signatures (the power-on error register differs: we report diagnostic code 1).
    s.regs(0x1f0, true);
    s.push("outb 0x1f6 0xa0", "outb 0x1f2 0x55", "outb 0x1f3 0xaa", "inb 0x1f2", "inb 0x1f3", "inb 0x1f6");
    // IDENTIFY PACKET DEVICE to the disk aborts (SeaBIOS probes with it first).
    s.push("outb 0x1f7 0xa1");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.regs(0x1f0);
    // READ SECTORS, two blocks.
    s.push("outb 0x1f6 0xe0", "outb 0x1f2 0x02", "outb 0x1f3 100", "outb 0x1f4 0", "outb 0x1f5 0", "outb 0x1f7 0x20");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7");
    s.words(0x1f0, 256);
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7");
    s.words(0x1f0, 256);
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7", "inb 0x1f1");
    // READ SECTORS EXT at the end of the disk, 32-bit data reads.
    s.push("outb 0x1f2 0", "outb 0x1f2 2", "outb 0x1f3 0", "outb 0x1f3 0xfe", "outb 0x1f4 0", "outb 0x1f4 0x0f", "outb 0x1f5 0", "outb 0x1f5 0", "outb 0x1f6 0x40", "outb 0x1f7 0x24");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    for (let sector = 0; sector < 2; sector++) {
      s.push("inb 0x1f7");
      for (let i = 0; i < 128; i++) s.push("inl 0x1f0");
      s.waitNotBusy(PRIMARY_ALT_STATUS);
    }
    s.push("inb 0x1f7");
    // WRITE SECTORS then read the sector back.
    s.push("outb 0x1f6 0xe0", "outb 0x1f2 0x01", "outb 0x1f3 5", "outb 0x1f4 0", "outb 0x1f5 0", "outb 0x1f7 0x30");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x3f6");
    for (let i = 0; i < 256; i++) s.push(`outw 0x1f0 0x${((i * 0x0101 + 0x1234) & 0xffff).toString(16)}`);
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7", "inb 0x1f1");
    s.push("outb 0x1f2 0x01", "outb 0x1f3 5", "outb 0x1f7 0x20");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7");
    s.words(0x1f0, 256);
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7");
    // An unknown command aborts.
    s.push("outb 0x1f7 0xf0");
    s.waitNotBusy(PRIMARY_ALT_STATUS);
    s.push("inb 0x1f7", "inb 0x1f1");
    // ATAPI CD-ROM on the secondary master: signature, then packets over PIO.
    // (QEMU's CD shows a finished packet's registers at power-on rather than the signature.)
    s.push("outb 0x176 0xa0");
    s.skip("inb 0x172");
    s.skip("inb 0x173");
    s.skip("inb 0x174");
    s.skip("inb 0x175");
    /** Reads REQUEST SENSE data; byte 0 differs (QEMU sets the VALID bit with an empty information field). */
    const senseWords = () => {
      s.skip("inw 0x170");
      s.words(0x170, 8);
    };
    /** dataWords: the words to read, per byte-count-limited chunk (QEMU reads each chunk's block
     *  from the image asynchronously, so the device is waited for between chunks). */
    const packet = (cdb: number[], limit: number, dataWords: number[] | (() => void)) => {
      const p = [...cdb, ...new Array(12 - cdb.length).fill(0)];
      s.push("outb 0x171 0", `outb 0x174 ${limit & 0xff}`, `outb 0x175 ${limit >> 8}`, "outb 0x177 0xa0");
      s.waitNotBusy(SECONDARY_ALT_STATUS);
      s.push("inb 0x177", "inb 0x172");
      for (let i = 0; i < 12; i += 2) s.push(`outw 0x170 0x${(p[i] | (p[i + 1] << 8)).toString(16)}`);
      s.waitNotBusy(SECONDARY_ALT_STATUS);
      s.regs(0x170);
      if (typeof dataWords === "function") dataWords();
      else
        dataWords.forEach((n, chunk) => {
          if (chunk > 0) s.waitNotBusy(SECONDARY_ALT_STATUS);
          s.words(0x170, n);
        });
      s.waitNotBusy(SECONDARY_ALT_STATUS);
      s.regs(0x170);
    };
    packet([0x00], 0, []); // TEST UNIT READY
    packet([0x03, 0, 0, 0, 18], 18, senseWords); // REQUEST SENSE
    packet([0x25], 8, [4]); // READ CAPACITY
    packet([0x28, 0, 0, 0, 0, 16, 0, 0, 1], 2048, [1024]); // READ(10) one block
    packet([0x28, 0, 0, 0, 0, 20, 0, 0, 2], 2048, [1024, 1024]); // two blocks in two byte-count-limited chunks
    packet([0x43, 0, 0, 0, 0, 0, 0, 0, 20], 20, [10]); // READ TOC
    packet([0x28, 0, 0, 0, 0x01, 0x2b, 0, 0, 2], 2048, []); // past the end: CHECK CONDITION
    packet([0x03, 0, 0, 0, 18], 18, senseWords); // ...explained by REQUEST SENSE

    const ctx = makeTestContext(8);
    new IdeController(ctx, { primary: { master: { kind: "disk", image: disk } }, secondary: { master: { kind: "cdrom", image: iso } } });
    const ours = runOnOurs(ctx.io, ctx.memory, s.lines);
    const qemu = await runOnQemu(
      ["-m", "32", "-drive", `file=${join(dir, "disk.img")},if=ide,index=0,format=raw,snapshot=on`, "-drive", `file=${join(dir, "cd.iso")},if=ide,index=2,media=cdrom,format=raw`],
      s.lines,
    );
    expect(differences(s.lines, ours, qemu, (i) => s.skipped.has(i))).toEqual([]);
  }, 60_000);
});
