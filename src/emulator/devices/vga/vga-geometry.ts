// What the VGA is displaying, derived from its registers: text or one of the graphics layouts, the
// visible size, and how the CRT controller walks VRAM (start address, row offset, scan lines per
// row, CGA/Hercules bank interleave, split screen). Addresses are in 32-bit plane words for the
// VGA layouts (see vga-memory.ts) and in bytes for VBE.

import type { BochsDispi } from "./vga-dispi.ts";
import type { VgaRegisters } from "./vga-registers.ts";

export type ScreenKind = "text" | "planar" | "cga4" | "vga256" | "vbe";

export class ScreenGeometry {
  kind: ScreenKind = "text";
  width = 720;
  height = 400;
  /** Bits per pixel as a user would describe the mode (4 for 16 colours, 8 for 256...). */
  bpp = 4;
  cols = 80;
  rows = 25;
  charWidth = 9;
  charHeight = 16;
  /** Text only: each character pixel is drawn this many pixels wide (2 with the halved dot clock
   *  of 40-column modes, so they keep the 80-column screen shape). */
  hScale = 1;
  /** VGA: first plane word displayed; VBE: first VRAM byte. */
  start = 0;
  /** VGA: plane words per character row (text) or scan row (graphics); VBE: bytes per line. */
  lineOffset = 80;
  /** Row scan lines per memory row, minus one (CR09 bits 0-4). */
  maxScan = 15;
  /** Logical scan lines per output row: >1 when rows are plain repeats (mode 13h's 2x). */
  repeat = 1;
  /** Plane-word address bit replaced by row-scan bit 0 (CGA) / bit 1 (Hercules), or -1. */
  cgaBit = -1;
  hercBit = -1;
  /** First output row shown from address 0 (split screen), or >= height for none. */
  splitRow = 0x7fffffff;
  /** Plane-word addresses wrap with this mask: 64 KiB planes for VGA, all of VRAM for VBE planar. */
  wordMask = 0xffff;
  /** Horizontal pixel panning in pixels. */
  panning = 0;
  /** Screen is blanked (sequencer screen-off or attribute palette address source clear). */
  blank = false;

  sameLayoutAs(o: ScreenGeometry): boolean {
    return this.kind === o.kind && this.width === o.width && this.height === o.height && this.bpp === o.bpp &&
      this.start === o.start && this.lineOffset === o.lineOffset && this.maxScan === o.maxScan &&
      this.repeat === o.repeat && this.cgaBit === o.cgaBit && this.hercBit === o.hercBit &&
      this.splitRow === o.splitRow && this.wordMask === o.wordMask && this.panning === o.panning && this.blank === o.blank &&
      this.charWidth === o.charWidth && this.charHeight === o.charHeight && this.hScale === o.hScale;
  }

  copyFrom(o: ScreenGeometry): void {
    Object.assign(this, o);
  }
}

const MAX_COLS = 256;
const MAX_LINES = 2048;

export function computeGeometry(regs: VgaRegisters, dispi: BochsDispi, g: ScreenGeometry): ScreenGeometry {
  g.blank = (regs.seq[1] & 0x20) !== 0 || (regs.attrIndex & 0x20) === 0;
  g.panning = 0;
  g.splitRow = 0x7fffffff;
  g.cgaBit = g.hercBit = -1;
  g.hScale = 1;
  g.wordMask = 0xffff;
  if (dispi.enabled && dispi.bpp === 4) {
    // Planar VBE mode: the VGA's planar pixel path over a DISPI-sized, VRAM-wide layout.
    g.kind = "planar";
    g.width = dispi.xres;
    g.height = dispi.yres;
    g.bpp = 4;
    g.start = dispi.startByte >>> 2;
    g.lineOffset = dispi.lineBytes >>> 2;
    g.wordMask = (dispi.vramSize >>> 2) - 1;
    g.cols = g.rows = 0;
    g.charWidth = 8;
    g.charHeight = 0;
    g.maxScan = 0;
    g.repeat = 1;
    return g;
  }
  if (dispi.enabled) {
    g.kind = "vbe";
    g.width = dispi.xres;
    g.height = dispi.yres;
    g.bpp = dispi.bpp;
    g.start = dispi.startByte;
    g.lineOffset = dispi.lineBytes;
    g.cols = g.rows = 0;
    g.charWidth = g.charHeight = 0;
    g.maxScan = 0;
    g.repeat = 1;
    g.blank = false; // the DISPI path does not go through the attribute controller
    return g;
  }
  const crtc = regs.crtc;
  const hde = Math.min(crtc[1] + 1, MAX_COLS);
  const vde = Math.min((crtc[0x12] | ((crtc[7] & 0x02) << 7) | ((crtc[7] & 0x40) << 3)) + 1, MAX_LINES);
  const maxScan = crtc[9] & 0x1f;
  const dbl = (crtc[9] & 0x80) !== 0 ? 2 : 1;
  const lineCompare = crtc[0x18] | ((crtc[7] & 0x10) << 4) | ((crtc[9] & 0x40) << 3);
  g.start = (crtc[0x0c] << 8) | crtc[0x0d];
  g.lineOffset = crtc[0x13] * 2;
  g.maxScan = maxScan;

  if ((regs.gc[6] & 1) === 0) {
    g.kind = "text";
    g.charWidth = (regs.seq[1] & 1) !== 0 ? 8 : 9;
    g.charHeight = maxScan + 1;
    g.cols = hde;
    g.rows = Math.max(1, Math.floor(vde / dbl / g.charHeight));
    // Doubling only for genuinely narrow screens, so a guest cannot make frames absurdly wide.
    g.hScale = (regs.seq[1] & 0x08) !== 0 && g.cols * g.charWidth <= 1152 ? 2 : 1;
    g.width = g.cols * g.charWidth * g.hScale;
    g.height = g.rows * g.charHeight;
    g.bpp = 4;
    g.repeat = 1;
    return g;
  }

  g.cols = g.rows = 0;
  g.charWidth = 8;
  g.charHeight = 0;
  const shift = (regs.gc[5] >> 5) & 3;
  // CRTC address mode: byte, word or doubleword; our plane-word addresses already absorb the
  // word/doubleword shift, so the bank bits move down with it.
  const addrShift = (crtc[0x17] & 0x40) !== 0 ? 0 : (crtc[0x14] & 0x40) !== 0 ? 2 : 1;
  const cga = (crtc[0x17] & 0x01) === 0;
  const herc = (crtc[0x17] & 0x02) === 0;
  if (cga) g.cgaBit = 13 - addrShift;
  if (herc) g.hercBit = 14 - addrShift;
  const distinct = Math.min(maxScan + 1, (cga ? 2 : 1) * (herc ? 2 : 1));
  g.repeat = Math.max(1, Math.floor((maxScan + 1) / distinct));
  g.height = Math.max(1, Math.floor(vde / dbl / g.repeat));
  const pan = regs.attr[0x13] & 0x0f;
  if ((shift & 2) !== 0) {
    g.kind = "vga256";
    g.width = hde * 4;
    g.bpp = 8;
    g.panning = pan > 7 ? 0 : pan >> 1;
  } else if (shift === 1) {
    g.kind = "cga4";
    g.width = hde * 8;
    g.bpp = 2;
  } else {
    g.kind = "planar";
    g.width = hde * 8;
    g.bpp = popcount4(regs.attr[0x12] & 0x0f) || 4;
    g.panning = pan > 7 ? 0 : pan;
  }
  if (lineCompare < vde) g.splitRow = Math.floor(lineCompare / (dbl * g.repeat)) + 1;
  return g;
}

function popcount4(v: number): number {
  return (v & 1) + ((v >> 1) & 1) + ((v >> 2) & 1) + ((v >> 3) & 1);
}

/** Plane-word address of output row `y` of a VGA graphics layout. */
export function graphicsRowAddress(g: ScreenGeometry, y: number): number {
  let base = g.start;
  if (y >= g.splitRow) {
    base = 0;
    y -= g.splitRow;
  }
  const scan = y * g.repeat;
  const rows = g.maxScan + 1;
  const rowScan = scan % rows;
  let addr = base + Math.floor(scan / rows) * g.lineOffset;
  if (g.cgaBit >= 0) addr = (addr & ~(1 << g.cgaBit)) | ((rowScan & 1) << g.cgaBit);
  if (g.hercBit >= 0) addr = (addr & ~(1 << g.hercBit)) | (((rowScan >> 1) & 1) << g.hercBit);
  return addr & g.wordMask;
}
