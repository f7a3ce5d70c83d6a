// VGA with Bochs VBE extensions as a PCI function (QEMU "std-vga": vendor 0x1234, device 0x1111).
// Legacy ports 0x3B4-0x3DA, the 0xA0000-0xBFFFF window, DISPI at 0x1CE/0x1CF, BAR0 = linear
// framebuffer over all of VRAM, BAR2 = QEMU's MMIO register window, expansion ROM = the VGA BIOS.
// Also the machine's `VgaView`: mode(), textLines() and render() for the dashboard and tests.

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import type { VgaView } from "../../machine-api.ts";
import type { MmioHandler } from "../../memory.ts";
import { StateError, type SavedState, StateLayout, f64, fieldsIn, i32, range, typed, typedUpTo, u16 } from "../../state.ts";
import { BochsDispi, DISPI_DATA_PORT, DISPI_ID0, DISPI_ID5, DISPI_INDEX_PORT, DISPI_REG_COUNT, DispiReg } from "./vga-dispi.ts";
import { buildEdid, EDID_SIZE } from "./vga-edid.ts";
import { findRomFont16, loadFallbackFont } from "./vga-font.ts";
import { computeGeometry, ScreenGeometry } from "./vga-geometry.ts";
import { PLANE_WORDS, VgaMemory } from "./vga-memory.ts";
import { VGA_REGISTER_FIELDS, VgaRegisters } from "./vga-registers.ts";
import { FRAME_NS, VgaRenderer, type DirtyBand } from "./vga-render.ts";
import { decodeCp437Row } from "./vga-text.ts";

export interface VgaOptions {
  /** SeaBIOS vgabios-stdvga.bin (or another option ROM with the 0x55AA signature). */
  vgaBios?: Uint8Array;
  /** Video memory in MiB: a power of two from 1 to 256. Default 16. */
  vramMiB?: number;
  /** PCI device number on bus 0. Default 2, where QEMU puts its VGA. */
  pciDevice?: number;
}

export const VGA_VENDOR_ID = 0x1234;
export const VGA_DEVICE_ID = 0x1111;
const MMIO_BAR_SIZE = 0x1000;
const MAX_ROM_BYTES = 256 * 1024;

// Input status 1 timing, from a 60 Hz frame of 525 lines: retrace for the first 2 lines of each
// frame; "display disabled" (bit 0) during horizontal blanking and the whole vertical blank.
const LINE_NS = FRAME_NS / 525;
const VRETRACE_NS = 2 * LINE_NS;
const VBLANK_NS = 45 * LINE_NS;
const HBLANK_NS = LINE_NS * 0.2;
/** When the clock stands still between status reads (paused, deterministic tests), polling loops
 *  would never see retrace; each such read moves the VGA's own view of time on by this much. */
const STILL_CLOCK_STEP_NS = 1000;

export class VgaDevice implements Device, VgaView {
  readonly name = "vga";
  readonly regs = new VgaRegisters();
  readonly memory: VgaMemory;
  readonly dispi: BochsDispi;
  readonly pci: PciFunction;
  private readonly renderer: VgaRenderer;
  private readonly geometry = new ScreenGeometry();
  private readonly ctx: DeviceContext;
  private lfbBase = -1;
  private mmioBase = -1;
  private readonly lfbHandler: MmioHandler;
  private readonly mmioHandler: MmioHandler;
  /** Status-register time skew (see STILL_CLOCK_STEP_NS) and the clock value it applies to. */
  private statusSkewNs = 0;
  private lastStatusNow = -1;
  private readonly textRow = new Uint8Array(256);
  /** The VGA BIOS's 8x16 font, preloaded at power-on so text renders before the BIOS runs. */
  private readonly powerOnFont: Uint8Array | null;
  private readonly edid = buildEdid();

  constructor(ctx: DeviceContext, options: VgaOptions = {}) {
    this.ctx = ctx;
    const vramMiB = options.vramMiB ?? 16;
    if (!Number.isInteger(vramMiB) || vramMiB < 1 || vramMiB > 256 || (vramMiB & (vramMiB - 1)) !== 0) {
      throw new RangeError(`vga: vramMiB must be a power of two from 1 to 256, got ${vramMiB}`);
    }
    const rom = options.vgaBios;
    if (rom !== undefined) {
      if (rom.length < 512 || rom.length > MAX_ROM_BYTES) throw new RangeError(`vga: VGA BIOS is ${rom.length} bytes, expected 512 to ${MAX_ROM_BYTES}`);
      if (rom[0] !== 0x55 || rom[1] !== 0xaa) throw new RangeError("vga: VGA BIOS lacks the 0x55 0xAA option ROM signature");
    }
    this.powerOnFont = rom ? findRomFont16(rom) : null;
    const pciDevice = options.pciDevice ?? 2;
    this.memory = new VgaMemory(vramMiB << 20, this.regs);
    this.dispi = new BochsDispi(this.memory, this.regs);
    this.renderer = new VgaRenderer(this.regs, this.memory, this.dispi);

    const mem = this.memory;
    const legacy: MmioHandler = {
      name: "vga window",
      read8: (addr) => mem.readWindow(addr),
      write8: (addr, v) => mem.writeWindow(addr, v),
      // Text output and scrolling are word-sized: skip the bus's byte-splitting round trip.
      read16: (addr) => mem.readWindow(addr) | (mem.readWindow(addr + 1) << 8),
      write16: (addr, v) => {
        mem.writeWindow(addr, v & 0xff);
        mem.writeWindow(addr + 1, v >>> 8);
      },
    };
    ctx.memory.mapMmio(0xa0000, 0x20000, legacy);
    this.lfbHandler = {
      name: "vga lfb",
      read8: (addr) => mem.lfbRead8(addr - this.lfbBase),
      read16: (addr) => mem.lfbRead16(addr - this.lfbBase),
      read32: (addr) => mem.lfbRead32(addr - this.lfbBase),
      write8: (addr, v) => mem.lfbWrite8(addr - this.lfbBase, v),
      write16: (addr, v) => mem.lfbWrite16(addr - this.lfbBase, v),
      write32: (addr, v) => mem.lfbWrite32(addr - this.lfbBase, v),
    };
    this.mmioHandler = {
      name: "vga mmio",
      read8: (addr) => this.mmioRead8(addr - this.mmioBase),
      write8: (addr, v) => this.mmioWrite8(addr - this.mmioBase, v),
      read16: (addr) => this.mmioRead16(addr - this.mmioBase),
      write16: (addr, v) => this.mmioWrite16(addr - this.mmioBase, v),
    };
    this.registerPorts();
    this.pci = {
      name: "vga",
      device: pciDevice,
      fn: 0,
      config: pciConfig(),
      bars: [
        { size: mem.size, kind: "mem", onMap: (base) => this.mapLfb(base) },
        undefined,
        { size: MMIO_BAR_SIZE, kind: "mem", onMap: (base) => this.mapMmioBar(base) },
      ],
      romImage: rom,
    };
    ctx.pci.addFunction(this.pci);
    this.reset();
  }

  reset(): void {
    this.regs.reset();
    this.memory.reset();
    this.dispi.reset();
    loadFallbackFont(this.memory.vram, this.powerOnFont);
    this.memory.markWritten(0, PLANE_WORDS << 2);
    this.statusSkewNs = 0;
    this.lastStatusNow = -1;
    this.renderer.invalidate();
  }

  // ---- I/O ports ----

  private registerPorts(): void {
    const io = this.ctx.io;
    const in8 = (port: number) => this.portRead(port);
    const out8 = (port: number, v: number) => this.portWrite(port, v);
    io.register(0x3b4, 2, { in8, out8 }, this.name);
    io.register(0x3ba, 1, { in8, out8 }, this.name);
    io.register(0x3c0, 16, { in8, out8 }, this.name);
    io.register(0x3d4, 2, { in8, out8 }, this.name);
    io.register(0x3da, 1, { in8, out8 }, this.name);
    const dispiIn = (port: number) => (port === DISPI_INDEX_PORT ? this.dispi.index : this.dispi.read());
    const dispiOut = (port: number, v: number) => {
      if (port === DISPI_INDEX_PORT) this.dispi.index = v & 0xffff;
      else this.dispi.write(v);
    };
    io.register(DISPI_INDEX_PORT, 3, { in16: dispiIn, out16: dispiOut }, this.name);
  }

  /** Byte read of a VGA register port (0x3B0-0x3DF). */
  portRead(port: number): number {
    const regs = this.regs;
    // Ports of the inactive mono/colour set do not decode.
    if ((port >= 0x3b0 && port <= 0x3bf && regs.colorEmulation) || (port >= 0x3d0 && port <= 0x3df && !regs.colorEmulation)) return 0xff;
    switch (port) {
      case 0x3c0:
        return regs.attrIndex;
      case 0x3c1:
        return regs.readAttrData();
      case 0x3c2:
        return 0x10; // input status 0: switch sense high (colour monitor present), no retrace IRQ
      case 0x3c3:
        return regs.videoEnable;
      case 0x3c4:
        return regs.seqIndex;
      case 0x3c5:
        return regs.seq[regs.seqIndex & 7];
      case 0x3c6:
        return regs.pelMask;
      case 0x3c7:
        return regs.dacReading ? 0x03 : 0x00;
      case 0x3c8:
        return regs.dacWriteIndex;
      case 0x3c9:
        return regs.readDacData();
      case 0x3ca:
        return regs.featureControl;
      case 0x3cc:
        return regs.misc;
      case 0x3ce:
        return regs.gcIndex;
      case 0x3cf:
        return regs.gc[regs.gcIndex & 0x0f];
      case 0x3b4:
      case 0x3d4:
        return regs.crtcIndex;
      case 0x3b5:
      case 0x3d5:
        return regs.crtc[regs.crtcIndex & 0x3f];
      case 0x3ba:
      case 0x3da:
        regs.attrFlipFlop = false;
        return this.inputStatus1();
      default:
        return 0xff;
    }
  }

  /** Byte write of a VGA register port (0x3B0-0x3DF). */
  portWrite(port: number, value: number): void {
    const regs = this.regs;
    value &= 0xff;
    if ((port >= 0x3b0 && port <= 0x3bf && regs.colorEmulation) || (port >= 0x3d0 && port <= 0x3df && !regs.colorEmulation)) return;
    switch (port) {
      case 0x3c0:
        regs.writeAttr(value);
        return;
      case 0x3c2:
        if (regs.misc !== value) {
          regs.misc = value;
          regs.displayDirty = true;
        }
        return;
      case 0x3c3:
        regs.videoEnable = value & 1;
        return;
      case 0x3c4:
        regs.seqIndex = value;
        return;
      case 0x3c5:
        regs.writeSeq(value);
        return;
      case 0x3c6:
        regs.setPelMask(value);
        return;
      case 0x3c7:
        regs.setDacReadIndex(value);
        return;
      case 0x3c8:
        regs.setDacWriteIndex(value);
        return;
      case 0x3c9:
        regs.writeDacData(value);
        return;
      case 0x3ce:
        regs.gcIndex = value;
        return;
      case 0x3cf:
        regs.writeGc(value);
        if ((regs.gcIndex & 0x0f) === 6) this.memory.updateWindow();
        return;
      case 0x3b4:
      case 0x3d4:
        regs.crtcIndex = value;
        return;
      case 0x3b5:
      case 0x3d5:
        regs.writeCrtc(value);
        return;
      case 0x3ba:
      case 0x3da:
        regs.featureControl = value;
        return;
    }
  }

  /** Input status 1: bit 3 vertical retrace, bit 0 display disabled (any blanking), both from
   *  virtual time so polling loops see them toggle at the real rate. */
  private inputStatus1(): number {
    const now = this.ctx.clock.now();
    if (now === this.lastStatusNow) this.statusSkewNs += STILL_CLOCK_STEP_NS;
    this.lastStatusNow = now;
    const t = (now + this.statusSkewNs) % FRAME_NS;
    let v = 0;
    if (t < VRETRACE_NS) v |= 0x08;
    if (t < VBLANK_NS || t % LINE_NS >= LINE_NS - HBLANK_NS) v |= 0x01;
    return v;
  }

  // ---- PCI BARs ----

  private mapLfb(base: number): void {
    const size = this.memory.size;
    if (this.lfbBase >= 0) this.ctx.memory.unmapMmio(this.lfbBase, size);
    this.lfbBase = -1;
    if (base < 0) return;
    this.ctx.memory.mapMmio(base, size, this.lfbHandler);
    this.lfbBase = base;
  }

  private mapMmioBar(base: number): void {
    if (this.mmioBase >= 0) this.ctx.memory.unmapMmio(this.mmioBase, MMIO_BAR_SIZE);
    this.mmioBase = -1;
    if (base < 0) return;
    this.ctx.memory.mapMmio(base, MMIO_BAR_SIZE, this.mmioHandler);
    this.mmioBase = base;
  }

  // QEMU std-vga MMIO BAR layout: 0x000-0x3FF = EDID, 0x400-0x41F = VGA ports 0x3C0-0x3DF,
  // 0x500-0x515 = DISPI registers (16-bit, index = (offset - 0x500) / 2), 0x600 = QEMU extended registers.

  private mmioRead8(off: number): number {
    if (off < 0x400) return off < EDID_SIZE ? this.edid[off] : 0;
    if (off >= 0x400 && off < 0x420) return this.portRead(0x3c0 + off - 0x400);
    const v = this.mmioRead16(off & ~1);
    return (off & 1) === 0 ? v & 0xff : v >>> 8;
  }

  private mmioWrite8(off: number, value: number): void {
    if (off >= 0x400 && off < 0x420) this.portWrite(0x3c0 + off - 0x400, value);
  }

  private mmioRead16(off: number): number {
    if (off < 0x400) return this.mmioRead8(off) | (this.mmioRead8(off + 1) << 8);
    if (off >= 0x400 && off < 0x420) return this.portRead(0x3c0 + off - 0x400) | (this.portRead(0x3c1 + off - 0x400) << 8);
    if (off >= 0x500 && off < 0x516) {
      const saved = this.dispi.index;
      this.dispi.index = (off - 0x500) >> 1;
      const v = this.dispi.read();
      this.dispi.index = saved;
      return v;
    }
    // QEMU extended registers, read as 32-bit words by Linux's bochs driver: block size, endianness.
    if (off === 0x600) return 8;
    if (off === 0x602) return 0;
    if (off === 0x604 || off === 0x606) return 0x1e1e; // 0x1e1e1e1e: framebuffer is little-endian
    return 0xffff;
  }

  private mmioWrite16(off: number, value: number): void {
    if (off >= 0x400 && off < 0x420) {
      this.portWrite(0x3c0 + off - 0x400, value & 0xff);
      this.portWrite(0x3c1 + off - 0x400, value >>> 8);
    } else if (off >= 0x500 && off < 0x516) {
      const saved = this.dispi.index;
      this.dispi.index = (off - 0x500) >> 1;
      this.dispi.write(value);
      this.dispi.index = saved;
    }
  }

  // ---- VgaView ----

  mode(): { kind: "text"; cols: number; rows: number } | { kind: "graphics"; width: number; height: number; bpp: number } {
    const g = computeGeometry(this.regs, this.dispi, this.geometry);
    if (g.kind === "text") return { kind: "text", cols: g.cols, rows: g.rows };
    return { kind: "graphics", width: g.width, height: g.height, bpp: g.bpp };
  }

  textLines(): string[] {
    const g = computeGeometry(this.regs, this.dispi, this.geometry);
    if (g.kind !== "text") return [];
    const vram = this.memory.vram;
    const codes = this.textRow;
    const lines: string[] = [];
    for (let r = 0; r < g.rows; r++) {
      const rowWord = g.start + r * g.lineOffset;
      for (let c = 0; c < g.cols; c++) codes[c] = vram[((rowWord + c) & (PLANE_WORDS - 1)) << 2];
      lines.push(decodeCp437Row(codes, g.cols));
    }
    return lines;
  }

  /** Text cursor cell and whether the CRTC shows it (blink phase aside); null in graphics modes. */
  cursor(): { row: number; col: number; visible: boolean } | null {
    const g = computeGeometry(this.regs, this.dispi, this.geometry);
    if (g.kind !== "text") return null;
    const crtc = this.regs.crtc;
    const rel = (((crtc[0x0e] << 8) | crtc[0x0f]) - g.start) & 0xffff;
    const stride = g.lineOffset > 0 ? g.lineOffset : g.cols;
    const row = Math.floor(rel / stride);
    const col = rel % stride;
    const visible = (crtc[0x0a] & 0x20) === 0 && (crtc[0x0a] & 0x1f) <= (crtc[0x0b] & 0x1f) && row < g.rows && col < g.cols;
    return { row, col, visible };
  }

  /** Renders what changed since the last call into the persistent frame. With `into` of the right
   *  size the whole frame is copied there; otherwise the live frame buffer itself is returned
   *  (valid until the next render). See `lastDirty` / `generation` for what changed. */
  render(into?: Uint8ClampedArray): { width: number; height: number; pixels: Uint8ClampedArray } {
    const r = this.renderer;
    r.render(this.ctx.clock.now());
    if (into && into.length === r.pixels.length) {
      if (into !== r.pixels) into.set(r.pixels);
      return { width: r.width, height: r.height, pixels: into };
    }
    return { width: r.width, height: r.height, pixels: r.pixels };
  }

  /** Bumped by every render() that changed pixels. */
  get generation(): number {
    return this.renderer.generation;
  }

  /** Rows (full width) that the last render() changed; top === bottom when none. */
  get lastDirty(): Readonly<DirtyBand> {
    return this.renderer.lastDirty;
  }

  // ---- State ----

  private static readonly STATE = new StateLayout<VgaDevice>(
    "vga",
    1,
    {
      ...fieldsIn("regs", VGA_REGISTER_FIELDS),
      dispiIndex: u16({ get: (v: VgaDevice) => v.dispi.index, set: (v: VgaDevice, i: number) => void (v.dispi.index = i) }),
      dispiRegs: typed(Uint16Array, DISPI_REG_COUNT, { get: (v: VgaDevice) => v.dispi.regs, set: (v: VgaDevice, r: Uint16Array) => v.dispi.regs.set(r) }),
      vramSize: range(1 << 20, 256 << 20, { get: (v: VgaDevice) => v.memory.size, set: () => {} }),
      vram: typedUpTo(Uint8Array, 256 << 20, { in: "memory" }),
      latch: i32({ in: "memory" }),
      statusSkewNs: f64({ min: 0 }),
    },
    {
      rule: (f) => {
        const id = (f.dispiRegs as Uint16Array)[DispiReg.Id];
        if (id < DISPI_ID0 || id > DISPI_ID5) return `field "dispiRegs" has an invalid ID 0x${id.toString(16)}`;
        return f.vramSize !== (f.vram as Uint8Array).length ? `field "vram" has ${(f.vram as Uint8Array).length} bytes, "vramSize" says ${String(f.vramSize)}` : null;
      },
    },
  );

  saveState(): SavedState {
    return VgaDevice.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = VgaDevice.STATE.check(state);
    if (f.vramSize !== this.memory.size) throw new StateError(`vga: saved VRAM is ${String(f.vramSize)} bytes, this machine has ${this.memory.size}`);
    return f;
  }

  loadState(state: SavedState): void {
    VgaDevice.STATE.apply(this, this.checkState(state));
    this.regs.refreshPalette();
    this.memory.updateWindow();
    this.dispi.restored();
    this.lastStatusNow = -1;
    this.memory.markWritten(0, this.memory.size);
    this.memory.markAllDirty();
    this.renderer.invalidate();
  }
}

function pciConfig(): Uint8Array {
  const c = new Uint8Array(256);
  const put16 = (off: number, v: number) => {
    c[off] = v & 0xff;
    c[off + 1] = v >>> 8;
  };
  put16(0x00, VGA_VENDOR_ID);
  put16(0x02, VGA_DEVICE_ID);
  c[0x08] = 0x02; // revision
  c[0x09] = 0x00; // prog-if
  c[0x0a] = 0x00; // subclass: VGA-compatible
  c[0x0b] = 0x03; // class: display controller
  c[0x0e] = 0x00; // header type 0
  c[0x10] = 0x08; // BAR0: 32-bit prefetchable memory
  c[0x18] = 0x00; // BAR2: 32-bit memory
  put16(0x2c, 0x1af4); // subsystem vendor (as QEMU reports)
  put16(0x2e, 0x1100);
  return c;
}
