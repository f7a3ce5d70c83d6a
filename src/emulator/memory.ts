// Guest physical memory: RAM as one (Shared)ArrayBuffer plus 4 KiB-granular MMIO dispatch over the
// whole 4 GiB physical space. The CPU's software TLB asks `isRamPage` once per page and then touches
// `ram` directly; everything else goes through read8/16/32 and write8/16/32 here.

export interface MmioHandler {
  /** Short name for logs. */
  readonly name: string;
  read8(addr: number): number;
  write8(addr: number, value: number): void;
  /** Optional wider accesses; when absent they are composed from bytes (little-endian). */
  read16?(addr: number): number;
  read32?(addr: number): number;
  write16?(addr: number, value: number): void;
  write32?(addr: number, value: number): void;
}

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_COUNT = 1 << 20; // 4 GiB / 4 KiB

/** Memory sizes a machine may have: whole MiB, 1 MiB to 3 GiB (the rest is the PCI hole). */
export const MIN_RAM_BYTES = 1 << 20;
export const MAX_RAM_BYTES = 3 * 1024 * 1024 * 1024;

export class PhysicalMemory {
  readonly ramSize: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly ram: Uint8Array;
  /** Same bytes, for aligned 16/32-bit fast paths (little-endian host assumed, checked below). */
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  /** 0 = plain RAM (or unmapped above ramSize); n > 0 = handlers[n - 1] owns the page. */
  readonly pageHandler = new Uint16Array(PAGE_COUNT);
  private readonly handlers: MmioHandler[] = [];
  /** Physical address mask: bit 20 cleared while the A20 gate is disabled. */
  a20Mask = 0xffffffff | 0;
  /** Called after [base, base+size) changed what backs it (RAM, unmapped or an MMIO handler). */
  private readonly mapListeners: ((base: number, size: number) => void)[] = [];
  /** Called after the A20 gate changed: no page changed its backing, but every address with bit
   *  20 set now reaches another physical page. */
  private readonly a20Listeners: (() => void)[] = [];
  /** Called after a write that did not come from the CPU's own store path (DMA, loaders), so that
   *  anything cached about code on those bytes can be dropped. */
  private readonly externalWriteListeners: ((addr: number, length: number) => void)[] = [];

  constructor(ramSize: number, options: { shared?: boolean; buffer?: ArrayBuffer | SharedArrayBuffer } = {}) {
    if (!Number.isInteger(ramSize) || ramSize < MIN_RAM_BYTES || ramSize > MAX_RAM_BYTES || ramSize % (1 << 20) !== 0) {
      throw new RangeError(`RAM size must be a whole number of MiB between 1 MiB and 3072 MiB, got ${ramSize} bytes`);
    }
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("Hypertab needs a little-endian host");
    this.ramSize = ramSize;
    if (options.buffer) {
      if (options.buffer.byteLength !== ramSize) throw new RangeError(`RAM buffer is ${options.buffer.byteLength} bytes, expected ${ramSize}`);
      this.buffer = options.buffer;
    } else {
      const shared = options.shared ?? typeof SharedArrayBuffer !== "undefined";
      this.buffer = shared ? new SharedArrayBuffer(ramSize) : new ArrayBuffer(ramSize);
    }
    this.ram = new Uint8Array(this.buffer);
    this.ram16 = new Uint16Array(this.buffer);
    this.ram32 = new Int32Array(this.buffer);
  }

  /** Routes [base, base+size) to `handler`. Both must be 4 KiB aligned. Replaces earlier mappings. */
  mapMmio(base: number, size: number, handler: MmioHandler): void {
    if (base % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || size <= 0 || base + size > 0x100000000) {
      throw new RangeError(`${handler.name}: MMIO range 0x${base.toString(16)}+0x${size.toString(16)} must be 4 KiB aligned and inside 4 GiB`);
    }
    let index = this.handlers.indexOf(handler);
    if (index < 0) {
      if (this.handlers.length >= 0xfffe) throw new Error("too many MMIO handlers");
      index = this.handlers.push(handler) - 1;
    }
    this.setPageHandlers(base, size, index + 1);
  }

  /** Returns [base, base+size) to RAM (or unmapped above ramSize). */
  unmapMmio(base: number, size: number): void {
    this.setPageHandlers(base, size, 0);
  }

  /** Points the pages of [base, base+size) at handler slot `h`; listeners hear only of a real change
   *  (firmware and chipsets rewrite the same mapping often). */
  private setPageHandlers(base: number, size: number, h: number): void {
    const first = base >>> PAGE_SHIFT;
    const end = first + (size >>> PAGE_SHIFT);
    const ph = this.pageHandler;
    let p = first;
    while (p < end && ph[p] === h) p++;
    if (p === end) return;
    ph.fill(h, first, end);
    for (const l of this.mapListeners) l(base, size);
  }

  setA20(enabled: boolean): void {
    const mask = enabled ? 0xffffffff | 0 : ~(1 << 20);
    if (mask === this.a20Mask) return;
    this.a20Mask = mask;
    for (const l of this.a20Listeners) l();
  }

  get a20Enabled(): boolean {
    return this.a20Mask === (0xffffffff | 0);
  }

  /** `listener(base, size)` after [base, base+size) changed what backs it (MMIO mapped or unmapped). */
  onMapChange(listener: (base: number, size: number) => void): void {
    this.mapListeners.push(listener);
  }

  /** `listener()` after the A20 gate was switched. */
  onA20Change(listener: () => void): void {
    this.a20Listeners.push(listener);
  }

  onExternalWrite(listener: (addr: number, length: number) => void): void {
    this.externalWriteListeners.push(listener);
  }

  /** True when physical page `page` (address >>> 12, A20 already applied) is plain RAM. */
  isRamPage(page: number): boolean {
    return this.pageHandler[page] === 0 && page < this.ramSize >>> PAGE_SHIFT;
  }

  read8(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if (h === 0) return addr < this.ramSize ? this.ram[addr] : 0xff;
    return this.handlers[h - 1].read8(addr) & 0xff;
  }

  read16(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if (h === 0 && (addr & 0xfff) !== 0xfff) {
      if (addr + 1 < this.ramSize) return (addr & 1) === 0 ? this.ram16[addr >>> 1] : this.ram[addr] | (this.ram[addr + 1] << 8);
      return 0xffff;
    }
    if (h !== 0 && (addr & 0xfff) !== 0xfff) {
      const handler = this.handlers[h - 1];
      if (handler.read16) return handler.read16(addr) & 0xffff;
    }
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  read32(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) <= 0xffc) {
      if (h === 0) {
        if (addr + 3 < this.ramSize) {
          return (addr & 3) === 0
            ? this.ram32[addr >>> 2]
            : this.ram[addr] | (this.ram[addr + 1] << 8) | (this.ram[addr + 2] << 16) | (this.ram[addr + 3] << 24);
        }
        return -1;
      }
      const handler = this.handlers[h - 1];
      if (handler.read32) return handler.read32(addr) | 0;
    }
    return (this.read16(addr) | (this.read16(addr + 2) << 16)) | 0;
  }

  write8(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if (h === 0) {
      if (addr < this.ramSize) this.ram[addr] = value;
      return;
    }
    this.handlers[h - 1].write8(addr, value & 0xff);
  }

  write16(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) !== 0xfff) {
      if (h === 0) {
        if (addr + 1 < this.ramSize) {
          if ((addr & 1) === 0) this.ram16[addr >>> 1] = value;
          else {
            this.ram[addr] = value;
            this.ram[addr + 1] = value >>> 8;
          }
        }
        return;
      }
      const handler = this.handlers[h - 1];
      if (handler.write16) {
        handler.write16(addr, value & 0xffff);
        return;
      }
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
  }

  write32(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0;
    const h = this.pageHandler[addr >>> PAGE_SHIFT];
    if ((addr & 0xfff) <= 0xffc) {
      if (h === 0) {
        if (addr + 3 < this.ramSize) {
          if ((addr & 3) === 0) this.ram32[addr >>> 2] = value;
          else {
            this.ram[addr] = value;
            this.ram[addr + 1] = value >>> 8;
            this.ram[addr + 2] = value >>> 16;
            this.ram[addr + 3] = value >>> 24;
          }
        }
        return;
      }
      const handler = this.handlers[h - 1];
      if (handler.write32) {
        handler.write32(addr, value | 0);
        return;
      }
    }
    this.write16(addr, value);
    this.write16(addr + 2, value >>> 16);
  }

  /** Bulk copy into guest physical memory (loaders, DMA). Goes through MMIO where mapped. */
  writeBytes(addr: number, data: Uint8Array): void {
    const start = (addr & this.a20Mask) >>> 0;
    if (this.isPlainRamRange(start, data.length)) this.ram.set(data, start);
    else for (let i = 0; i < data.length; i++) this.write8(addr + i, data[i]);
    for (const l of this.externalWriteListeners) l(start, data.length);
  }

  /** Bulk copy out of guest physical memory (DMA, debugger). */
  readBytes(addr: number, length: number): Uint8Array {
    const start = (addr & this.a20Mask) >>> 0;
    if (this.isPlainRamRange(start, length)) return this.ram.slice(start, start + length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read8(addr + i);
    return out;
  }

  private isPlainRamRange(start: number, length: number): boolean {
    if (length === 0) return true;
    if (start + length > this.ramSize) return false;
    const last = (start + length - 1) >>> PAGE_SHIFT;
    for (let p = start >>> PAGE_SHIFT; p <= last; p++) if (this.pageHandler[p] !== 0) return false;
    return true;
  }
}
