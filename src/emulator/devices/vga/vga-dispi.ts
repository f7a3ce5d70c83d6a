// Bochs VBE "DISPI" interface (index port 0x1CE, data port 0x1CF): the register set SeaBIOS's
// VGA BIOS and Linux's bochs drivers use to set linear framebuffer modes. Raw register values are
// kept as written (after the same sanitising a real implementation does) and the effective
// geometry is derived from them; the geometry always fits inside VRAM.

import type { VgaMemory } from "./vga-memory.ts";
import type { VgaRegisters } from "./vga-registers.ts";

export const DISPI_INDEX_PORT = 0x1ce;
export const DISPI_DATA_PORT = 0x1cf;

export const DISPI_ID0 = 0xb0c0;
export const DISPI_ID5 = 0xb0c5;

export const DispiReg = {
  Id: 0,
  XRes: 1,
  YRes: 2,
  Bpp: 3,
  Enable: 4,
  Bank: 5,
  VirtWidth: 6,
  VirtHeight: 7,
  XOffset: 8,
  YOffset: 9,
  VideoMemory64K: 10,
} as const;
export const DISPI_REG_COUNT = 11;
const REG_COUNT = DISPI_REG_COUNT;

export const DISPI_ENABLED = 0x01;
export const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
export const DISPI_LFB_ENABLED = 0x40;
export const DISPI_NOCLEARMEM = 0x80;

export const DISPI_MAX_XRES = 2560;
export const DISPI_MAX_YRES = 1600;
export const DISPI_MAX_BPP = 32;

export class BochsDispi {
  index = 0;
  readonly regs = new Uint16Array(REG_COUNT);
  /** Effective mode while enabled (4 bpp is VGA planar memory; startByte/lineBytes still count VRAM bytes). */
  xres = 640;
  yres = 480;
  bpp = 8;
  bytesPerPixel = 1;
  lineBytes = 640;
  startByte = 0;

  constructor(
    private readonly memory: VgaMemory,
    private readonly vgaRegs: VgaRegisters,
  ) {}

  get vramSize(): number {
    return this.memory.size;
  }

  get enabled(): boolean {
    return (this.regs[DispiReg.Enable] & DISPI_ENABLED) !== 0;
  }

  reset(): void {
    this.index = 0;
    this.regs.fill(0);
    this.regs[DispiReg.Id] = DISPI_ID0;
    this.regs[DispiReg.XRes] = 640;
    this.regs[DispiReg.YRes] = 480;
    this.regs[DispiReg.Bpp] = 8;
    this.fixup();
    this.applyToMemory();
  }

  read(): number {
    const r = this.regs;
    const i = this.index;
    if ((r[DispiReg.Enable] & DISPI_GETCAPS) !== 0 && i >= DispiReg.XRes && i <= DispiReg.Bpp) {
      return i === DispiReg.XRes ? DISPI_MAX_XRES : i === DispiReg.YRes ? DISPI_MAX_YRES : DISPI_MAX_BPP;
    }
    if (i === DispiReg.VideoMemory64K) return Math.min(this.memory.size >>> 16, 0xffff);
    return i < REG_COUNT ? r[i] : 0;
  }

  write(value: number): void {
    value &= 0xffff;
    const r = this.regs;
    switch (this.index) {
      case DispiReg.Id:
        if (value >= DISPI_ID0 && value <= DISPI_ID5) r[DispiReg.Id] = value;
        return;
      case DispiReg.XRes:
      case DispiReg.YRes:
      case DispiReg.Bpp:
      case DispiReg.VirtWidth:
      case DispiReg.XOffset:
      case DispiReg.YOffset:
        r[this.index] = value;
        this.fixup();
        break;
      case DispiReg.Bank:
        r[DispiReg.Bank] = value & ((this.memory.size >>> 16) - 1);
        break;
      case DispiReg.Enable: {
        const was = this.enabled;
        r[DispiReg.Enable] = value & (DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM);
        if (this.enabled && !was) {
          r[DispiReg.VirtWidth] = 0;
          r[DispiReg.XOffset] = 0;
          r[DispiReg.YOffset] = 0;
          this.fixup();
          if ((value & DISPI_NOCLEARMEM) === 0) this.memory.vram.fill(0, 0, Math.min(this.memory.size, this.lineBytes * this.yres));
          // Legacy code looking at the VGA sees a graphics mode with the 64 KiB window at 0xA0000.
          const gc = this.vgaRegs.gc;
          gc[6] = (gc[6] & ~0x0c) | 0x05;
          this.memory.updateWindow();
        }
        if (!this.enabled) r[DispiReg.Bank] = 0;
        this.vgaRegs.setDac8Bit((value & DISPI_8BIT_DAC) !== 0);
        break;
      }
      default:
        return; // VIRT_HEIGHT and VIDEO_MEMORY_64K are derived, unknown indices ignored
    }
    this.applyToMemory();
    this.memory.markAllDirty();
    this.vgaRegs.displayDirty = true;
  }

  /** Brings the registers into a consistent, VRAM-bounded state and derives the effective mode. */
  private fixup(): void {
    const r = this.regs;
    let bpp = r[DispiReg.Bpp];
    if (bpp !== 4 && bpp !== 8 && bpp !== 15 && bpp !== 16 && bpp !== 24 && bpp !== 32) bpp = 8;
    r[DispiReg.Bpp] = bpp;
    // 4 bpp is VGA planar: a line takes virtWidth/8 plane words, i.e. virtWidth/2 VRAM bytes.
    const planar = bpp === 4;
    const bytes = planar ? 1 : (bpp + 7) >> 3;
    const size = this.memory.size;
    let xres = clamp(r[DispiReg.XRes], 8, DISPI_MAX_XRES);
    if (planar) xres &= ~7;
    r[DispiReg.XRes] = xres;
    let virtWidth = clamp(Math.max(r[DispiReg.VirtWidth], xres), xres, 0xffff);
    if (planar) virtWidth &= ~7;
    if (virtWidth * bytes > size) virtWidth = xres;
    r[DispiReg.VirtWidth] = virtWidth;
    const lineBytes = planar ? virtWidth >> 1 : virtWidth * bytes;
    const virtHeight = Math.min(Math.floor(size / lineBytes), 0xffff);
    r[DispiReg.VirtHeight] = virtHeight;
    const yres = clamp(r[DispiReg.YRes], 1, Math.min(DISPI_MAX_YRES, virtHeight));
    r[DispiReg.YRes] = yres;
    const xoff = Math.min(r[DispiReg.XOffset], virtWidth - xres);
    const yoff = Math.min(r[DispiReg.YOffset], virtHeight - yres);
    r[DispiReg.XOffset] = xoff;
    r[DispiReg.YOffset] = yoff;
    this.xres = xres;
    this.yres = yres;
    this.bpp = bpp;
    this.bytesPerPixel = bytes;
    this.lineBytes = lineBytes;
    this.startByte = planar ? yoff * lineBytes + ((xoff >> 3) << 2) : yoff * lineBytes + xoff * bytes;
  }

  private applyToMemory(): void {
    this.memory.vbeActive = this.enabled;
    this.memory.vbePlanar = this.bpp === 4;
    this.memory.bankOffset = this.regs[DispiReg.Bank] << 16;
  }

  /** After a restore: the bank within this VRAM, derived state and the memory window. */
  restored(): void {
    this.regs[DispiReg.Bank] &= (this.memory.size >>> 16) - 1;
    this.fixup();
    this.applyToMemory();
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
