// Turns VGA/VBE state into RGBA pixels. The frame persists between calls and only rows whose VRAM
// changed (or everything, after a register/palette change) are redrawn; each render reports the
// band of rows it touched and bumps `generation` when pixels changed, so a worker can ship just that.

import { computeGeometry, graphicsRowAddress, ScreenGeometry } from "./vga-geometry.ts";
import { PLANE_WORDS, type VgaMemory } from "./vga-memory.ts";
import type { VgaRegisters } from "./vga-registers.ts";
import type { BochsDispi } from "./vga-dispi.ts";

/** One display frame at ~60 Hz, in virtual ns; cursor blinks every 16 frames, text every 32. */
export const FRAME_NS = 1e9 / 60;
const BLACK = 0xff000000 >>> 0;

export interface DirtyBand {
  /** First changed row and one past the last (full width); top === bottom when nothing changed. */
  top: number;
  bottom: number;
}

export class VgaRenderer {
  width = 0;
  height = 0;
  pixels = new Uint8ClampedArray(0);
  private frame32 = new Uint32Array(0);
  /** Bumped by every render that changed at least one pixel. */
  generation = 0;
  /** Rows changed by the most recent render. */
  readonly lastDirty: DirtyBand = { top: 0, bottom: 0 };

  readonly geometry = new ScreenGeometry();
  private readonly drawn = new ScreenGeometry();
  private hasDrawn = false;
  /** 4-bit attribute colour → RGBA, and 8-bit DAC index (after the pel mask) → RGBA. */
  private readonly attrColors = new Uint32Array(16);
  private readonly colors256 = new Uint32Array(256);
  private readonly fontBase = new Int32Array(2);
  private lastCursorRow = -1;
  private lastCursorKey = -1;
  private lastBlinkVisible = true;

  constructor(
    private readonly regs: VgaRegisters,
    private readonly memory: VgaMemory,
    private readonly dispi: BochsDispi,
  ) {}

  /** Forces the next render to redraw everything (after loading state). */
  invalidate(): void {
    this.hasDrawn = false;
  }

  render(nowNs: number): void {
    const g = computeGeometry(this.regs, this.dispi, this.geometry);
    let full = !this.hasDrawn || !g.sameLayoutAs(this.drawn) || this.regs.displayDirty;
    if (g.width !== this.width || g.height !== this.height) {
      this.width = g.width;
      this.height = g.height;
      this.pixels = new Uint8ClampedArray(g.width * g.height * 4);
      this.frame32 = new Uint32Array(this.pixels.buffer);
      full = true;
    }
    this.lastDirty.top = g.height;
    this.lastDirty.bottom = 0;
    if (full) this.prepareColors();
    if (g.blank) {
      if (full) {
        this.frame32.fill(BLACK);
        this.markRows(0, g.height);
      }
    } else {
      switch (g.kind) {
        case "text":
          this.renderText(g, full, nowNs);
          break;
        case "vbe":
          this.renderVbe(g, full);
          break;
        default:
          this.renderGraphics(g, full);
      }
    }
    this.drawn.copyFrom(g);
    this.hasDrawn = true;
    this.regs.displayDirty = false;
    this.memory.clearDirty();
    if (this.lastDirty.top >= this.lastDirty.bottom) this.lastDirty.top = this.lastDirty.bottom = 0;
    else this.generation++;
  }

  private markRows(top: number, bottom: number): void {
    if (top < this.lastDirty.top) this.lastDirty.top = top;
    if (bottom > this.lastDirty.bottom) this.lastDirty.bottom = bottom;
  }

  private prepareColors(): void {
    const regs = this.regs;
    const attr = regs.attr;
    const mask = regs.pelMask;
    const pal = regs.palette32;
    for (let i = 0; i < 256; i++) this.colors256[i] = pal[i & mask];
    const planeEnable = attr[0x12] & 0x0f;
    const colorSelect = attr[0x14];
    const p54 = (attr[0x10] & 0x80) !== 0;
    for (let c = 0; c < 16; c++) {
      let v = attr[c & planeEnable] & 0x3f;
      if (p54) v = (v & 0x0f) | ((colorSelect & 3) << 4);
      v |= (colorSelect & 0x0c) << 4;
      this.attrColors[c] = pal[v & mask];
    }
    const sr3 = regs.seq[3];
    const mapA = ((sr3 >> 3) & 4) | ((sr3 >> 2) & 3);
    const mapB = ((sr3 >> 2) & 4) | (sr3 & 3);
    this.fontBase[0] = fontMapWord(mapB);
    this.fontBase[1] = fontMapWord(mapA);
  }

  private renderText(g: ScreenGeometry, full: boolean, nowNs: number): void {
    const regs = this.regs;
    const crtc = regs.crtc;
    const frameNo = Math.floor(nowNs / FRAME_NS);
    const cursorPhaseOn = ((frameNo >> 4) & 1) === 0;
    const blinkEnabled = (regs.attr[0x10] & 0x08) !== 0;
    const blinkVisible = ((frameNo >> 5) & 1) === 0;
    if (blinkEnabled && blinkVisible !== this.lastBlinkVisible) full = true;
    this.lastBlinkVisible = blinkVisible;
    if (this.memory.fontDirty) full = true;

    // Cursor: which cell (relative to the start address) and which lines of it.
    const cursorStart = crtc[0x0a] & 0x1f;
    const cursorEnd = Math.min(crtc[0x0b] & 0x1f, g.charHeight - 1);
    const cursorRel = (((crtc[0x0e] << 8) | crtc[0x0f]) - g.start) & 0xffff;
    const stride = g.lineOffset > 0 ? g.lineOffset : g.cols;
    let cursorRow = Math.floor(cursorRel / stride);
    const cursorCol = cursorRel % stride;
    const cursorShown = (crtc[0x0a] & 0x20) === 0 && cursorPhaseOn && cursorStart <= cursorEnd && cursorCol < g.cols && cursorRow < g.rows;
    if (!cursorShown) cursorRow = -1;
    const cursorKey = cursorShown ? (cursorRow * 256 + cursorCol) * 1024 + cursorStart * 32 + cursorEnd : -1;
    const cursorMoved = cursorKey !== this.lastCursorKey;
    const oldCursorRow = this.lastCursorRow;
    this.lastCursorKey = cursorKey;
    this.lastCursorRow = cursorRow;

    const mem = this.memory;
    for (let r = 0; r < g.rows; r++) {
      const rowWord = (g.start + r * g.lineOffset) & (PLANE_WORDS - 1);
      const redraw =
        full ||
        (cursorMoved && (r === cursorRow || r === oldCursorRow)) ||
        rowWord + g.cols > PLANE_WORDS ||
        mem.isRangeDirty(rowWord << 2, g.cols << 2);
      if (!redraw) continue;
      this.drawTextRow(g, r, rowWord, blinkEnabled, blinkVisible, r === cursorRow ? cursorCol : -1, cursorStart, cursorEnd);
      this.markRows(r * g.charHeight, (r + 1) * g.charHeight);
    }
  }

  private drawTextRow(
    g: ScreenGeometry,
    row: number,
    rowWord: number,
    blinkEnabled: boolean,
    blinkVisible: boolean,
    cursorCol: number,
    cursorStart: number,
    cursorEnd: number,
  ): void {
    const vram = this.memory.vram;
    const out = this.frame32;
    const colors = this.attrColors;
    const cw = g.charWidth;
    const ch = g.charHeight;
    const width = g.width;
    const lineGraphics = cw === 9 && (this.regs.attr[0x10] & 0x04) !== 0;
    const fontA = this.fontBase[1];
    const fontB = this.fontBase[0];
    const scale = g.hScale;
    // Underline (monochrome attribute 0x01/0x09): CR14 names the scan line; colour modes put it off-cell.
    const underline = this.regs.crtc[0x14] & 0x1f;
    const cellWidth = cw * scale;
    for (let col = 0; col < g.cols; col++) {
      const word = (rowWord + col) & (PLANE_WORDS - 1);
      const code = vram[word << 2];
      const at = vram[(word << 2) | 1];
      let fg = colors[at & 0x0f];
      let bg: number;
      if (blinkEnabled) {
        bg = colors[(at >> 4) & 7];
        if ((at & 0x80) !== 0 && !blinkVisible) fg = bg;
      } else bg = colors[at >> 4];
      const glyph = (((at & 0x08) !== 0 ? fontA : fontB) + code * 32) << 2;
      const extend = lineGraphics && code >= 0xc0 && code <= 0xdf;
      let p = row * ch * width + col * cellWidth;
      for (let line = 0; line < ch; line++, p += width) {
        let bits = vram[(glyph + (line << 2)) | 2];
        if ((col === cursorCol && line >= cursorStart && line <= cursorEnd) || (line === underline && (at & 0x77) === 0x01)) bits = 0x1ff;
        if (scale !== 1) {
          // Halved dot clock: every character pixel twice as wide.
          if (cw === 9 && extend && (bits & 1) !== 0) bits |= 0x100;
          for (let x = 0, bit = 0x80; x < cw; x++, bit = x === 8 ? 0x100 : bit >> 1) {
            const c = bits & bit ? fg : bg;
            for (let k = 0; k < scale; k++) out[p + x * scale + k] = c;
          }
          continue;
        }
        out[p] = bits & 0x80 ? fg : bg;
        out[p + 1] = bits & 0x40 ? fg : bg;
        out[p + 2] = bits & 0x20 ? fg : bg;
        out[p + 3] = bits & 0x10 ? fg : bg;
        out[p + 4] = bits & 0x08 ? fg : bg;
        out[p + 5] = bits & 0x04 ? fg : bg;
        out[p + 6] = bits & 0x02 ? fg : bg;
        out[p + 7] = bits & 0x01 ? fg : bg;
        if (cw === 9) out[p + 8] = (bits & 0x100) !== 0 || (extend && (bits & 1) !== 0) ? fg : bg;
      }
    }
  }

  private renderGraphics(g: ScreenGeometry, full: boolean): void {
    const mem = this.memory;
    const vram = mem.vram;
    const vram32 = mem.vram32;
    const out = this.frame32;
    const width = g.width;
    const kind = g.kind;
    // Plane words each row reads: 8 pixels per word in planar/CGA layouts, 4 in 256-colour.
    const pixelsPerWord = kind === "vga256" ? 4 : 8;
    const rowWords = Math.ceil((width + g.panning) / pixelsPerWord) + 1;
    const mask = g.wordMask;
    for (let y = 0; y < g.height; y++) {
      const addr = graphicsRowAddress(g, y);
      if (!full && addr + rowWords <= mask + 1 && !mem.isRangeDirty(addr << 2, rowWords << 2)) continue;
      let o = y * width;
      if (kind === "vga256") {
        const colors = this.colors256;
        const base = (addr << 2) + g.panning;
        for (let x = 0; x < width; x++) out[o++] = colors[vram[(base + x) & (PLANE_WORDS * 4 - 1)]];
      } else if (kind === "planar") {
        const colors = this.attrColors;
        const pan = g.panning;
        if (pan === 0 && (width & 7) === 0) {
          // Common case: whole plane words, 8 pixels each, bit 7 first.
          for (let w = 0, words = width >> 3; w < words; w++) {
            const v = vram32[(addr + w) & mask];
            // Gather the four plane bits of each pixel into one nibble (pixel 0 in the top nibble).
            const n =
              SPREAD_NIBBLES[v & 0xff] |
              (SPREAD_NIBBLES[(v >>> 8) & 0xff] << 1) |
              (SPREAD_NIBBLES[(v >>> 16) & 0xff] << 2) |
              (SPREAD_NIBBLES[v >>> 24] << 3);
            out[o] = colors[n >>> 28];
            out[o + 1] = colors[(n >>> 24) & 15];
            out[o + 2] = colors[(n >>> 20) & 15];
            out[o + 3] = colors[(n >>> 16) & 15];
            out[o + 4] = colors[(n >>> 12) & 15];
            out[o + 5] = colors[(n >>> 8) & 15];
            out[o + 6] = colors[(n >>> 4) & 15];
            out[o + 7] = colors[n & 15];
            o += 8;
          }
          this.markRows(y, y + 1);
          continue;
        }
        for (let x = 0; x < width; x++) {
          const px = x + pan;
          const v = vram32[(addr + (px >> 3)) & mask];
          const s = 7 - (px & 7);
          out[o++] = colors[((v >>> s) & 1) | ((v >>> (s + 7)) & 2) | ((v >>> (s + 14)) & 4) | ((v >>> (s + 21)) & 8)];
        }
      } else {
        // CGA 4-colour: each plane word gives 4 pixels from plane 0's byte, then 4 from plane 1's.
        const colors = this.attrColors;
        for (let x = 0; x < width; x++) {
          const word = (addr + (x >> 3)) & mask;
          const b = vram[(word << 2) | ((x >> 2) & 1)];
          out[o++] = colors[(b >> (6 - ((x & 3) << 1))) & 3];
        }
      }
      this.markRows(y, y + 1);
    }
  }

  private renderVbe(g: ScreenGeometry, full: boolean): void {
    const mem = this.memory;
    const vram = mem.vram;
    const out = this.frame32;
    const width = g.width;
    const bytes = (g.bpp + 7) >> 3;
    const rowBytes = width * bytes;
    const colors = this.colors256;
    for (let y = 0; y < g.height; y++) {
      const base = g.start + y * g.lineOffset;
      if (base + rowBytes > mem.size) break; // geometry is VRAM-bounded; defensive only
      if (!full && !mem.isRangeDirty(base, rowBytes)) continue;
      let o = y * width;
      switch (g.bpp) {
        case 32:
        case 24:
          if (bytes === 4 && (base & 3) === 0) {
            // Aligned BGRX words: swap red and blue, force alpha.
            const vram32 = mem.vram32;
            for (let x = 0, w = base >>> 2; x < width; x++, w++) {
              const v = vram32[w];
              out[o++] = (0xff000000 | (v & 0x00ff00) | ((v >>> 16) & 0xff) | ((v & 0xff) << 16)) >>> 0;
            }
            break;
          }
          for (let x = 0, p = base; x < width; x++, p += bytes) {
            out[o++] = (0xff000000 | (vram[p] << 16) | (vram[p + 1] << 8) | vram[p + 2]) >>> 0;
          }
          break;
        case 16:
          for (let x = 0, p = base; x < width; x++, p += 2) {
            const v = vram[p] | (vram[p + 1] << 8);
            const r = (v >> 11) & 0x1f;
            const gr = (v >> 5) & 0x3f;
            const b = v & 0x1f;
            out[o++] = (0xff000000 | (((b << 3) | (b >> 2)) << 16) | (((gr << 2) | (gr >> 4)) << 8) | ((r << 3) | (r >> 2))) >>> 0;
          }
          break;
        case 15:
          for (let x = 0, p = base; x < width; x++, p += 2) {
            const v = vram[p] | (vram[p + 1] << 8);
            const r = (v >> 10) & 0x1f;
            const gr = (v >> 5) & 0x1f;
            const b = v & 0x1f;
            out[o++] = (0xff000000 | (((b << 3) | (b >> 2)) << 16) | (((gr << 3) | (gr >> 2)) << 8) | ((r << 3) | (r >> 2))) >>> 0;
          }
          break;
        default:
          for (let x = 0; x < width; x++) out[o++] = colors[vram[base + x]];
      }
      this.markRows(y, y + 1);
    }
  }
}

/** Byte → its 8 bits spread to bit 0 of 8 nibbles (bit i to bit 4i), for planar pixel gathering. */
const SPREAD_NIBBLES = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  let v = 0;
  for (let i = 0; i < 8; i++) v |= ((b >> i) & 1) << (4 * i);
  SPREAD_NIBBLES[b] = v;
}

/** Font map n (0-7) → plane-2 word offset: maps 0-3 at 16 KiB steps, 4-7 at the 8 KiB midpoints. */
function fontMapWord(map: number): number {
  return (map & 3) * 0x4000 + ((map & 4) !== 0 ? 0x2000 : 0);
}
