// Realtek RTL8029 (PCI 10ec:8029), the PCI NE2000: a National DP8390 core behind a 32-port I/O BAR.
// Register pages 0-2 (and the RTL8029's page 3 configuration bytes), remote DMA through the data
// port into the on-card memory (station address PROM at 0x0000, 32 KiB packet RAM at
// 0x4000-0xBFFF), the receive ring between PSTART and PSTOP with its 4-byte packet headers,
// transmit from TPSR, the receive filter and ISR/IMR on INTA#. Facts from the DP8390 and RTL8029
// datasheets; frames move synchronously (a transmit completes within the CR write).

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import { StateLayout, type SavedState, bool, typed, u8, u16 } from "../../state.ts";
import { pciConfigHeader } from "../chipset/pci-bus.ts";
import { isAddressedTo, isBroadcast, isGroupAddress, multicastHashIndex } from "./ethernet.ts";
import { NicWire } from "./nic-port.ts";

const IO_BAR_SIZE = 32;
const DATA_PORT = 0x10; // 0x10-0x17
const RESET_PORT = 0x18; // 0x18-0x1F (drivers use 0x1F): a read resets the chip

/** On-card memory: PROM mirrored below RAM_START, packet RAM from RAM_START, nothing above. */
const PROM_BYTES = 32;
const RAM_START = 0x4000;
const RAM_BYTES = 0x8000;
const PAGE_MIN = RAM_START >> 8;
const PAGE_END = (RAM_START + RAM_BYTES) >> 8;

// Command register
const CR_STP = 0x01;
const CR_STA = 0x02;
const CR_TXP = 0x04;
const RD_READ = 1;
const RD_WRITE = 2;
const RD_SEND = 3;

// Interrupt status bits
const ISR_PRX = 0x01;
const ISR_PTX = 0x02;
const ISR_OVW = 0x10;
const ISR_CNT = 0x20;
const ISR_RDC = 0x40;
const ISR_RST = 0x80;

const DCR_WTS = 0x01; // word-wide remote DMA
const RCR_AB = 0x04;
const RCR_AM = 0x08;
const RCR_PRO = 0x10;
const RCR_MON = 0x20;
const TCR_LOOPBACK = 0x06;
const TSR_PTX = 0x01;
const RSR_PRX = 0x01;
const RSR_PHY = 0x20; // multicast/broadcast destination
/** Page 0 registers 0x0A/0x0B read back the RTL8029 id "PC". */
const RTL8029_ID = [0x50, 0x43];
const HEADER_BYTES = 4;

export interface Ne2kPciOptions {
  name: string;
  /** PCI device number on bus 0. */
  pciDevice: number;
  mac: Uint8Array;
  linkUp: boolean;
}

export class Ne2kPci implements Device {
  readonly name: string;
  readonly pci: PciFunction;
  readonly wire: NicWire;
  private ioBase = -1;

  // DP8390 registers
  private cr = 0;
  private isr = 0;
  private imr = 0;
  private dcr = 0;
  private tcr = 0;
  private rcr = 0;
  private tsr = 0;
  private rsr = 0;
  private pstart = 0;
  private pstop = 0;
  private bnry = 0;
  private tpsr = 0;
  private tbcr = 0;
  private rsar = 0;
  private rbcr = 0;
  private curr = 0;
  /** Current local DMA address (where reception last wrote). */
  private clda = 0;
  private readonly par = new Uint8Array(6);
  private readonly mar = new Uint8Array(8);
  /** Tally counters: frame alignment errors, CRC errors, missed packets. */
  private readonly tally = new Uint8Array(3);
  /** RTL8029 page 3 (9346CR, CONFIG0-3): stored and read back, no effect. */
  private readonly page3 = new Uint8Array(16);
  private readonly prom = new Uint8Array(PROM_BYTES);
  private readonly ram = new Uint8Array(RAM_BYTES);
  private started = false;

  constructor(
    private readonly ctx: DeviceContext,
    options: Ne2kPciOptions,
  ) {
    this.name = options.name;
    this.wire = new NicWire(options.mac, options.linkUp, (frame) => this.receiveFrame(frame, false));
    // NE2000 PROM: the station address, then 0x57 0x57 ("W": a 16-bit card) at bytes 14-15, each
    // byte doubled as the 16-bit bus presents it.
    const bytes = new Uint8Array(16);
    bytes.set(this.wire.mac);
    bytes[14] = bytes[15] = 0x57;
    for (let i = 0; i < 16; i++) this.prom[2 * i] = this.prom[2 * i + 1] = bytes[i];
    this.pci = {
      name: this.name,
      device: options.pciDevice,
      fn: 0,
      config: pciConfigHeader({ vendor: 0x10ec, device: 0x8029, classCode: 0x020000, interruptPin: 1, subsystemVendor: 0x10ec, subsystem: 0x8029 }),
      bars: [{ size: IO_BAR_SIZE, kind: "io", onMap: (base) => this.mapIo(base) }],
    };
    ctx.pci.addFunction(this.pci);
    this.reset();
  }

  reset(): void {
    this.ram.fill(0);
    this.par.fill(0);
    this.mar.fill(0);
    this.tally.fill(0);
    this.page3.fill(0);
    this.dcr = this.tcr = this.rcr = this.tsr = this.rsr = 0;
    this.pstart = this.pstop = this.bnry = this.tpsr = this.tbcr = this.curr = this.clda = 0;
    this.softReset();
  }

  /** What a read of the reset port does: the chip stops, remote DMA is idle, ISR shows RST. */
  private softReset(): void {
    this.cr = CR_STP | (4 << 3);
    this.started = false;
    this.isr = ISR_RST;
    this.imr = 0;
    this.rsar = this.rbcr = 0;
    this.updateIrq();
  }

  private mapIo(base: number): void {
    const io = this.ctx.io;
    if (this.ioBase >= 0) io.unregister(this.ioBase, IO_BAR_SIZE, this.name);
    this.ioBase = base;
    if (base < 0) return;
    io.register(base, DATA_PORT, { in8: (p) => this.readRegister(p - base), out8: (p, v) => this.writeRegister(p - base, v) }, this.name);
    io.register(base + DATA_PORT, RESET_PORT - DATA_PORT, {
      in8: () => this.readData(1),
      in16: () => this.readData(2),
      in32: () => this.readData(4),
      out8: (_p, v) => this.writeData(1, v),
      out16: (_p, v) => this.writeData(2, v),
      out32: (_p, v) => this.writeData(4, v),
    }, this.name);
    io.register(base + RESET_PORT, IO_BAR_SIZE - RESET_PORT, {
      in8: () => {
        this.softReset();
        return 0;
      },
      out8: () => {},
    }, this.name);
  }

  private updateIrq(): void {
    this.ctx.pci.setIntx(this.pci, (this.isr & this.imr & 0x7f) !== 0);
  }

  private raise(bits: number): void {
    this.isr |= bits;
    this.updateIrq();
  }

  // ---- registers ----

  private readRegister(reg: number): number {
    if (reg === 0) return this.cr;
    switch (this.cr >>> 6) {
      case 0:
        switch (reg) {
          case 0x01: return this.clda & 0xff;
          case 0x02: return this.clda >>> 8;
          case 0x03: return this.bnry;
          case 0x04: return this.tsr;
          case 0x07: return this.isr;
          case 0x08: return this.rsar & 0xff;
          case 0x09: return this.rsar >>> 8;
          case 0x0a: return RTL8029_ID[0];
          case 0x0b: return RTL8029_ID[1];
          case 0x0c: return this.rsr;
          case 0x0d:
          case 0x0e:
          case 0x0f: {
            const v = this.tally[reg - 0x0d]; // cleared by reading
            this.tally[reg - 0x0d] = 0;
            return v;
          }
          default: return 0; // NCR, FIFO
        }
      case 1:
        if (reg <= 6) return this.par[reg - 1];
        if (reg === 7) return this.curr;
        return this.mar[reg - 8];
      case 2:
        switch (reg) {
          case 0x01: return this.pstart;
          case 0x02: return this.pstop;
          case 0x03: return this.bnry; // remote next packet pointer
          case 0x04: return this.tpsr;
          case 0x05: return this.curr; // local next packet pointer
          case 0x06: return this.clda >>> 8;
          case 0x07: return this.clda & 0xff;
          case 0x0c: return this.rcr | 0xc0;
          case 0x0d: return this.tcr | 0xe0;
          case 0x0e: return this.dcr | 0x80;
          case 0x0f: return this.imr | 0x80;
          default: return 0;
        }
      default:
        return this.page3[reg];
    }
  }

  private writeRegister(reg: number, v: number): void {
    if (reg === 0) {
      this.writeCommand(v);
      return;
    }
    switch (this.cr >>> 6) {
      case 0:
        this.writePage0(reg, v);
        return;
      case 1:
        if (reg <= 6) this.par[reg - 1] = v;
        else if (reg === 7) this.curr = v;
        else this.mar[reg - 8] = v;
        return;
      case 2:
        return; // diagnostic writes to the DMA pointers: ignored
      default:
        this.page3[reg] = v;
    }
  }

  private writePage0(reg: number, v: number): void {
    switch (reg) {
      case 0x01: this.pstart = v; break;
      case 0x02: this.pstop = v; break;
      case 0x03: this.bnry = v; break;
      case 0x04: this.tpsr = v; break;
      case 0x05: this.tbcr = (this.tbcr & 0xff00) | v; break;
      case 0x06: this.tbcr = (this.tbcr & 0xff) | (v << 8); break;
      case 0x07:
        this.isr &= ~(v & 0x7f); // write 1 to clear; RST follows the chip's state only
        this.updateIrq();
        break;
      case 0x08: this.rsar = (this.rsar & 0xff00) | v; break;
      case 0x09: this.rsar = (this.rsar & 0xff) | (v << 8); break;
      case 0x0a: this.rbcr = (this.rbcr & 0xff00) | v; break;
      case 0x0b: this.rbcr = (this.rbcr & 0xff) | (v << 8); break;
      case 0x0c: this.rcr = v & 0x3f; break;
      case 0x0d: this.tcr = v & 0x1f; break;
      case 0x0e: this.dcr = v & 0x7f; break;
      case 0x0f:
        this.imr = v & 0x7f;
        this.updateIrq();
        break;
    }
  }

  private writeCommand(v: number): void {
    if (v & CR_STP) {
      this.started = false;
      this.isr |= ISR_RST;
    } else if (v & CR_STA) {
      this.started = true;
      this.isr &= ~ISR_RST;
    } // neither: the chip keeps running or stopped (drivers switch pages this way)
    this.cr = (v & 0xf8) | (this.started ? CR_STA : CR_STP);
    const rd = (v >>> 3) & 7;
    if (rd === RD_SEND) this.startSendPacket();
    else if ((rd === RD_READ || rd === RD_WRITE) && this.rbcr === 0) this.isr |= ISR_RDC;
    if (v & CR_TXP && this.started) this.transmit();
    this.updateIrq();
  }

  /** "Send Packet" remote DMA: read the packet at BNRY, its length taken from its ring header. */
  private startSendPacket(): void {
    this.rsar = this.bnry << 8;
    this.rbcr = this.memRead(this.rsar + 2) | (this.memRead(this.rsar + 3) << 8);
    this.cr = (this.cr & ~0x38) | (RD_READ << 3);
  }

  // ---- remote DMA ----

  private memRead(addr: number): number {
    if (addr < RAM_START) return this.prom[addr & (PROM_BYTES - 1)];
    if (addr < RAM_START + RAM_BYTES) return this.ram[addr - RAM_START];
    return 0xff;
  }

  private memWrite(addr: number, v: number): void {
    if (addr >= RAM_START && addr < RAM_START + RAM_BYTES) this.ram[addr - RAM_START] = v;
  }

  /** Remote DMA moves one byte: the address wraps from PSTOP to PSTART, the count stops at 0. */
  private advanceRemote(): void {
    let a = (this.rsar + 1) & 0xffff;
    if (this.pstop > this.pstart && a === this.pstop << 8) a = this.pstart << 8;
    this.rsar = a;
    if (this.rbcr > 0 && --this.rbcr === 0) this.raise(ISR_RDC);
  }

  /** A data port read of `size` bytes; a byte read on the word-wide bus still moves a word. */
  private readData(size: number): number {
    const n = this.dcr & DCR_WTS && size === 1 ? 2 : size;
    let v = 0;
    for (let i = 0; i < n; i++) {
      v |= this.memRead(this.rsar) << (8 * i);
      this.advanceRemote();
    }
    return size === 1 ? v & 0xff : v;
  }

  private writeData(size: number, v: number): void {
    const n = this.dcr & DCR_WTS && size === 1 ? 2 : size;
    for (let i = 0; i < n; i++) {
      this.memWrite(this.rsar, (v >>> (8 * i)) & 0xff);
      this.advanceRemote();
    }
  }

  // ---- transmit and receive ----

  private transmit(): void {
    const start = this.tpsr << 8;
    const length = Math.min(this.tbcr, 0x10000 - start);
    const frame = new Uint8Array(length);
    for (let i = 0; i < length; i++) frame[i] = this.memRead(start + i);
    if (this.tcr & TCR_LOOPBACK) {
      const padded = frame.length >= 60 ? frame : new Uint8Array(60);
      if (padded !== frame) padded.set(frame);
      this.receiveFrame(padded, true);
    } else this.wire.transmit(frame);
    // A frame the wire refused is lost on the cable, as far as the chip can tell.
    this.tsr = TSR_PTX;
    this.cr &= ~CR_TXP;
    this.raise(ISR_PTX);
  }

  private accepts(frame: Uint8Array): boolean {
    if (isBroadcast(frame)) return (this.rcr & RCR_AB) !== 0;
    if (isGroupAddress(frame)) {
      const h = multicastHashIndex(frame);
      return (this.rcr & RCR_AM) !== 0 && (this.mar[h >>> 3] & (1 << (h & 7))) !== 0;
    }
    return (this.rcr & RCR_PRO) !== 0 || isAddressedTo(frame, this.par);
  }

  /** Stores a frame in the receive ring; false when the chip is stopped, filters it out or has no room. */
  private receiveFrame(frame: Uint8Array, loopback: boolean): boolean {
    if (!this.started || (!loopback && this.tcr & TCR_LOOPBACK)) return false;
    if (!this.accepts(frame)) return false;
    if (this.rcr & RCR_MON) return this.miss();
    const { pstart, pstop, curr } = this;
    if (pstart < PAGE_MIN || pstop > PAGE_END || pstart >= pstop || curr < pstart || curr >= pstop) return this.miss();
    const ringPages = pstop - pstart;
    const total = frame.length + HEADER_BYTES;
    const pages = (total + 255) >>> 8;
    // BNRY outside the ring sits just before PSTART (drivers write PSTART - 1 for "read up to PSTOP - 1").
    const bnry = this.bnry >= pstart && this.bnry < pstop ? this.bnry : pstop - 1;
    const free = (bnry - curr + ringPages) % ringPages || ringPages;
    if (pages >= free) {
      this.isr |= ISR_OVW;
      return this.miss();
    }
    let next = curr + pages;
    if (next >= pstop) next -= ringPages;
    const group = isGroupAddress(frame);
    this.rsr = RSR_PRX | (group ? RSR_PHY : 0);
    let addr = curr << 8;
    const put = (b: number) => {
      this.ram[addr - RAM_START] = b;
      if (++addr === pstop << 8) addr = pstart << 8;
    };
    put(this.rsr);
    put(next);
    put(total & 0xff);
    put(total >>> 8);
    for (let i = 0; i < frame.length; i++) put(frame[i]);
    this.clda = addr;
    this.curr = next;
    this.raise(ISR_PRX);
    return true;
  }

  /** A frame the chip could not store: counted in the missed-packet tally. */
  private miss(): boolean {
    if (this.tally[2] < 0xff) this.tally[2]++;
    if (this.tally[2] & 0x80) this.isr |= ISR_CNT;
    this.updateIrq();
    return false;
  }

  // ---- state ----

  private static readonly STATE = new StateLayout<Ne2kPci>("ne2k-pci", 1, {
    cr: u8(),
    isr: u8(),
    imr: u8(),
    dcr: u8(),
    tcr: u8(),
    rcr: u8(),
    tsr: u8(),
    rsr: u8(),
    pstart: u8(),
    pstop: u8(),
    bnry: u8(),
    tpsr: u8(),
    tbcr: u16(),
    rsar: u16(),
    rbcr: u16(),
    curr: u8(),
    clda: u16(),
    started: bool(),
    par: typed(Uint8Array, 6),
    mar: typed(Uint8Array, 8),
    tally: typed(Uint8Array, 3),
    page3: typed(Uint8Array, 16),
    prom: typed(Uint8Array, PROM_BYTES),
    ram: typed(Uint8Array, RAM_BYTES),
  }, { afterLoad: (d: Ne2kPci) => d.updateIrq() });

  saveState(): SavedState {
    return Ne2kPci.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Ne2kPci.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Ne2kPci.STATE.load(this, state);
  }
}
