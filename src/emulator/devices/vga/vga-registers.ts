// The VGA register file: miscellaneous output, sequencer, CRT controller, graphics controller,
// attribute controller and DAC, plus the RGBA palette derived from the DAC. Port decoding is in
// vga.ts; the planes are in vga-memory.ts. `displayDirty` tells the renderer that something
// which changes the picture (not just how the CPU writes memory) was modified.

import { bool, range, typed, u8, type FieldSpec } from "../../state.ts";
import { fillDefaultDac, MODE_03H, type VgaModeRegisters } from "./vga-modes.ts";

/** Graphics controller registers that only steer CPU reads/writes; changing them never alters the picture. */
const GC_WRITE_PATH_ONLY = 0b1_1001_1111; // 0-4, 7, 8

/** The register file's saved fields (listed flat in the VGA's state). */
export const VGA_REGISTER_FIELDS: Record<string, FieldSpec> = {
  misc: u8(),
  featureControl: u8(),
  videoEnable: u8(),
  seqIndex: u8(),
  seq: typed(Uint8Array, 8),
  crtcIndex: u8(),
  crtc: typed(Uint8Array, 64),
  gcIndex: u8(),
  gc: typed(Uint8Array, 16),
  attrIndex: range(0, 0x3f),
  attrFlipFlop: bool(),
  attr: typed(Uint8Array, 32),
  dac: typed(Uint8Array, 768),
  dacReadIndex: u8(),
  dacWriteIndex: u8(),
  dacComponent: range(0, 2),
  dacReading: bool(),
  dacLatch: typed(Uint8Array, 3),
  pelMask: u8(),
  dac8Bit: bool(),
};

export class VgaRegisters {
  misc = 0;
  featureControl = 0;
  /** Port 0x3C3, video subsystem enable. */
  videoEnable = 1;
  seqIndex = 0;
  readonly seq = new Uint8Array(8);
  crtcIndex = 0;
  readonly crtc = new Uint8Array(64);
  gcIndex = 0;
  readonly gc = new Uint8Array(16);
  /** Attribute index register including bit 5, palette address source (0 blanks the screen). */
  attrIndex = 0;
  /** false: the next write to 0x3C0 is an index; true: it is data. Reading input status 1 resets it. */
  attrFlipFlop = false;
  readonly attr = new Uint8Array(32);

  /** 256 entries of R, G, B (6-bit, or 8-bit when the DISPI 8-bit DAC flag is on). */
  readonly dac = new Uint8Array(768);
  dacReadIndex = 0;
  dacWriteIndex = 0;
  /** 0-2: which of R, G, B the next data access is. */
  dacComponent = 0;
  /** Last index port used: false = write index (0x3C8), true = read index (0x3C7). */
  dacReading = false;
  readonly dacLatch = new Uint8Array(3);
  pelMask = 0xff;
  dac8Bit = false;

  /** DAC entries as little-endian RGBA words (0xAABBGGRR), ready for a Uint32Array framebuffer. */
  readonly palette32 = new Uint32Array(256);
  /** Set when anything visible changed; the renderer clears it after redrawing everything. */
  displayDirty = true;

  reset(): void {
    this.loadMode(MODE_03H);
    this.featureControl = 0;
    this.videoEnable = 1;
    this.seqIndex = this.crtcIndex = this.gcIndex = 0;
    this.attrIndex = 0x20;
    this.attrFlipFlop = false;
    fillDefaultDac(this.dac);
    this.dacReadIndex = this.dacWriteIndex = this.dacComponent = 0;
    this.dacReading = false;
    this.dacLatch.fill(0);
    this.pelMask = 0xff;
    this.dac8Bit = false;
    this.refreshPalette();
  }

  /** Loads a whole mode's register set (power-on state; tests use the port path instead). */
  loadMode(mode: VgaModeRegisters): void {
    this.misc = mode.misc;
    this.seq.fill(0);
    this.seq.set(mode.seq);
    this.crtc.fill(0);
    this.crtc.set(mode.crtc);
    this.gc.fill(0);
    this.gc.set(mode.gc);
    this.attr.fill(0);
    this.attr.set(mode.attr);
    this.displayDirty = true;
  }

  get colorEmulation(): boolean {
    return (this.misc & 1) !== 0;
  }

  writeSeq(value: number): void {
    const i = this.seqIndex & 7;
    if (this.seq[i] === value) return;
    this.seq[i] = value;
    if (i !== 0 && i !== 2) this.displayDirty = true;
  }

  writeCrtc(value: number): void {
    const i = this.crtcIndex & 0x3f;
    // Protect bit (CR11 bit 7) locks CR00-CR07, except the line compare bit 8 in CR07.
    if ((this.crtc[0x11] & 0x80) !== 0 && i <= 7) {
      if (i !== 7) return;
      value = (this.crtc[7] & ~0x10) | (value & 0x10);
    }
    if (this.crtc[i] === value) return;
    this.crtc[i] = value;
    if (i !== 0x0e && i !== 0x0f) this.displayDirty = true; // the cursor is tracked separately
  }

  writeGc(value: number): void {
    const i = this.gcIndex & 0x0f;
    const old = this.gc[i];
    if (old === value) return;
    this.gc[i] = value;
    if (i === 5) {
      if (((old ^ value) & 0x60) !== 0) this.displayDirty = true;
    } else if (((GC_WRITE_PATH_ONLY >> i) & 1) === 0) this.displayDirty = true;
  }

  writeAttr(value: number): void {
    if (!this.attrFlipFlop) {
      if (((this.attrIndex ^ value) & 0x20) !== 0) this.displayDirty = true;
      this.attrIndex = value & 0x3f;
    } else {
      const i = this.attrIndex & 0x1f;
      // Palette registers stay writable with the palette address source bit set (QEMU and Bochs
      // behave so, and SeaBIOS's VGA BIOS relies on it: it restores the index it found, PAS included).
      if (i < 0x15 && this.attr[i] !== value) {
        this.attr[i] = value;
        this.displayDirty = true;
      }
    }
    this.attrFlipFlop = !this.attrFlipFlop;
  }

  readAttrData(): number {
    const i = this.attrIndex & 0x1f;
    return i < 0x15 ? this.attr[i] : 0;
  }

  setDacReadIndex(value: number): void {
    this.dacReadIndex = value & 0xff;
    this.dacComponent = 0;
    this.dacReading = true;
  }

  setDacWriteIndex(value: number): void {
    this.dacWriteIndex = value & 0xff;
    this.dacComponent = 0;
    this.dacReading = false;
  }

  writeDacData(value: number): void {
    this.dacLatch[this.dacComponent] = this.dac8Bit ? value & 0xff : value & 0x3f;
    if (++this.dacComponent < 3) return;
    const i = this.dacWriteIndex;
    this.dac[i * 3] = this.dacLatch[0];
    this.dac[i * 3 + 1] = this.dacLatch[1];
    this.dac[i * 3 + 2] = this.dacLatch[2];
    this.refreshPaletteEntry(i);
    this.dacWriteIndex = (i + 1) & 0xff;
    this.dacComponent = 0;
    this.displayDirty = true;
  }

  readDacData(): number {
    const v = this.dac[this.dacReadIndex * 3 + this.dacComponent];
    if (++this.dacComponent === 3) {
      this.dacComponent = 0;
      this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
    }
    return v;
  }

  setPelMask(value: number): void {
    if (this.pelMask === value) return;
    this.pelMask = value;
    this.displayDirty = true;
  }

  setDac8Bit(on: boolean): void {
    if (this.dac8Bit === on) return;
    this.dac8Bit = on;
    this.refreshPalette();
  }

  refreshPalette(): void {
    for (let i = 0; i < 256; i++) this.refreshPaletteEntry(i);
    this.displayDirty = true;
  }

  private refreshPaletteEntry(i: number): void {
    let r = this.dac[i * 3];
    let g = this.dac[i * 3 + 1];
    let b = this.dac[i * 3 + 2];
    if (!this.dac8Bit) {
      // 6-bit to 8-bit, replicating the top bits so 0x3F becomes 0xFF.
      r = ((r << 2) | (r >> 4)) & 0xff;
      g = ((g << 2) | (g >> 4)) & 0xff;
      b = ((b << 2) | (b >> 4)) & 0xff;
    }
    this.palette32[i] = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
  }
}

