// A PS/2 mouse behind the i8042's auxiliary port: stream and remote modes, wrap mode, sample rate,
// resolution, scaling, and IntelliMouse detection (sample rates 200,100,80 → ID 3 with a wheel;
// then 200,200,80 → ID 4 with five buttons). Host motion is accumulated and sent as packets when
// the queue towards the controller has room, so fast motion is coalesced rather than lost.

import type { Mouse } from "../../machine-api.ts";
import { type SavedState, type Stateful, StateLayout, bool, choice, range, typed, u8 } from "../../state.ts";
import { PS2_ACK, PS2_RESEND, ps2QueueFields } from "./ps2-keyboard.ts";

const QUEUE_SIZE = 256;
const PS2_ERROR = 0xfc;

/** Mouse buttons bit mask for `move`: 1 left, 2 right, 4 middle, 8 fourth, 16 fifth. */
export type MouseButtons = number;

export class Ps2Mouse implements Mouse, Stateful {
  readonly name = "ps2-mouse";
  onData: () => void = () => {};
  private readonly queue = new Uint8Array(QUEUE_SIZE);
  private head = 0;
  private count = 0;
  private deviceId = 0;
  private sampleRate = 100;
  private resolution = 2;
  private scaling21 = false;
  private enabled = false;
  private remote = false;
  private wrap = false;
  private pendingCommand = 0;
  private lastSent = 0;
  /** The last three sample rates set, oldest first, for IntelliMouse detection. */
  private readonly rateHistory = new Uint8Array(3);
  private buttons = 0;
  private dx = 0;
  private dy = 0; // PS/2 convention: positive = up
  private dz = 0;
  private buttonsChanged = false;

  reset(): void {
    this.head = this.count = 0;
    this.deviceId = 0;
    this.setDefaults();
    this.wrap = false;
    this.pendingCommand = 0;
    this.lastSent = 0;
    this.rateHistory.fill(0);
    this.dx = this.dy = this.dz = 0;
    this.buttonsChanged = false;
  }

  private setDefaults(): void {
    this.sampleRate = 100;
    this.resolution = 2;
    this.scaling21 = false;
    this.enabled = false;
    this.remote = false;
  }

  /** 0 standard, 3 wheel, 4 wheel + 5 buttons: what the guest driver has switched on. */
  get id(): number {
    return this.deviceId;
  }

  get reporting(): boolean {
    return this.enabled && !this.remote && !this.wrap;
  }

  /**
   * Host motion: dx right, dy down (screen convention), dz wheel (positive = towards the user,
   * like DOM deltaY), buttons as a bit mask (1 left, 2 right, 4 middle, 8 back, 16 forward).
   */
  move(dx: number, dy: number, dz: number, buttons: MouseButtons): void {
    const clampInput = (v: number) => (Number.isFinite(v) ? Math.max(-0x10000, Math.min(0x10000, Math.trunc(v))) : 0);
    this.dx = Math.max(-0x100000, Math.min(0x100000, this.dx + clampInput(dx)));
    this.dy = Math.max(-0x100000, Math.min(0x100000, this.dy - clampInput(dy)));
    this.dz = Math.max(-0x1000, Math.min(0x1000, this.dz + clampInput(dz)));
    const b = buttons & 0x1f;
    if (b !== this.buttons) {
      this.buttons = b;
      this.buttonsChanged = true;
    }
    if (this.reporting) this.fillPackets();
  }

  hasData(): boolean {
    return this.count > 0;
  }

  takeByte(): number {
    if (this.count === 0) return 0;
    const b = this.queue[this.head];
    this.head = (this.head + 1) % QUEUE_SIZE;
    this.count--;
    this.lastSent = b;
    if (this.count === 0 && this.reporting) this.fillPackets();
    return b;
  }

  private push(b: number): void {
    if (this.count >= QUEUE_SIZE) return;
    this.queue[(this.head + this.count) % QUEUE_SIZE] = b & 0xff;
    this.count++;
  }

  private packetSize(): number {
    return this.deviceId === 0 ? 3 : 4;
  }

  /** Sends accumulated motion while there is room in the queue. */
  private fillPackets(): void {
    let sent = false;
    while ((this.dx !== 0 || this.dy !== 0 || this.dz !== 0 || this.buttonsChanged) && QUEUE_SIZE - this.count >= this.packetSize()) {
      this.sendPacket();
      sent = true;
    }
    if (sent) this.onData();
  }

  private static scale21(v: number): number {
    const a = Math.abs(v);
    const s = a <= 5 ? [0, 1, 1, 3, 6, 9][a] : a * 2;
    return v < 0 ? -s : s;
  }

  private sendPacket(): void {
    let x = Math.max(-255, Math.min(255, this.dx));
    let y = Math.max(-255, Math.min(255, this.dy));
    const z = Math.max(-8, Math.min(7, this.dz));
    this.dx -= x;
    this.dy -= y;
    this.dz -= z;
    this.buttonsChanged = false;
    if (this.scaling21 && !this.remote) {
      x = Math.max(-255, Math.min(255, Ps2Mouse.scale21(x)));
      y = Math.max(-255, Math.min(255, Ps2Mouse.scale21(y)));
    }
    const b = this.buttons;
    this.push(0x08 | (b & 0x07) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0));
    this.push(x);
    this.push(y);
    if (this.deviceId === 3) this.push(z);
    else if (this.deviceId === 4) this.push((z & 0x0f) | (b & 0x08 ? 0x10 : 0) | (b & 0x10 ? 0x20 : 0));
  }

  write(byte: number): void {
    this.handle(byte);
    this.onData();
  }

  private handle(byte: number): void {
    const pending = this.pendingCommand;
    if (pending !== 0) {
      this.pendingCommand = 0;
      if (pending === 0xf3) {
        this.sampleRate = byte;
        this.rateHistory[0] = this.rateHistory[1];
        this.rateHistory[1] = this.rateHistory[2];
        this.rateHistory[2] = byte;
        const [a, b, c] = this.rateHistory;
        if (a === 200 && b === 100 && c === 80) this.deviceId = 3;
        else if (a === 200 && b === 200 && c === 80 && this.deviceId === 3) this.deviceId = 4;
        this.push(PS2_ACK);
        return;
      }
      if (pending === 0xe8) {
        if (byte > 3) {
          this.push(PS2_ERROR);
          return;
        }
        this.resolution = byte;
        this.push(PS2_ACK);
        return;
      }
    }
    if (this.wrap && byte !== 0xec && byte !== 0xff) {
      this.push(byte); // wrap (echo) mode
      return;
    }
    if (byte !== 0xfe) this.head = this.count = 0;
    switch (byte) {
      case 0xe6:
        this.scaling21 = false;
        this.push(PS2_ACK);
        return;
      case 0xe7:
        this.scaling21 = true;
        this.push(PS2_ACK);
        return;
      case 0xe8:
      case 0xf3:
        this.pendingCommand = byte;
        this.push(PS2_ACK);
        return;
      case 0xe9: {
        this.push(PS2_ACK);
        const b = this.buttons;
        this.push((this.remote ? 0x40 : 0) | (this.enabled ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0) | (b & 1 ? 4 : 0) | (b & 4 ? 2 : 0) | (b & 2 ? 1 : 0));
        this.push(this.resolution);
        this.push(this.sampleRate);
        return;
      }
      case 0xea:
        this.remote = false;
        this.dx = this.dy = this.dz = 0;
        this.push(PS2_ACK);
        return;
      case 0xeb:
        this.push(PS2_ACK);
        this.sendPacket();
        return;
      case 0xec:
        this.wrap = false;
        this.push(PS2_ACK);
        return;
      case 0xee:
        this.wrap = true;
        this.dx = this.dy = this.dz = 0;
        this.push(PS2_ACK);
        return;
      case 0xf0:
        this.remote = true;
        this.dx = this.dy = this.dz = 0;
        this.push(PS2_ACK);
        return;
      case 0xf2:
        this.push(PS2_ACK);
        this.push(this.deviceId);
        return;
      case 0xf4:
        this.enabled = true;
        this.dx = this.dy = this.dz = 0;
        this.push(PS2_ACK);
        return;
      case 0xf5:
        this.enabled = false;
        this.push(PS2_ACK);
        return;
      case 0xf6:
        this.setDefaults();
        this.push(PS2_ACK);
        return;
      case 0xfe:
        this.push(this.lastSent);
        return;
      case 0xff:
        this.reset();
        this.push(PS2_ACK);
        this.push(0xaa);
        this.push(0x00);
        return;
      default:
        this.push(PS2_RESEND);
    }
  }

  static readonly STATE = new StateLayout<Ps2Mouse>("ps2-mouse", 1, {
    ...ps2QueueFields(QUEUE_SIZE),
    deviceId: choice([0, 3, 4]),
    sampleRate: u8(),
    resolution: range(0, 3),
    scaling21: bool(),
    enabled: bool(),
    remote: bool(),
    wrap: bool(),
    pendingCommand: u8(),
    lastSent: u8(),
    rateHistory: typed(Uint8Array, 3),
    buttons: range(0, 0x1f),
  }, {
    afterLoad: (p: Ps2Mouse) => {
        p.dx = p.dy = p.dz = 0;
        p.buttonsChanged = false;
    },
  });

  saveState(): SavedState {
    return Ps2Mouse.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Ps2Mouse.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Ps2Mouse.STATE.load(this, state);
  }
}
