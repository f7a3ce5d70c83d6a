// PCI bus 0 with configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF data), BAR sizing and
// decoding, expansion ROM BARs, and INTx → PIRQ routing. Port 0xCF9 is left to the PIIX3 (reset
// control), which is why 0xCF8 is claimed as a single 32-bit register.

import type { DeviceContext, PciBar, PciBus, PciFunction } from "../../device.ts";
import type { MmioHandler } from "../../memory.ts";
import { StateError, type SavedState, type StateValue, StateLayout, bool, map, typed, u32 } from "../../state.ts";

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;

const COMMAND = 0x04;
const STATUS = 0x06;
const HEADER_TYPE = 0x0e;
const BAR0 = 0x10;
const ROM_BAR = 0x30;
const INTERRUPT_PIN = 0x3d;

const CMD_IO = 1 << 0;
const CMD_MEM = 1 << 1;
/** Command bits a function may have set: I/O, memory, bus master, parity, SERR, interrupt disable. */
const COMMAND_WRITABLE = 0x0547;

/** Routes PIRQ A-D (0-3) to an ISA IRQ, or -1 when routing is disabled (PIIX3 0x60-0x63). */
export type PirqRouter = (pirq: number) => number;

/** I/O APIC input of PIRQ A (QEMU/i440FX convention: PIRQ A-D → GSI 16-19). */
export const PIRQ_GSI_BASE = 16;

interface Slot {
  fn: PciFunction;
  /** Power-on copy of the config space, for reset. */
  initial: Uint8Array;
  /** Base each BAR (0-5) and the ROM (6) is currently decoded at, or -1. */
  mapped: Float64Array;
  romHandler: MmioHandler | null;
  intxLevel: boolean;
}

export class PciHostBus implements PciBus {
  readonly name = "pci-bus";
  private address = 0;
  private readonly slots = new Map<number, Slot>(); // key: device << 3 | fn
  private pirqRouter: PirqRouter = () => -1;
  /** Number of functions currently asserting each PIRQ. */
  private readonly pirqCount = new Int32Array(4);
  /** ISA IRQ each PIRQ last drove (to lower it when the routing changes), -1 = none. */
  private readonly pirqIsaIrq = new Int32Array([-1, -1, -1, -1]);

  constructor(private readonly ctx: Omit<DeviceContext, "pci">) {
    const io = ctx.io;
    io.register(CONFIG_ADDRESS, 1, {
      in32: () => this.address | 0,
      out32: (_p, v) => {
        this.address = (v & 0x80fffffc) >>> 0;
      },
      // Byte/word accesses to 0xCF8 are not config cycles (0xCF9 belongs to the PIIX3 reset register).
      in8: () => this.address & 0xff,
      in16: () => this.address & 0xffff,
    }, this.name);
    io.register(CONFIG_DATA, 4, {
      in8: (p) => this.readData(p & 3, 1),
      in16: (p) => this.readData(p & 3, 2),
      in32: (p) => this.readData(p & 3, 4),
      out8: (p, v) => this.writeData(p & 3, 1, v),
      out16: (p, v) => this.writeData(p & 3, 2, v),
      out32: (p, v) => this.writeData(p & 3, 4, v),
    }, this.name);
  }

  addFunction(fn: PciFunction): void {
    if (!Number.isInteger(fn.device) || fn.device < 0 || fn.device > 31 || !Number.isInteger(fn.fn) || fn.fn < 0 || fn.fn > 7) {
      throw new RangeError(`pci: ${fn.name} has invalid address ${fn.device}.${fn.fn}`);
    }
    if (fn.config.length !== 256) throw new RangeError(`pci: ${fn.name} config space must be 256 bytes, got ${fn.config.length}`);
    const key = (fn.device << 3) | fn.fn;
    const prev = this.slots.get(key);
    if (prev) throw new Error(`pci: ${fn.name} at ${fn.device}.${fn.fn} collides with ${prev.fn.name}`);
    for (let i = 0; i < 6; i++) {
      const bar = fn.bars?.[i];
      if (bar && !isValidBarSize(bar)) throw new RangeError(`pci: ${fn.name} BAR${i} size ${bar.size} is not a valid power of two`);
    }
    // BAR type bits: I/O BARs read bit 0 = 1; memory BARs keep the device's low bits (prefetchable).
    for (let i = 0; i < 6; i++) {
      const bar = fn.bars?.[i];
      const off = BAR0 + i * 4;
      if (!bar) writeLe32(fn.config, off, 0);
      else writeLe32(fn.config, off, bar.kind === "io" ? 1 : readLe32(fn.config, off) & 0x0f & ~0x06);
    }
    writeLe32(fn.config, ROM_BAR, 0);
    this.slots.set(key, {
      fn,
      initial: fn.config.slice(),
      mapped: new Float64Array(7).fill(-1),
      romHandler: null,
      intxLevel: false,
    });
  }

  /** Takes a function off the bus (hot-unplug): its BARs and ROM stop decoding (the device hears
   *  onMap(-1)) and its INTx no longer counts on its PIRQ. */
  removeFunction(fn: PciFunction): void {
    const key = (fn.device << 3) | fn.fn;
    const s = this.slots.get(key);
    if (!s || s.fn !== fn) throw new Error(`pci: ${fn.name} is not on the bus`);
    for (let i = 0; i < 6; i++) {
      const bar = fn.bars?.[i];
      if (bar && s.mapped[i] >= 0) {
        s.mapped[i] = -1;
        safeOnMap(this.ctx, fn, i, bar, -1);
      }
    }
    this.forceRomUnmapped(s);
    this.setIntx(fn, false);
    this.slots.delete(key);
  }

  /** Whether any function answers at device number `device`. */
  hasDevice(device: number): boolean {
    for (let f = 0; f < 8; f++) if (this.slots.has((device << 3) | f)) return true;
    return false;
  }

  /** All functions in bus order (the machine uses this for save/restore and reset). */
  functions(): PciFunction[] {
    return [...this.slots.keys()].sort((a, b) => a - b).map((k) => this.slots.get(k)!.fn);
  }

  setPirqRouter(router: PirqRouter): void {
    this.pirqRouter = router;
    this.pirqRoutingChanged();
  }

  /** The PIIX3 calls this after its PIRQ route registers changed. */
  pirqRoutingChanged(): void {
    for (let pirq = 0; pirq < 4; pirq++) this.updatePirq(pirq);
  }

  setIntx(fn: PciFunction, level: boolean): void {
    const slot = this.slots.get((fn.device << 3) | fn.fn);
    if (!slot || slot.fn !== fn) throw new Error(`pci: ${fn.name} raised INTx but is not on the bus`);
    if (slot.intxLevel === level) return;
    slot.intxLevel = level;
    const pin = fn.config[INTERRUPT_PIN];
    if (pin < 1 || pin > 4) return;
    const pirq = pirqOf(fn.device, pin);
    this.pirqCount[pirq] += level ? 1 : -1;
    this.updatePirq(pirq);
  }

  /** Which PIRQ (0-3 = A-D) a device's pin (1-4) is wired to on this board. */
  static pirqOf(device: number, pin: number): number {
    return pirqOf(device, pin);
  }

  private updatePirq(pirq: number): void {
    const level = this.pirqCount[pirq] > 0;
    const irq = this.pirqRouter(pirq);
    const prevIrq = this.pirqIsaIrq[pirq];
    if (prevIrq >= 0 && prevIrq !== irq) this.ctx.irq.setIrq(prevIrq, false);
    const isaIrq = irq >= 3 && irq <= 15 && irq !== 8 && irq !== 13 && irq !== 2 ? irq : -1;
    this.pirqIsaIrq[pirq] = isaIrq;
    if (isaIrq >= 0) this.ctx.irq.setIrq(isaIrq, level);
    this.ctx.irq.setIrq(PIRQ_GSI_BASE + pirq, level);
  }

  // ---- configuration cycles ----

  private target(): Slot | undefined {
    const a = this.address;
    if ((a & 0x80000000) === 0) return undefined;
    if (((a >>> 16) & 0xff) !== 0) return undefined; // only bus 0 exists
    return this.slots.get((a >>> 8) & 0xff);
  }

  private readData(byteOffset: number, size: number): number {
    const slot = this.target();
    if (!slot) return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    const offset = (this.address & 0xfc) + byteOffset;
    return this.readSlot(slot, offset, size);
  }

  private writeData(byteOffset: number, size: number, value: number): void {
    const slot = this.target();
    if (!slot) return;
    const offset = (this.address & 0xfc) + byteOffset;
    this.writeSlot(slot, offset, size, value);
  }

  /** Config read as the guest sees it (used by tests and the debugger too). */
  readConfig(fn: PciFunction, offset: number, size: number): number {
    const s = this.slots.get((fn.device << 3) | fn.fn);
    return s ? this.readSlot(s, offset, size) : -1;
  }

  /** Config write as the guest would do it. */
  writeConfig(fn: PciFunction, offset: number, size: number, value: number): void {
    const s = this.slots.get((fn.device << 3) | fn.fn);
    if (s) this.writeSlot(s, offset, size, value);
  }

  private readSlot(s: Slot, offset: number, size: number): number {
    const fn = s.fn;
    if (fn.configRead) {
      const v = fn.configRead(offset, size);
      if (v !== undefined) return v;
    }
    let value = 0;
    for (let i = size - 1; i >= 0; i--) {
      const off = offset + i;
      let b = fn.config[off];
      if (off === HEADER_TYPE && fn.fn === 0 && this.hasOtherFunctions(fn.device)) b |= 0x80;
      value = (value << 8) | b;
    }
    return size === 4 ? value | 0 : value;
  }

  private hasOtherFunctions(device: number): boolean {
    for (let f = 1; f < 8; f++) if (this.slots.has((device << 3) | f)) return true;
    return false;
  }

  private writeSlot(s: Slot, offset: number, size: number, value: number): void {
    const fn = s.fn;
    const cfg = fn.config;
    let touchedBars = false;
    let touchedCommand = false;
    for (let i = 0; i < size; i++) {
      const off = offset + i;
      const b = (value >>> (i * 8)) & 0xff;
      if (off < 0x40) {
        if (off === COMMAND || off === COMMAND + 1) {
          const mask = off === COMMAND ? COMMAND_WRITABLE & 0xff : COMMAND_WRITABLE >>> 8;
          cfg[off] = (cfg[off] & ~mask) | (b & mask);
          touchedCommand = true;
        } else if (off === STATUS || off === STATUS + 1) {
          cfg[off] &= ~(b & (off === STATUS ? 0x00 : 0xf9)); // write-1-to-clear error bits
        } else if (off === 0x0c || off === 0x0d || off === 0x3c) {
          cfg[off] = b; // cache line size, latency timer, interrupt line
        } else if ((off >= BAR0 && off < BAR0 + 24) || (off >= ROM_BAR && off < ROM_BAR + 4)) {
          cfg[off] = b;
          touchedBars = true;
        }
        // everything else below 0x40 (ids, class, header type, pin, subsystem) is read-only
      } else {
        cfg[off] = b; // device-specific registers; the device interprets them in configWritten
      }
    }
    if (touchedBars) this.maskBars(s);
    if (touchedBars || touchedCommand) this.updateDecoding(s);
    fn.configWritten?.(offset, size, value);
  }

  /** Forces the read-only address bits of each BAR so sizing (write ~0, read back) works. */
  private maskBars(s: Slot): void {
    const fn = s.fn;
    const cfg = fn.config;
    for (let i = 0; i < 6; i++) {
      const off = BAR0 + i * 4;
      const bar = fn.bars?.[i];
      if (!bar) {
        writeLe32(cfg, off, 0);
        continue;
      }
      const v = readLe32(cfg, off);
      // I/O BARs keep all 32 address bits writable (firmware sizes them with a 32-bit mask).
      if (bar.kind === "io") writeLe32(cfg, off, ((v & ~(bar.size - 1) & 0xfffffffc) | 1) >>> 0);
      else writeLe32(cfg, off, ((v & ~(bar.size - 1) & 0xfffffff0) | (s.initial[off] & 0x0f)) >>> 0);
    }
    const romSize = romBarSize(fn);
    const rom = readLe32(cfg, ROM_BAR);
    writeLe32(cfg, ROM_BAR, romSize === 0 ? 0 : ((rom & ~(romSize - 1) & 0xfffff800) | (rom & 1)) >>> 0);
  }

  /** Tells each BAR where it now decodes (or -1), only when that changed. */
  private updateDecoding(s: Slot): void {
    const fn = s.fn;
    const cfg = fn.config;
    const cmd = cfg[COMMAND];
    for (let i = 0; i < 6; i++) {
      const bar = fn.bars?.[i];
      if (!bar) continue;
      const v = readLe32(cfg, BAR0 + i * 4);
      let base = -1;
      if (bar.kind === "io") {
        const b = (v & 0xfffffffc) >>> 0;
        if (cmd & CMD_IO && b !== 0 && b + bar.size <= 0x10000 && b !== 0x10000 - bar.size) base = b;
      } else {
        const b = (v & 0xfffffff0) >>> 0;
        // Bases at the very top are what sizing leaves behind: never decode those.
        if (cmd & CMD_MEM && b !== 0 && b + bar.size <= 0x100000000 && b !== 0x100000000 - bar.size) base = b;
      }
      if (base !== s.mapped[i]) {
        s.mapped[i] = base;
        safeOnMap(this.ctx, fn, i, bar, base);
      }
    }
    this.updateRom(s);
  }

  private updateRom(s: Slot): void {
    const fn = s.fn;
    const romSize = romBarSize(fn);
    if (romSize === 0) return;
    const v = readLe32(fn.config, ROM_BAR);
    const b = (v & 0xfffff800) >>> 0;
    let base = -1;
    if (v & 1 && fn.config[COMMAND] & CMD_MEM && b !== 0 && b + romSize <= 0x100000000 && b !== 0x100000000 - romSize && b % 4096 === 0) base = b;
    if (base === s.mapped[6]) return;
    if (s.mapped[6] >= 0) this.ctx.memory.unmapMmio(s.mapped[6], romSize);
    s.mapped[6] = base;
    if (base >= 0) {
      if (!s.romHandler) s.romHandler = romHandler(fn, romSize);
      this.ctx.memory.mapMmio(base, romSize, s.romHandler);
    }
  }

  /** Hard reset: every function's config back to power-on, all BARs and ROMs undecoded. */
  reset(): void {
    this.address = 0;
    for (const s of this.slots.values()) {
      s.fn.config.set(s.initial);
      this.updateDecoding(s);
      s.intxLevel = false;
    }
    this.pirqCount.fill(0);
    this.pirqRoutingChanged();
  }

  private static readonly STATE = new StateLayout<PciHostBus>("pci-bus", 1, {
    address: u32(),
    /** Each function's 256-byte config space, keyed "device.function". */
    configs: map(typed(Uint8Array, 256), {
      get: (b: PciHostBus) => Object.fromEntries([...b.slots].map(([key, s]) => [slotName(key), s.fn.config.slice()])),
      set: () => {}, // restoreSlots
    }),
    /** Each function's INTx level, keyed like `configs`. */
    intx: map(bool(), {
      get: (b: PciHostBus) => Object.fromEntries([...b.slots].map(([key, s]) => [slotName(key), s.intxLevel])),
      set: () => {}, // restoreSlots
    }),
  });

  saveState(): SavedState {
    return PciHostBus.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = PciHostBus.STATE.check(state);
    const configs = f.configs as Record<string, Uint8Array>;
    for (const [key, s] of this.slots) {
      if (!(slotName(key) in configs)) throw new StateError(`pci-bus: no config space saved for ${s.fn.name} (${slotName(key)})`);
    }
    for (const name of [...Object.keys(configs), ...Object.keys(f.intx as object)]) {
      const [d, fnum] = name.split(".").map(Number);
      if (!this.slots.has((d << 3) | fnum)) throw new StateError(`pci-bus: saved state has function ${name} that this machine does not have`);
    }
    return f;
  }

  loadState(state: SavedState): void {
    const f = this.checkState(state);
    PciHostBus.STATE.apply(this, f);
    this.restoreSlots(f.configs as Record<string, Uint8Array>, f.intx as Record<string, boolean>);
  }

  private restoreSlots(configs: Record<string, Uint8Array>, intx: Record<string, boolean>): void {
    this.pirqCount.fill(0);
    for (const [key, s] of this.slots) {
      s.fn.config.set(configs[slotName(key)]);
      // Re-announce every mapping: devices restored their own state and expect onMap again.
      this.forceRomUnmapped(s);
      s.mapped.fill(-2, 0, 6);
      this.updateDecoding(s);
      s.intxLevel = intx[slotName(key)] === true;
      const pin = s.fn.config[INTERRUPT_PIN];
      if (s.intxLevel && pin >= 1 && pin <= 4) this.pirqCount[pirqOf(s.fn.device, pin)]++;
    }
    this.pirqRoutingChanged();
  }

  private forceRomUnmapped(s: Slot): void {
    const romSize = romBarSize(s.fn);
    if (romSize && s.mapped[6] >= 0) this.ctx.memory.unmapMmio(s.mapped[6], romSize);
    s.mapped[6] = -1;
  }
}

function slotName(key: number): string {
  return `${key >>> 3}.${key & 7}`;
}

function pirqOf(device: number, pin: number): number {
  return (device + pin - 1) & 3;
}

function isValidBarSize(bar: PciBar): boolean {
  const min = bar.kind === "io" ? 4 : 16;
  const max = bar.kind === "io" ? 0x10000 : 0x80000000;
  return Number.isInteger(bar.size) && bar.size >= min && bar.size <= max && (bar.size & (bar.size - 1)) === 0;
}

/** ROM BAR size: the image rounded up to a power of two, at least 4 KiB (our MMIO granularity). */
function romBarSize(fn: PciFunction): number {
  const len = fn.romImage?.length ?? 0;
  if (len === 0) return 0;
  let size = 4096;
  while (size < len) size *= 2;
  return size;
}

function romHandler(fn: PciFunction, size: number): MmioHandler {
  const image = fn.romImage!;
  const mask = size - 1;
  return {
    name: `${fn.name} ROM`,
    read8: (addr) => {
      const off = addr & mask;
      return off < image.length ? image[off] : 0xff;
    },
    write8: () => {},
  };
}

function safeOnMap(ctx: Omit<DeviceContext, "pci">, fn: PciFunction, index: number, bar: PciBar, base: number): void {
  try {
    bar.onMap(base);
  } catch (e) {
    // A guest placing a BAR over another device's ports must not take the emulator down.
    ctx.log("warn", "pci", `${fn.name} BAR${index} at 0x${base.toString(16)} rejected: ${(e as Error).message}`);
  }
}

export function readLe32(a: Uint8Array, off: number): number {
  return (a[off] | (a[off + 1] << 8) | (a[off + 2] << 16) | (a[off + 3] << 24)) >>> 0;
}

export function writeLe32(a: Uint8Array, off: number, v: number): void {
  a[off] = v;
  a[off + 1] = v >>> 8;
  a[off + 2] = v >>> 16;
  a[off + 3] = v >>> 24;
}

/** Builds a 256-byte type-0 config header. */
export function pciConfigHeader(opts: {
  vendor: number;
  device: number;
  classCode: number; // 24-bit: class << 16 | subclass << 8 | prog-if
  revision?: number;
  headerType?: number;
  interruptPin?: number;
  subsystemVendor?: number;
  subsystem?: number;
}): Uint8Array {
  const c = new Uint8Array(256);
  c[0] = opts.vendor;
  c[1] = opts.vendor >>> 8;
  c[2] = opts.device;
  c[3] = opts.device >>> 8;
  c[8] = opts.revision ?? 0;
  c[9] = opts.classCode;
  c[10] = opts.classCode >>> 8;
  c[11] = opts.classCode >>> 16;
  c[HEADER_TYPE] = opts.headerType ?? 0;
  c[0x2c] = opts.subsystemVendor ?? 0x1af4;
  c[0x2d] = (opts.subsystemVendor ?? 0x1af4) >>> 8;
  c[0x2e] = opts.subsystem ?? 0x1100;
  c[0x2f] = (opts.subsystem ?? 0x1100) >>> 8;
  c[INTERRUPT_PIN] = opts.interruptPin ?? 0;
  return c;
}
