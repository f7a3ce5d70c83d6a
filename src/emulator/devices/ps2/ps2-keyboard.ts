// A PS/2 (MF2) keyboard as the i8042 sees it: a byte queue towards the controller, the keyboard
// command set (reset, identify, scan-code sets 1/2/3, LEDs, typematic, enable/disable, echo,
// resend) and the host `Keyboard` API fed with KeyboardEvent.code values.

import type { Keyboard } from "../../machine-api.ts";
import { type FieldSpec, type SavedState, type Stateful, StateLayout, bool, choice, range, typed, u8 } from "../../state.ts";
import { appendScancodes, type ModifierState } from "./scancodes.ts";

const QUEUE_SIZE = 1024;
export const PS2_ACK = 0xfa;
export const PS2_RESEND = 0xfe;
const BAT_OK = 0xaa;

/** The saved byte queue towards the controller that both PS/2 devices keep (a ring of `size`). */
export function ps2QueueFields(size: number): Record<string, FieldSpec> {
  return { queue: typed(Uint8Array, size), head: range(0, size - 1), count: range(0, size) };
}

export class Ps2Keyboard implements Keyboard, Stateful {
  readonly name = "ps2-keyboard";
  /** Called whenever bytes were queued (the controller pulls them). */
  onData: () => void = () => {};
  private readonly queue = new Uint8Array(QUEUE_SIZE);
  private head = 0;
  private count = 0;
  private scanSet: 1 | 2 | 3 = 2;
  private scanning = true;
  private leds = 0;
  private typematic = 0x2b;
  /** Command waiting for its parameter byte (0 = none). */
  private pendingCommand = 0;
  private lastSent = 0;
  private readonly mods: ModifierState = { ctrl: false, alt: false, shift: false };
  private readonly scratch: number[] = [];

  reset(): void {
    this.head = this.count = 0;
    this.setDefaults();
    this.pendingCommand = 0;
    this.lastSent = 0;
  }

  private setDefaults(): void {
    this.scanSet = 2;
    this.scanning = true;
    this.typematic = 0x2b;
  }

  /** Keyboard LED bits as last set by the guest: 0 Scroll, 1 Num, 2 Caps. */
  get ledState(): number {
    return this.leds;
  }

  get scancodeSet(): 1 | 2 | 3 {
    return this.scanSet;
  }

  /** Bytes waiting to be read by the controller (hosts can hold input while this is large). */
  get queuedBytes(): number {
    return this.count;
  }

  key(code: string, down: boolean): void {
    if (code === "ControlLeft" || code === "ControlRight") this.mods.ctrl = down;
    else if (code === "AltLeft" || code === "AltRight") this.mods.alt = down;
    else if (code === "ShiftLeft" || code === "ShiftRight") this.mods.shift = down;
    if (!this.scanning) return;
    const bytes = this.scratch;
    bytes.length = 0;
    if (!appendScancodes(code, down, this.scanSet, this.mods, bytes)) return;
    if (QUEUE_SIZE - this.count < bytes.length) {
      // Keyboard buffer overrun: the real keyboard sends an overrun code in place of the key.
      if (this.count < QUEUE_SIZE) this.push(this.scanSet === 1 ? 0xff : 0x00);
    } else for (const b of bytes) this.push(b);
    this.onData();
  }

  hasData(): boolean {
    return this.count > 0;
  }

  /** The controller takes the next byte. */
  takeByte(): number {
    if (this.count === 0) return 0;
    const b = this.queue[this.head];
    this.head = (this.head + 1) % QUEUE_SIZE;
    this.count--;
    this.lastSent = b;
    return b;
  }

  private push(b: number): void {
    if (this.count >= QUEUE_SIZE) return;
    this.queue[(this.head + this.count) % QUEUE_SIZE] = b;
    this.count++;
  }

  private clearQueue(): void {
    this.head = this.count = 0;
  }

  /** A byte from the system (port 0x60 write). */
  write(byte: number): void {
    const pending = this.pendingCommand;
    if (pending !== 0) {
      this.pendingCommand = 0;
      if (this.parameter(pending, byte)) {
        this.onData();
        return;
      }
      // Not a valid parameter: the keyboard treats it as a new command.
    }
    this.command(byte);
    this.onData();
  }

  private parameter(command: number, value: number): boolean {
    switch (command) {
      case 0xed:
        if (value & 0xf8) return false;
        this.leds = value;
        this.push(PS2_ACK);
        return true;
      case 0xf3:
        if (value & 0x80) return false;
        this.typematic = value;
        this.push(PS2_ACK);
        return true;
      case 0xf0:
        if (value > 3) return false;
        this.push(PS2_ACK);
        if (value === 0) this.push(this.scanSet);
        else this.scanSet = value as 1 | 2 | 3;
        return true;
      case 0xfb:
      case 0xfc:
      case 0xfd:
        // Set-3 per-key attributes: a list of keys ended by the next command; accept and ignore.
        if (value >= 0xed) return false;
        this.push(PS2_ACK);
        this.pendingCommand = command;
        return true;
    }
    return false;
  }

  private command(byte: number): void {
    if (byte !== 0xfe) this.clearQueue();
    switch (byte) {
      case 0xed: // set LEDs
      case 0xf3: // typematic rate/delay
      case 0xf0: // get/set scan-code set
      case 0xfb:
      case 0xfc:
      case 0xfd:
        this.push(PS2_ACK);
        this.pendingCommand = byte;
        return;
      case 0xee: // echo
        this.push(0xee);
        return;
      case 0xf2: // identify: MF2 keyboard
        this.push(PS2_ACK);
        this.push(0xab);
        this.push(0x83);
        return;
      case 0xf4:
        this.scanning = true;
        this.push(PS2_ACK);
        return;
      case 0xf5:
        this.setDefaults();
        this.scanning = false;
        this.push(PS2_ACK);
        return;
      case 0xf6:
        this.setDefaults();
        this.push(PS2_ACK);
        return;
      case 0xf7:
      case 0xf8:
      case 0xf9:
      case 0xfa:
        this.push(PS2_ACK); // set-3 all-keys attributes
        return;
      case 0xfe:
        this.push(this.lastSent);
        return;
      case 0xff:
        this.setDefaults();
        this.leds = 0;
        this.push(PS2_ACK);
        this.push(BAT_OK);
        return;
      default:
        this.push(PS2_RESEND);
    }
  }

  static readonly STATE = new StateLayout<Ps2Keyboard>("ps2-keyboard", 1, {
    ...ps2QueueFields(QUEUE_SIZE),
    scanSet: choice([1, 2, 3]),
    scanning: bool(),
    leds: range(0, 7),
    typematic: u8(),
    pendingCommand: u8(),
    lastSent: u8(),
  });

  saveState(): SavedState {
    return Ps2Keyboard.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Ps2Keyboard.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Ps2Keyboard.STATE.load(this, state);
  }
}
