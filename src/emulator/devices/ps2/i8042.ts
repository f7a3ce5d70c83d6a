// The Intel 8042 keyboard controller at ports 0x60 (data) and 0x64 (status/command): command byte,
// self tests, port enable/disable, set 2 → set 1 translation, the output port (A20 gate and CPU
// reset), and the keyboard (IRQ1) and auxiliary/mouse (IRQ12) channels. Responses are immediate.

import type { Device, DeviceContext } from "../../device.ts";
import { type SavedState, type StateValue, StateLayout, StateError, bool, nested, range, typed, u8 } from "../../state.ts";
import { Ps2Keyboard } from "./ps2-keyboard.ts";
import { Ps2Mouse } from "./ps2-mouse.ts";
import { SET2_TO_SET1 } from "./scancodes.ts";

export interface I8042Options {
  /** Attach a PS/2 mouse to the auxiliary port (default true). */
  mouse?: boolean;
  name?: string;
}

// Status register
const ST_OBF = 0x01;
const ST_SYS = 0x04;
const ST_A2 = 0x08;
const ST_UNLOCKED = 0x10;
const ST_AUXB = 0x20;
const ST_TIMEOUT = 0x40;
// Command byte
const CB_KBD_INT = 0x01;
const CB_AUX_INT = 0x02;
const CB_SYS = 0x04;
const CB_KBD_DISABLED = 0x10;
const CB_AUX_DISABLED = 0x20;
const CB_TRANSLATE = 0x40;
// Output port
const OP_RESET = 0x01; // active low: 0 resets the CPU
const OP_A20 = 0x02;

const REPLY_QUEUE = 16;
const FROM_AUX = 0x100;

export class I8042 implements Device {
  readonly name: string;
  readonly keyboard: Ps2Keyboard;
  readonly mouse: Ps2Mouse | null;
  private readonly ctx: DeviceContext;
  /** Controller RAM; byte 0 is the command byte. */
  private readonly ram = new Uint8Array(32);
  private status = ST_UNLOCKED;
  private outputPort = OP_RESET | OP_A20;
  private outputBuffer = 0;
  private outputFromAux = false;
  /** Controller command waiting for its data byte (0 = none). */
  private pendingCommand = 0;
  /** Replies the controller itself produced (bit 8 = appears as auxiliary data). */
  private readonly replies = new Uint16Array(REPLY_QUEUE);
  private replyCount = 0;
  /** Translation saw an F0 prefix: the next byte is a break code. */
  private translateBreak = false;
  private irq1 = false;
  private irq12 = false;

  constructor(ctx: DeviceContext, options: I8042Options = {}) {
    this.ctx = ctx;
    this.name = options.name ?? "i8042";
    this.keyboard = new Ps2Keyboard();
    this.mouse = options.mouse === false ? null : new Ps2Mouse();
    this.keyboard.onData = () => this.refill();
    if (this.mouse) this.mouse.onData = () => this.refill();
    ctx.io.register(0x60, 1, { in8: () => this.readData(), out8: (_p, v) => this.writeData(v) }, this.name);
    ctx.io.register(0x64, 1, { in8: () => this.status, out8: (_p, v) => this.writeCommand(v) }, this.name);
    this.reset();
  }

  reset(): void {
    this.ram.fill(0);
    this.ram[0] = CB_KBD_INT | CB_TRANSLATE;
    this.status = ST_UNLOCKED;
    // Reset line high, A20 per memory, bits 2-3 high, keyboard clock and data lines high (0xCF as QEMU).
    this.outputPort = 0xcd | (this.ctx.memory.a20Enabled ? OP_A20 : 0);
    this.outputBuffer = 0;
    this.outputFromAux = false;
    this.pendingCommand = 0;
    this.replyCount = 0;
    this.translateBreak = false;
    this.keyboard.reset();
    this.mouse?.reset();
    this.updateIrq();
  }

  get commandByte(): number {
    return this.ram[0];
  }

  private readData(): number {
    const v = this.outputBuffer;
    if (this.status & ST_OBF) {
      this.status &= ~(ST_OBF | ST_AUXB);
      this.updateIrq();
      this.refill();
    }
    return v;
  }

  private writeData(value: number): void {
    this.status &= ~ST_A2;
    const command = this.pendingCommand;
    this.pendingCommand = 0;
    if (command >= 0x60 && command <= 0x7f) {
      this.ram[command & 0x1f] = value;
      if (command === 0x60) {
        this.status = (this.status & ~ST_SYS) | (value & CB_SYS);
        this.refill();
        this.updateIrq();
      }
      return;
    }
    switch (command) {
      case 0xd1:
        this.writeOutputPort(value);
        return;
      case 0xd2:
        this.reply(value, false);
        return;
      case 0xd3:
        this.reply(value, true);
        return;
      case 0xd4:
        if (this.mouse) {
          this.ram[0] &= ~CB_AUX_DISABLED; // sending to the mouse re-enables its clock line, as on QEMU
          this.status &= ~ST_TIMEOUT;
          this.mouse.write(value);
        } else {
          this.status |= ST_TIMEOUT;
          this.reply(0xfe, true);
        }
        return;
    }
    this.status &= ~ST_TIMEOUT;
    this.ram[0] &= ~CB_KBD_DISABLED; // sending to the keyboard re-enables its clock line, as on QEMU
    this.keyboard.write(value);
  }

  private writeCommand(value: number): void {
    this.status |= ST_A2;
    this.pendingCommand = 0;
    if (value >= 0x20 && value <= 0x3f) {
      this.reply(this.ram[value & 0x1f], false);
      return;
    }
    if ((value >= 0x60 && value <= 0x7f) || value === 0xd1 || value === 0xd2 || value === 0xd3 || value === 0xd4) {
      this.pendingCommand = value;
      return;
    }
    if (value >= 0xf0) {
      // Pulse output port bits 0-3 low for each 0 bit in the command; bit 0 is the CPU reset line.
      if ((value & 1) === 0) this.ctx.requestReset("keyboard controller pulsed the reset line");
      return;
    }
    switch (value) {
      case 0xa1: // controller firmware version
        this.reply(0x45, false);
        return;
      case 0xa4: // password installed? no
        this.reply(0xf1, false);
        return;
      case 0xa7:
        this.ram[0] |= CB_AUX_DISABLED;
        return;
      case 0xa8:
        this.ram[0] &= ~CB_AUX_DISABLED;
        this.refill();
        return;
      case 0xa9: // auxiliary interface test: 0 = no error
        this.reply(this.mouse ? 0x00 : 0x01, false);
        return;
      case 0xaa: // controller self-test
        this.status |= ST_SYS;
        this.reply(0x55, false);
        return;
      case 0xab: // keyboard interface test
        this.reply(0x00, false);
        return;
      case 0xad:
        this.ram[0] |= CB_KBD_DISABLED;
        return;
      case 0xae:
        this.ram[0] &= ~CB_KBD_DISABLED;
        this.refill();
        return;
      case 0xc0: // input port: keyboard not inhibited, colour display
        this.reply(0x80, false);
        return;
      case 0xd0: {
        const obf = this.status & ST_OBF;
        const p = (this.outputPort & 0xcf) | (obf && !this.outputFromAux ? 0x10 : 0) | (obf && this.outputFromAux ? 0x20 : 0);
        this.reply(p, false);
        return;
      }
      case 0xdd:
        this.writeOutputPort(this.outputPort & ~OP_A20);
        return;
      case 0xdf:
        this.writeOutputPort(this.outputPort | OP_A20);
        return;
      case 0xe0: // test inputs
        this.reply(0x00, false);
        return;
      default:
        this.ctx.log("debug", this.name, `ignored controller command 0x${value.toString(16)}`);
    }
  }

  private writeOutputPort(value: number): void {
    const old = this.outputPort;
    this.outputPort = value;
    if ((old ^ value) & OP_A20) this.ctx.memory.setA20((value & OP_A20) !== 0);
    if ((value & OP_RESET) === 0) {
      this.outputPort |= OP_RESET; // the line is released when the machine resets
      this.ctx.requestReset("keyboard controller output port reset bit cleared");
    }
  }

  private reply(value: number, fromAux: boolean): void {
    if (this.replyCount < REPLY_QUEUE) this.replies[this.replyCount++] = (value & 0xff) | (fromAux ? FROM_AUX : 0);
    this.refill();
  }

  /** Loads the output buffer from the next source when it is empty. */
  private refill(): void {
    if (this.status & ST_OBF) return;
    const cb = this.ram[0];
    if (this.replyCount > 0) {
      const r = this.replies[0];
      this.replies.copyWithin(0, 1, this.replyCount);
      this.replyCount--;
      this.load(r & 0xff, (r & FROM_AUX) !== 0);
    } else if (!(cb & CB_KBD_DISABLED) && this.keyboard.hasData()) {
      let b = this.keyboard.takeByte();
      if (cb & CB_TRANSLATE) {
        if (b === 0xf0) {
          this.translateBreak = true;
          if (!this.keyboard.hasData()) return;
          b = this.keyboard.takeByte();
        }
        b = SET2_TO_SET1[b] | (this.translateBreak ? 0x80 : 0);
        this.translateBreak = false;
      }
      this.load(b, false);
    } else if (this.mouse && !(cb & CB_AUX_DISABLED) && this.mouse.hasData()) {
      this.load(this.mouse.takeByte(), true);
    }
  }

  private load(value: number, fromAux: boolean): void {
    this.outputBuffer = value;
    this.outputFromAux = fromAux;
    this.status = (this.status | ST_OBF) & ~ST_AUXB;
    if (fromAux) this.status |= ST_AUXB;
    this.updateIrq();
  }

  private updateIrq(): void {
    const obf = (this.status & ST_OBF) !== 0;
    const cb = this.ram[0];
    const irq1 = obf && !this.outputFromAux && (cb & CB_KBD_INT) !== 0;
    const irq12 = obf && this.outputFromAux && (cb & CB_AUX_INT) !== 0;
    if (irq1 !== this.irq1) {
      this.irq1 = irq1;
      this.ctx.irq.setIrq(1, irq1);
    }
    if (irq12 !== this.irq12) {
      this.irq12 = irq12;
      this.ctx.irq.setIrq(12, irq12);
    }
  }

  private static readonly STATE = new StateLayout<I8042>("i8042", 1, {
    ram: typed(Uint8Array, 32),
    status: u8(),
    outputPort: u8(),
    outputBuffer: u8(),
    outputFromAux: bool(),
    pendingCommand: u8(),
    replies: typed(Uint16Array, REPLY_QUEUE),
    replyCount: range(0, REPLY_QUEUE),
    translateBreak: bool(),
    keyboard: nested(Ps2Keyboard.STATE),
    mouse: nested(Ps2Mouse.STATE, { optional: true }),
  });

  saveState(): SavedState {
    return I8042.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = I8042.STATE.check(state);
    if ((f.mouse !== null) !== (this.mouse !== null)) {
      throw new StateError(`i8042: snapshot ${f.mouse !== null ? "has" : "has no"} mouse but this machine ${this.mouse ? "has" : "has no"} mouse`);
    }
    return f;
  }

  loadState(state: SavedState): void {
    I8042.STATE.apply(this, this.checkState(state));
    this.irq1 = this.irq12 = false;
    this.ctx.irq.setIrq(1, false);
    this.ctx.irq.setIrq(12, false);
    this.updateIrq();
  }
}
