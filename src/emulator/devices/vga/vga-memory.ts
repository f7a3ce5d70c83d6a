// Video memory and the VGA's CPU access paths. VRAM is one byte array; the 256 KiB VGA area at its
// start holds the four planes interleaved, so 32-bit word n holds byte n of planes 0..3 (plane 0 in
// the low byte). Chain-4 (mode 13h) then addresses VRAM bytes directly, odd/even (text modes) uses
// planes 0/1 (and 2/3) of word addr>>1, and planar accesses go through the latches, the four write
// modes and both read modes. The VBE banked window and the linear framebuffer address VRAM bytes.
// Every store marks its 1 KiB chunk dirty so the renderer only redraws what changed.

import type { VgaRegisters } from "./vga-registers.ts";

export const DIRTY_CHUNK_SHIFT = 10;
/** VRAM regions of 64 KiB: reset zeroes only the ones written since the last reset. */
const WRITTEN_REGION_SHIFT = 16;
/** Offset (in 32-bit plane words) at which VGA plane addressing wraps: 64 KiB per plane. */
export const PLANE_WORDS = 0x10000;

/** 4-bit plane mask → 32-bit byte mask (bit p set → byte p all ones). */
const EXPAND4 = new Int32Array(16);
for (let m = 0; m < 16; m++) {
  EXPAND4[m] = (m & 1 ? 0xff : 0) | (m & 2 ? 0xff00 : 0) | (m & 4 ? 0xff0000 : 0) | (m & 8 ? 0xff000000 : 0);
}
const PLANE2_MASK = 0x00ff0000;

export class VgaMemory {
  readonly size: number;
  readonly vram: Uint8Array;
  readonly vram16: Uint16Array;
  readonly vram32: Int32Array;
  /** One flag per 1 KiB of VRAM written since the last render. */
  readonly dirty: Uint8Array;
  /** One flag per 64 KiB of VRAM written since the last reset (unlike `dirty`, rendering keeps it). */
  private readonly written: Uint8Array;
  anyDirty = true;
  /** Plane 2 (the font) was written since the last render. */
  fontDirty = true;
  /** The four plane bytes loaded by the last planar read. */
  latch = 0;
  /** VBE/DISPI: when active, 0xA0000-0xAFFFF is a 64 KiB window at `bankOffset` into VRAM. */
  vbeActive = false;
  /** DISPI 4 bpp: the banked window goes through the planar logic, `bankOffset` counting plane words. */
  vbePlanar = false;
  bankOffset = 0;
  /** Legacy window selected by GR06 memory map select (physical base and size). */
  windowBase = 0xa0000;
  windowSize = 0x20000;

  constructor(
    size: number,
    private readonly regs: VgaRegisters,
  ) {
    this.size = size;
    this.vram = new Uint8Array(size);
    this.vram16 = new Uint16Array(this.vram.buffer);
    this.vram32 = new Int32Array(this.vram.buffer);
    this.dirty = new Uint8Array(size >>> DIRTY_CHUNK_SHIFT);
    this.written = new Uint8Array(Math.max(1, size >>> WRITTEN_REGION_SHIFT));
  }

  reset(): void {
    // Only regions written since the last reset are zeroed: filling (or even scanning) all of VRAM
    // costs milliseconds per reset and makes every page of it resident.
    const w = this.written;
    for (let r = 0; r < w.length; r++) {
      if (w[r] === 0) continue;
      this.vram.fill(0, r << WRITTEN_REGION_SHIFT, (r + 1) << WRITTEN_REGION_SHIFT);
      w[r] = 0;
    }
    this.latch = 0;
    this.vbeActive = false;
    this.bankOffset = 0;
    this.updateWindow();
    this.markAllDirty();
  }

  /** VRAM bytes [start, start+length) were written other than through the access paths below
   *  (font loading, a state load). */
  markWritten(start: number, length: number): void {
    if (length <= 0) return;
    const last = Math.min(this.written.length - 1, (start + length - 1) >>> WRITTEN_REGION_SHIFT);
    for (let r = start >>> WRITTEN_REGION_SHIFT; r <= last; r++) this.written[r] = 1;
  }

  markAllDirty(): void {
    this.dirty.fill(1);
    this.anyDirty = true;
    this.fontDirty = true;
  }

  clearDirty(): void {
    if (this.anyDirty) this.dirty.fill(0);
    this.anyDirty = false;
    this.fontDirty = false;
  }

  /** True when any byte in [start, start+length) of VRAM was written since the last clear. */
  isRangeDirty(start: number, length: number): boolean {
    if (!this.anyDirty) return false;
    if (start < 0 || start + length > this.size) return true;
    const last = (start + length - 1) >>> DIRTY_CHUNK_SHIFT;
    for (let c = start >>> DIRTY_CHUNK_SHIFT; c <= last; c++) if (this.dirty[c] !== 0) return true;
    return false;
  }

  /** Recomputes the legacy window from GR06 bits 2-3 (after a graphics controller write). */
  updateWindow(): void {
    switch ((this.regs.gc[6] >> 2) & 3) {
      case 0:
        this.windowBase = 0xa0000;
        this.windowSize = 0x20000;
        break;
      case 1:
        this.windowBase = 0xa0000;
        this.windowSize = 0x10000;
        break;
      case 2:
        this.windowBase = 0xb0000;
        this.windowSize = 0x8000;
        break;
      default:
        this.windowBase = 0xb8000;
        this.windowSize = 0x8000;
    }
  }

  /** CPU read in the legacy 0xA0000-0xBFFFF range (physical address). */
  readWindow(addr: number): number {
    if (this.vbeActive) {
      const off = addr - 0xa0000;
      if (off >= 0x10000) return 0xff;
      if (this.vbePlanar) return this.readPlanar(this.bankOffset + off);
      const v = this.bankOffset + off;
      return v < this.size ? this.vram[v] : 0xff;
    }
    const off = addr - this.windowBase;
    if (off < 0 || off >= this.windowSize) return 0xff;
    const regs = this.regs;
    if ((regs.seq[4] & 0x08) !== 0) {
      // Chain-4: the low two address bits pick the plane, VRAM bytes map one to one.
      this.latch = this.vram32[off >>> 2];
      return this.vram[off];
    }
    if ((regs.gc[5] & 0x10) !== 0) {
      // Odd/even: bit 0 picks plane 0/1 (or 2/3 with read map select bit 1).
      const word = (off >>> 1) & (PLANE_WORDS - 1);
      this.latch = this.vram32[word];
      return this.vram[(word << 2) | (regs.gc[4] & 2) | (off & 1)];
    }
    return this.readPlanar(off & (PLANE_WORDS - 1));
  }

  /** Planar read of plane word `word`: loads the latches, then read mode 0 or 1. */
  private readPlanar(word: number): number {
    if (word >= this.vram32.length) return 0xff;
    const regs = this.regs;
    const latch = this.vram32[word];
    this.latch = latch;
    if ((regs.gc[5] & 0x08) === 0) return (latch >>> ((regs.gc[4] & 3) << 3)) & 0xff;
    // Read mode 1: colour compare. A pixel matches when every plane selected by "colour don't care"
    // equals the colour compare bit; the result has 1s where pixels match.
    let diff = (latch ^ EXPAND4[regs.gc[2] & 0x0f]) & EXPAND4[regs.gc[7] & 0x0f];
    diff |= diff >>> 16;
    diff |= diff >>> 8;
    return ~diff & 0xff;
  }

  /** CPU write in the legacy 0xA0000-0xBFFFF range (physical address). */
  writeWindow(addr: number, value: number): void {
    if (this.vbeActive) {
      const off = addr - 0xa0000;
      if (off >= 0x10000) return;
      if (this.vbePlanar) {
        const word = this.bankOffset + off;
        if (word < this.vram32.length) this.writePlanar(word, value & 0xff);
        return;
      }
      const v = this.bankOffset + off;
      if (v < this.size) {
        this.vram[v] = value;
        this.dirty[v >>> DIRTY_CHUNK_SHIFT] = 1;
        this.written[v >>> WRITTEN_REGION_SHIFT] = 1;
        this.anyDirty = true;
      }
      return;
    }
    const off = addr - this.windowBase;
    if (off < 0 || off >= this.windowSize) return;
    const regs = this.regs;
    const mapMask = regs.seq[2] & 0x0f;
    if ((regs.seq[4] & 0x08) !== 0) {
      const plane = off & 3;
      if ((mapMask & (1 << plane)) === 0) return;
      this.vram[off] = value;
      this.dirty[off >>> DIRTY_CHUNK_SHIFT] = 1;
      this.written[off >>> WRITTEN_REGION_SHIFT] = 1;
      this.anyDirty = true;
      if (plane === 2) this.fontDirty = true;
      return;
    }
    if ((regs.seq[4] & 0x04) === 0) {
      // Odd/even: even addresses go to planes 0 and 2, odd ones to 1 and 3, each gated by the map mask.
      const word = (off >>> 1) & (PLANE_WORDS - 1);
      const planes = mapMask & ((off & 1) === 0 ? 0b0101 : 0b1010);
      if (planes === 0) return;
      const mask = EXPAND4[planes];
      const v = (value & 0xff) * 0x01010101;
      this.vram32[word] = (this.vram32[word] & ~mask) | (v & mask);
      this.dirty[word >>> (DIRTY_CHUNK_SHIFT - 2)] = 1;
      this.written[word >>> (WRITTEN_REGION_SHIFT - 2)] = 1;
      this.anyDirty = true;
      if ((mask & PLANE2_MASK) !== 0) this.fontDirty = true;
      return;
    }
    this.writePlanar(off & (PLANE_WORDS - 1), value & 0xff);
  }

  /** Planar write through the graphics controller: write modes 0-3, rotate, set/reset, logical
   *  operation and bit mask, then the sequencer map mask. */
  private writePlanar(word: number, value: number): void {
    const gc = this.regs.gc;
    const latch = this.latch;
    let data: number;
    let bitMask: number;
    switch (gc[5] & 3) {
      case 0: {
        const rot = gc[3] & 7;
        const v = ((value >>> rot) | (value << (8 - rot))) & 0xff;
        const enable = EXPAND4[gc[1] & 0x0f];
        data = (((v * 0x01010101) | 0) & ~enable) | (EXPAND4[gc[0] & 0x0f] & enable);
        bitMask = gc[8];
        break;
      }
      case 1:
        this.storePlanes(word, latch);
        return;
      case 2:
        data = EXPAND4[value & 0x0f];
        bitMask = gc[8];
        break;
      default: {
        const rot = gc[3] & 7;
        const v = ((value >>> rot) | (value << (8 - rot))) & 0xff;
        data = EXPAND4[gc[0] & 0x0f];
        bitMask = gc[8] & v;
      }
    }
    switch ((gc[3] >> 3) & 3) {
      case 1:
        data &= latch;
        break;
      case 2:
        data |= latch;
        break;
      case 3:
        data ^= latch;
        break;
    }
    const bits = (bitMask * 0x01010101) | 0;
    this.storePlanes(word, (data & bits) | (latch & ~bits));
  }

  private storePlanes(word: number, data: number): void {
    const mask = EXPAND4[this.regs.seq[2] & 0x0f];
    if (mask === 0) return;
    this.vram32[word] = (this.vram32[word] & ~mask) | (data & mask);
    this.dirty[word >>> (DIRTY_CHUNK_SHIFT - 2)] = 1;
    this.written[word >>> (WRITTEN_REGION_SHIFT - 2)] = 1;
    this.anyDirty = true;
    if ((mask & PLANE2_MASK) !== 0) this.fontDirty = true;
  }

  // Linear framebuffer: `off` is the offset into VRAM (the caller subtracted the BAR base).

  lfbRead8(off: number): number {
    return off < this.size ? this.vram[off] : 0xff;
  }

  lfbRead16(off: number): number {
    if ((off & 1) === 0 && off < this.size) return this.vram16[off >>> 1];
    return this.lfbRead8(off) | (this.lfbRead8(off + 1) << 8);
  }

  lfbRead32(off: number): number {
    if ((off & 3) === 0 && off < this.size) return this.vram32[off >>> 2];
    return (this.lfbRead16(off) | (this.lfbRead16(off + 2) << 16)) | 0;
  }

  lfbWrite8(off: number, value: number): void {
    if (off >= this.size) return;
    this.vram[off] = value;
    this.dirty[off >>> DIRTY_CHUNK_SHIFT] = 1;
    this.written[off >>> WRITTEN_REGION_SHIFT] = 1;
    this.anyDirty = true;
  }

  lfbWrite16(off: number, value: number): void {
    if ((off & 1) === 0 && off < this.size) {
      this.vram16[off >>> 1] = value;
      this.dirty[off >>> DIRTY_CHUNK_SHIFT] = 1;
      this.written[off >>> WRITTEN_REGION_SHIFT] = 1;
      this.anyDirty = true;
      return;
    }
    this.lfbWrite8(off, value);
    this.lfbWrite8(off + 1, value >>> 8);
  }

  lfbWrite32(off: number, value: number): void {
    if ((off & 3) === 0 && off < this.size) {
      this.vram32[off >>> 2] = value;
      this.dirty[off >>> DIRTY_CHUNK_SHIFT] = 1;
      this.written[off >>> WRITTEN_REGION_SHIFT] = 1;
      this.anyDirty = true;
      return;
    }
    this.lfbWrite16(off, value);
    this.lfbWrite16(off + 2, value >>> 16);
  }
}
