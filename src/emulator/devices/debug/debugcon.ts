// The Bochs/QEMU debug console at port 0xE9: every byte written goes to the listeners (firmware and
// test kernels print there); reading returns 0xE9 so software can detect the port.

import type { DeviceContext, Device } from "../../device.ts";
import { StateLayout, type SavedState } from "../../state.ts";

export const DEBUGCON_PORT = 0xe9;

export class Debugcon implements Device {
  readonly name = "debugcon";
  private readonly listeners: ((byte: number) => void)[] = [];
  /** Bytes written since power-on (for the hypervisor's statistics). */
  bytesWritten = 0;

  constructor(ctx: DeviceContext) {
    ctx.io.register(DEBUGCON_PORT, 1, {
      in8: () => DEBUGCON_PORT,
      out8: (_p, v) => this.write(v),
    }, this.name);
  }

  onByte(listener: (byte: number) => void): void {
    this.listeners.push(listener);
  }

  private write(byte: number): void {
    this.bytesWritten++;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](byte);
  }

  reset(): void {}

  private static readonly STATE = new StateLayout<Debugcon>("debugcon", 1, {});

  saveState(): SavedState {
    return Debugcon.STATE.save(this);
  }

  checkState(state: SavedState): void {
    Debugcon.STATE.check(state);
  }

  loadState(state: SavedState): void {
    Debugcon.STATE.load(this, state);
  }
}
