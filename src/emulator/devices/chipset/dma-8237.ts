// The PC/AT pair of Intel 8237A DMA controllers: channels 0-3 (8-bit, ports 0x00-0x0F) and 4-7
// (16-bit, ports 0xC0-0xDF, one register every other port; channel 4 cascades the first controller),
// plus the 74LS612 page registers. Port 0x80 belongs to the chipset's POST port, so only page ports
// 0x81-0x8F are claimed here. Transfers are done on behalf of a device (the floppy controller) in
// bulk, bounded by the programmed count; memory-to-memory and the request register are not used
// on PCs and are not emulated.

import type { Device, DeviceContext, IsaDma } from "../../device.ts";
import { type SavedState, StateLayout, typed, u8 } from "../../state.ts";

/** Page register port for each channel (0x80 is channel-less and left to the POST port). */
const PAGE_PORT_OF_CHANNEL = [0x87, 0x83, 0x81, 0x82, 0x8f, 0x8b, 0x89, 0x8a];

const MODE_AUTO_INIT = 0x10;
const MODE_DECREMENT = 0x20;
const TRANSFER_TYPE_MASK = 0x0c;
const TRANSFER_VERIFY = 0x00;
const TRANSFER_TO_MEMORY = 0x04; // "write" in 8237 terms: device → memory
const TRANSFER_FROM_MEMORY = 0x08; // "read": memory → device
const MODE_CASCADE = 0xc0;

export interface Dma8237Options {
  /** Name for logs and state (default "dma"). */
  name?: string;
}

export class Dma8237 implements Device, IsaDma {
  readonly name: string;
  private readonly ctx: DeviceContext;
  // Per channel (0-7). Addresses and counts are 16-bit; on channels 4-7 they count words.
  private readonly baseAddress = new Uint16Array(8);
  private readonly baseCount = new Uint16Array(8);
  private readonly currentAddress = new Uint16Array(8);
  private readonly currentCount = new Uint16Array(8);
  private readonly mode = new Uint8Array(8);
  private readonly page = new Uint8Array(8);
  /** Bit n masks channel n. */
  private mask = 0xff;
  /** Per controller: terminal-count bits 0-3 and request bits 4-7. */
  private readonly status = new Uint8Array(2);
  private readonly command = new Uint8Array(2);
  private readonly flipFlop = new Uint8Array(2);
  /** The page ports 0x81-0x8F that are not channel pages still hold a byte (scratch). */
  private readonly pagePorts = new Uint8Array(16);

  constructor(ctx: DeviceContext, options: Dma8237Options = {}) {
    this.ctx = ctx;
    this.name = options.name ?? "dma";
    const io = ctx.io;
    io.register(0x00, 16, { in8: (p) => this.readPort(0, p), out8: (p, v) => this.writePort(0, p, v) }, this.name);
    io.register(0xc0, 32, { in8: (p) => this.readPort(1, p), out8: (p, v) => this.writePort(1, p, v) }, this.name);
    io.register(0x81, 15, { in8: (p) => this.readPage(p), out8: (p, v) => this.writePage(p, v) }, this.name);
    this.reset();
  }

  reset(): void {
    this.baseAddress.fill(0);
    this.baseCount.fill(0);
    this.currentAddress.fill(0);
    this.currentCount.fill(0);
    this.mode.fill(0);
    this.page.fill(0);
    this.pagePorts.fill(0);
    this.mask = 0xff;
    this.status.fill(0);
    this.command.fill(0);
    this.flipFlop.fill(0);
  }

  // --- IsaDma -------------------------------------------------------------------------------

  remaining(channel: number): number {
    if (!this.channelActive(channel)) return 0;
    const units = this.currentCount[channel] + 1;
    return channel >= 4 ? units * 2 : units;
  }

  writeToMemory(channel: number, data: Uint8Array): number {
    if (!this.channelActive(channel)) return 0;
    const n = Math.min(data.length, this.remaining(channel));
    const type = this.mode[channel] & TRANSFER_TYPE_MASK;
    this.transfer(channel, n, type === TRANSFER_TO_MEMORY ? data : null, null);
    return n;
  }

  readFromMemory(channel: number, length: number): Uint8Array {
    if (!this.channelActive(channel)) return new Uint8Array(0);
    const n = Math.min(Math.max(0, Math.floor(length)), this.remaining(channel));
    const out = new Uint8Array(n);
    const type = this.mode[channel] & TRANSFER_TYPE_MASK;
    this.transfer(channel, n, null, type === TRANSFER_FROM_MEMORY ? out : null);
    return out;
  }

  private channelActive(channel: number): boolean {
    if (!Number.isInteger(channel) || channel < 0 || channel > 7 || channel === 4) return false;
    if (this.mask & (1 << channel)) return false;
    const controller = channel >> 2;
    if (this.command[controller] & 0x04) return false; // controller disabled
    if ((this.mode[channel] & 0xc0) === MODE_CASCADE) return false;
    return true;
  }

  /** Moves `n` bytes (n ≤ remaining) between memory and `toMemory`/`fromMemory` (null = verify),
   *  stepping the address and count like the hardware, in page-contiguous runs. */
  private transfer(channel: number, n: number, toMemory: Uint8Array | null, fromMemory: Uint8Array | null): void {
    const wide = channel >= 4;
    const decrement = (this.mode[channel] & MODE_DECREMENT) !== 0;
    let done = 0;
    while (done < n) {
      const addr = this.currentAddress[channel];
      // Physical byte address: 8-bit channels page:addr; 16-bit channels page(bits 7-1):addr<<1.
      const physical = wide ? ((this.page[channel] & 0xfe) << 16) | (addr << 1) : (this.page[channel] << 16) | addr;
      let run: number;
      if (decrement) run = wide ? 2 : 1;
      else run = wide ? (0x10000 - addr) * 2 : 0x10000 - addr; // up to the 64K/128K wrap
      run = Math.min(run, n - done);
      if (decrement && run > 0) {
        // Bytes move one unit at a time towards lower addresses.
        for (let i = 0; i < run; i++) {
          if (toMemory) this.ctx.memory.writeBytes(physical + i, toMemory.subarray(done + i, done + i + 1));
          if (fromMemory) fromMemory[done + i] = this.ctx.memory.read8(physical + i);
        }
      } else {
        if (toMemory) this.ctx.memory.writeBytes(physical, toMemory.subarray(done, done + run));
        if (fromMemory) fromMemory.set(this.ctx.memory.readBytes(physical, run), done);
      }
      done += run;
      const units = wide ? Math.ceil(run / 2) : run;
      this.currentAddress[channel] = decrement ? addr - units : addr + units;
      const count = this.currentCount[channel];
      if (units > count) this.terminalCount(channel);
      else this.currentCount[channel] = count - units;
    }
  }

  private terminalCount(channel: number): void {
    const controller = channel >> 2;
    this.status[controller] |= 1 << (channel & 3);
    if (this.mode[channel] & MODE_AUTO_INIT) {
      this.currentAddress[channel] = this.baseAddress[channel];
      this.currentCount[channel] = this.baseCount[channel];
    } else {
      this.currentCount[channel] = 0xffff;
      this.mask |= 1 << channel; // the 8237 masks a channel at TC unless auto-initialising
    }
  }

  // --- Ports ----------------------------------------------------------------------------------

  /** Register index 0-15 of a controller port. */
  private static registerOf(controller: number, port: number): number {
    return controller === 0 ? port & 0x0f : ((port - 0xc0) >> 1) & 0x0f;
  }

  private readPort(controller: number, port: number): number {
    const reg = Dma8237.registerOf(controller, port);
    if (controller === 1 && (port & 1)) return 0xff; // odd ports are not decoded on the second controller
    if (reg < 8) {
      const channel = (controller << 2) | (reg >> 1);
      const value = reg & 1 ? this.currentCount[channel] : this.currentAddress[channel];
      const high = this.flipFlop[controller];
      this.flipFlop[controller] ^= 1;
      return high ? value >>> 8 : value & 0xff;
    }
    switch (reg) {
      case 8: {
        const s = this.status[controller];
        this.status[controller] &= 0xf0; // reading status clears the TC bits
        return s;
      }
      case 13:
        return 0; // temporary register (memory-to-memory only)
      case 15:
        return 0xf0 | ((this.mask >> (controller << 2)) & 0x0f);
      default:
        return 0xff;
    }
  }

  private writePort(controller: number, port: number, value: number): void {
    if (controller === 1 && (port & 1)) return;
    const reg = Dma8237.registerOf(controller, port);
    const shift = controller << 2;
    if (reg < 8) {
      const channel = shift | (reg >> 1);
      const high = this.flipFlop[controller];
      this.flipFlop[controller] ^= 1;
      const base = reg & 1 ? this.baseCount : this.baseAddress;
      const current = reg & 1 ? this.currentCount : this.currentAddress;
      const v = high ? (base[channel] & 0x00ff) | (value << 8) : (base[channel] & 0xff00) | value;
      base[channel] = v;
      current[channel] = v;
      return;
    }
    switch (reg) {
      case 8:
        this.command[controller] = value;
        return;
      case 9:
        // Software DMA requests (memory-to-memory) are not used on PCs; remember the request bit.
        if (value & 4) this.status[controller] |= 0x10 << (value & 3);
        else this.status[controller] &= ~(0x10 << (value & 3));
        return;
      case 10: {
        const bit = 1 << (shift + (value & 3));
        this.mask = value & 4 ? this.mask | bit : this.mask & ~bit;
        return;
      }
      case 11:
        this.mode[shift | (value & 3)] = value & 0xfc;
        return;
      case 12:
        this.flipFlop[controller] = 0;
        return;
      case 13: // master clear
        this.command[controller] = 0;
        this.status[controller] = 0;
        this.flipFlop[controller] = 0;
        this.mask |= 0x0f << shift;
        return;
      case 14:
        this.mask &= ~(0x0f << shift);
        return;
      case 15:
        this.mask = (this.mask & ~(0x0f << shift)) | ((value & 0x0f) << shift);
        return;
    }
  }

  private readPage(port: number): number {
    const channel = PAGE_PORT_OF_CHANNEL.indexOf(port);
    return channel >= 0 ? this.page[channel] : this.pagePorts[port & 0x0f];
  }

  private writePage(port: number, value: number): void {
    const channel = PAGE_PORT_OF_CHANNEL.indexOf(port);
    if (channel >= 0) this.page[channel] = value;
    else this.pagePorts[port & 0x0f] = value;
  }

  // --- State ----------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<Dma8237>("dma8237", 1, {
    baseAddress: typed(Uint16Array, 8),
    baseCount: typed(Uint16Array, 8),
    currentAddress: typed(Uint16Array, 8),
    currentCount: typed(Uint16Array, 8),
    mode: typed(Uint8Array, 8),
    page: typed(Uint8Array, 8),
    pagePorts: typed(Uint8Array, 16),
    mask: u8(),
    status: typed(Uint8Array, 2),
    command: typed(Uint8Array, 2),
    flipFlop: typed(Uint8Array, 2),
  });

  saveState(): SavedState {
    return Dma8237.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Dma8237.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Dma8237.STATE.load(this, state);
  }
}
