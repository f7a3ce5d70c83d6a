// National Semiconductor 16550A UART (PC COM port). Transmit has no baud delay: a byte written to
// THR goes straight to the host listeners unless the host has signalled back-pressure, in which case
// it waits in the transmit FIFO (and THR reads as full) until the host is ready again. Host input
// is accepted only while the receive FIFO has room, so nothing is ever dropped. The receiver
// character timeout (4 character times at the programmed baud rate) runs on virtual time.

import type { TimedDevice } from "../../clock.ts";
import type { Device, DeviceContext } from "../../device.ts";
import type { SerialPort } from "../../machine-api.ts";
import { type SavedState, StateLayout, bool, f64, range, typed, u16, u8 } from "../../state.ts";

/** Standard PC COM port resources. */
export const COM_PORTS = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
] as const;

export interface Uart16550Options {
  /** COM index 0-3 (sets base and IRQ), or explicit base/irq. */
  index?: 0 | 1 | 2 | 3;
  base?: number;
  irq?: number;
  name?: string;
}

const FIFO_SIZE = 16;
const TX_BACKLOG = 4096;
const INPUT_CLOCK_HZ = 1_843_200 / 16; // divisor 1 = 115200 baud

// LSR bits
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_ERRORS = 0x1e;
// IER bits
const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_RLS = 0x04;
const IER_MS = 0x08;
// MCR bits
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
// IIR identifications
const IIR_NONE = 0x01;
const IIR_RLS = 0x06;
const IIR_RDA = 0x04;
const IIR_TIMEOUT = 0x0c;
const IIR_THRE = 0x02;
const IIR_MS = 0x00;

const RX_TRIGGER = [1, 4, 8, 14];

export class Uart16550 implements Device, TimedDevice, SerialPort {
  readonly name: string;
  readonly base: number;
  readonly irqLine: number;
  private readonly ctx: DeviceContext;
  private readonly listeners: ((byte: number) => void)[] = [];

  // Registers
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  private msrDeltas = 0; // MSR bits 0-3
  private scr = 0;
  private fcr = 0; // bit 0 FIFO enable, bits 6-7 trigger, bit 3 DMA mode
  private divisor = 12;
  /** THRE interrupt latched (cleared by IIR read that reports it, or THR write). */
  private thrInterrupt = false;
  /** Receiver timeout interrupt pending. */
  private timeoutInterrupt = false;
  /** Virtual ns when the timeout fires (Infinity when not armed). */
  private timeoutDeadline = Infinity;
  private lastRbr = 0;
  /** Host modem inputs (bit 4 CTS, 5 DSR, 6 RI, 7 DCD) and the last value seen through MSR. */
  /** Defaults to CTS, DSR and DCD asserted: a terminal is attached and ready (as QEMU's chardevs). */
  private hostModem = 0xb0;
  private modemInputs = 0;
  private irqLevel = false;
  /** True while the host cannot take more output. */
  private hostBlocked = false;

  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** Transmit FIFO plus the backlog kept while the host holds output. */
  private readonly tx = new Uint8Array(TX_BACKLOG);
  private backlogWarned = false;
  private txHead = 0;
  private txCount = 0;

  constructor(ctx: DeviceContext, options: Uart16550Options = {}) {
    this.ctx = ctx;
    const com = COM_PORTS[options.index ?? 0];
    this.base = options.base ?? com.base;
    this.irqLine = options.irq ?? com.irq;
    this.name = options.name ?? `uart@${this.base.toString(16)}`;
    if (this.irqLine < 0 || this.irqLine > 15) throw new RangeError(`${this.name}: IRQ ${this.irqLine} is not an ISA line`);
    ctx.io.register(this.base, 8, { in8: (p) => this.read(p - this.base), out8: (p, v) => this.write(p - this.base, v) }, this.name);
    ctx.addTimer(this);
    this.reset();
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.lsr = LSR_THRE | LSR_TEMT;
    this.msrDeltas = 0;
    this.scr = 0;
    this.fcr = 0;
    this.divisor = 12;
    this.thrInterrupt = false;
    this.timeoutInterrupt = false;
    this.timeoutDeadline = Infinity;
    this.lastRbr = 0;
    this.rxHead = this.rxCount = 0;
    this.txHead = this.txCount = 0;
    this.modemInputs = this.hostModem;
    this.updateIrq();
  }

  // --- Host side ------------------------------------------------------------------------------

  onTransmit(listener: (byte: number) => void): void {
    this.listeners.push(listener);
  }

  /** Host → guest byte. False when the receive FIFO (or holding register) is full: keep the byte. */
  receive(byte: number): boolean {
    if (this.mcr & MCR_LOOP) return false; // the receiver is wired to the transmitter in loopback
    if (this.rxCount >= this.rxCapacity()) return false;
    this.pushRx(byte & 0xff);
    return true;
  }

  /** How many bytes `receive` would accept right now. */
  receiveSpace(): number {
    return this.mcr & MCR_LOOP ? 0 : this.rxCapacity() - this.rxCount;
  }

  /** Back-pressure from the host (SerialPort.setTransmitHold): while held, output stays in the
   *  transmit FIFO and THR reads as full, so a polling or interrupt-driven guest simply waits. */
  setTransmitHold(blocked: boolean): void {
    this.hostBlocked = blocked;
    if (!blocked) this.drainTx();
  }

  /** Host modem inputs. */
  setModemLines(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    let m = this.hostModem;
    const set = (bit: number, v: boolean | undefined) => {
      if (v !== undefined) m = v ? m | bit : m & ~bit;
    };
    set(0x10, lines.cts);
    set(0x20, lines.dsr);
    set(0x40, lines.ri);
    set(0x80, lines.dcd);
    this.hostModem = m;
    this.refreshModemInputs();
  }

  // --- Registers ------------------------------------------------------------------------------

  private read(offset: number): number {
    switch (offset) {
      case 0:
        if (this.lcr & 0x80) return this.divisor & 0xff;
        return this.readRbr();
      case 1:
        if (this.lcr & 0x80) return this.divisor >>> 8;
        return this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = this.lsr;
        this.lsr &= ~LSR_ERRORS;
        this.updateIrq();
        return v;
      }
      case 6: {
        const v = this.modemInputs | this.msrDeltas;
        this.msrDeltas = 0;
        this.updateIrq();
        return v;
      }
      default:
        return this.scr;
    }
  }

  private write(offset: number, value: number): void {
    switch (offset) {
      case 0:
        if (this.lcr & 0x80) {
          this.divisor = (this.divisor & 0xff00) | value;
          return;
        }
        this.writeThr(value);
        return;
      case 1: {
        if (this.lcr & 0x80) {
          this.divisor = (this.divisor & 0x00ff) | (value << 8);
          return;
        }
        const old = this.ier;
        this.ier = value & 0x0f;
        // Enabling the THRE interrupt while THR is empty raises it again, even if an IIR read had
        // cleared it before (Linux's 8250 probe checks for this re-assertion).
        if ((this.ier ^ old) & IER_THRE) this.thrInterrupt = (this.ier & IER_THRE) !== 0 && (this.lsr & LSR_THRE) !== 0;
        this.updateIrq();
        return;
      }
      case 2:
        this.writeFcr(value);
        return;
      case 3:
        this.lcr = value;
        return;
      case 4: {
        const wasLoop = this.mcr & MCR_LOOP;
        this.mcr = value & 0x1f;
        if (wasLoop && !(this.mcr & MCR_LOOP)) this.drainTx();
        this.refreshModemInputs();
        return;
      }
      case 5:
        return; // LSR is read-only (factory test writes are ignored)
      case 6:
        return;
      default:
        this.scr = value;
    }
  }

  private fifoEnabled(): boolean {
    return (this.fcr & 1) !== 0;
  }

  private rxCapacity(): number {
    return this.fifoEnabled() ? FIFO_SIZE : 1;
  }

  private readRbr(): number {
    if (this.rxCount > 0) {
      this.lastRbr = this.rx[this.rxHead];
      this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
      this.rxCount--;
    } else if (this.fifoEnabled()) this.lastRbr = 0; // an empty FIFO reads as 0 (as QEMU)
    if (this.rxCount === 0) this.lsr &= ~LSR_DR;
    this.timeoutInterrupt = false;
    this.armTimeout();
    this.updateIrq();
    return this.lastRbr;
  }

  private readIir(): number {
    const id = this.interruptId();
    if (id === IIR_THRE) this.thrInterrupt = false; // reading IIR acknowledges THRE
    const v = id | (this.fifoEnabled() ? 0xc0 : 0);
    this.updateIrq();
    return v;
  }

  /** Highest-priority pending, enabled interrupt source. */
  private interruptId(): number {
    if (this.ier & IER_RLS && this.lsr & LSR_ERRORS) return IIR_RLS;
    if (this.ier & IER_RDA) {
      if (this.timeoutInterrupt && this.rxCount > 0) return IIR_TIMEOUT;
      if (this.rxCount > 0 && this.rxCount >= this.rxTrigger()) return IIR_RDA;
    }
    if (this.ier & IER_THRE && this.thrInterrupt) return IIR_THRE;
    if (this.ier & IER_MS && this.msrDeltas) return IIR_MS;
    return IIR_NONE;
  }

  private rxTrigger(): number {
    return this.fifoEnabled() ? RX_TRIGGER[this.fcr >>> 6] : 1;
  }

  private writeFcr(value: number): void {
    const enabling = (value & 1) !== (this.fcr & 1);
    if (enabling || value & 0x02) {
      this.rxHead = this.rxCount = 0;
      this.lsr &= ~LSR_DR;
      this.timeoutInterrupt = false;
      this.timeoutDeadline = Infinity;
    }
    if (enabling || value & 0x04) {
      this.txHead = this.txCount = 0;
      this.lsr |= LSR_THRE | LSR_TEMT;
    }
    this.fcr = value & 0xc9;
    this.updateIrq();
  }

  private writeThr(value: number): void {
    this.thrInterrupt = false;
    // THRE already reads as full once the FIFO (or holding register) is occupied; a guest that stops
    // waiting (Linux's console gives up after 10 ms) still loses nothing up to the backlog size.
    if (this.txCount < TX_BACKLOG) {
      this.tx[(this.txHead + this.txCount) % TX_BACKLOG] = value;
      this.txCount++;
    } else if (!this.backlogWarned) {
      this.backlogWarned = true;
      this.ctx.log("warn", this.name, `transmit backlog of ${TX_BACKLOG} bytes full while the host holds output; dropping`);
    }
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.drainTx();
    this.updateIrq();
  }

  /** Sends queued bytes out (to the host, or back into the receiver in loopback). */
  private drainTx(): void {
    const loop = (this.mcr & MCR_LOOP) !== 0;
    while (this.txCount > 0 && (loop || !this.hostBlocked)) {
      const byte = this.tx[this.txHead];
      this.txHead = (this.txHead + 1) % TX_BACKLOG;
      this.txCount--;
      if (loop) {
        if (this.rxCount < this.rxCapacity()) this.pushRx(byte);
        else {
          this.lsr |= LSR_OE; // overrun: a full FIFO drops the new byte, a lone RBR is overwritten
          if (!this.fifoEnabled()) this.rx[this.rxHead] = byte;
        }
      } else {
        for (const l of this.listeners) l(byte);
      }
    }
    if (this.txCount === 0 && (this.lsr & LSR_THRE) === 0) {
      this.lsr |= LSR_THRE | LSR_TEMT;
      this.thrInterrupt = true;
    }
    this.updateIrq();
  }

  private pushRx(byte: number): void {
    this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
    this.rxCount++;
    this.lsr |= LSR_DR;
    this.armTimeout();
    this.updateIrq();
  }

  /** Four character times at the current line settings. */
  private characterTimeNs(): number {
    const dataBits = 5 + (this.lcr & 3);
    const stopBits = this.lcr & 4 ? (dataBits === 5 ? 1.5 : 2) : 1;
    const parity = this.lcr & 8 ? 1 : 0;
    const bits = 1 + dataBits + parity + stopBits;
    const divisor = this.divisor === 0 ? 0x10000 : this.divisor;
    return (bits * divisor * 1e9) / INPUT_CLOCK_HZ;
  }

  private armTimeout(): void {
    if (this.fifoEnabled() && this.rxCount > 0) {
      this.timeoutDeadline = this.ctx.clock.now() + 4 * this.characterTimeNs();
      this.ctx.rescheduleTimer(this);
    } else this.timeoutDeadline = Infinity;
  }

  tick(nowNs: number): number {
    if (nowNs >= this.timeoutDeadline) {
      this.timeoutDeadline = Infinity;
      if (this.rxCount > 0) {
        this.timeoutInterrupt = true;
        this.updateIrq();
      }
    }
    return this.timeoutDeadline;
  }

  private refreshModemInputs(): void {
    let inputs: number;
    if (this.mcr & MCR_LOOP) {
      // Loopback: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
      inputs =
        (this.mcr & MCR_RTS ? 0x10 : 0) | (this.mcr & MCR_DTR ? 0x20 : 0) | (this.mcr & MCR_OUT1 ? 0x40 : 0) | (this.mcr & MCR_OUT2 ? 0x80 : 0);
    } else inputs = this.hostModem;
    const changed = inputs ^ this.modemInputs;
    if (changed & 0x10) this.msrDeltas |= 0x01;
    if (changed & 0x20) this.msrDeltas |= 0x02;
    if (changed & 0x40 && !(inputs & 0x40)) this.msrDeltas |= 0x04; // trailing edge of RI
    if (changed & 0x80) this.msrDeltas |= 0x08;
    this.modemInputs = inputs;
    this.updateIrq();
  }

  private updateIrq(): void {
    // On a PC, OUT2 gates the UART's interrupt onto the ISA bus; in loopback OUT2 is disconnected.
    const gated = (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    const level = gated && this.interruptId() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.irq.setIrq(this.irqLine, level);
    }
  }

  /** Marks a break received from the host side (LSR BI). */
  receiveBreak(): void {
    this.lsr |= LSR_BI;
    this.updateIrq();
  }

  // --- State ----------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<Uart16550>("uart16550", 1, {
    ier: range(0, 0x0f),
    lcr: u8(),
    mcr: range(0, 0x1f),
    lsr: u8(),
    msrDeltas: range(0, 0x0f),
    scr: u8(),
    fcr: u8(),
    divisor: u16(),
    thrInterrupt: bool(),
    timeoutInterrupt: bool(),
    /** Time left until the receive timeout fires, -1 = not armed. */
    timeoutRemainingNs: f64({
      min: -1,
      get: (u: Uart16550) => (u.timeoutDeadline === Infinity ? -1 : Math.max(0, u.timeoutDeadline - u.ctx.clock.now())),
      set: (u: Uart16550, ns: number) => void (u.timeoutDeadline = ns < 0 ? Infinity : u.ctx.clock.now() + ns),
    }),
    lastRbr: u8(),
    hostModem: u8(),
    modemInputs: u8(),
    rx: typed(Uint8Array, FIFO_SIZE),
    rxHead: range(0, FIFO_SIZE - 1),
    rxCount: range(0, FIFO_SIZE),
    tx: typed(Uint8Array, TX_BACKLOG),
    txHead: range(0, TX_BACKLOG - 1),
    txCount: range(0, TX_BACKLOG),
  });

  saveState(): SavedState {
    return Uart16550.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Uart16550.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Uart16550.STATE.load(this, state);
    this.irqLevel = false;
    this.ctx.irq.setIrq(this.irqLine, false);
    this.updateIrq();
    this.ctx.rescheduleTimer(this);
  }
}
