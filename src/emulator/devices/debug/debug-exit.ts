// QEMU's isa-debug-exit device at port 0xF4: a guest (usually a test) writes a value V and the
// machine powers off with exit status (V << 1) | 1, so a status is never 0 (= ACPI power-off).

import type { DeviceContext, Device } from "../../device.ts";
import { StateLayout, type SavedState } from "../../state.ts";

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements Device {
  readonly name = "debug-exit";

  constructor(ctx: DeviceContext) {
    const exit = (value: number, bits: number): void => {
      const v = bits === 32 ? value >>> 0 : value;
      const status = v * 2 + 1;
      ctx.requestPowerOff(status, `isa-debug-exit 0x${v.toString(16)}`);
    };
    ctx.io.register(DEBUG_EXIT_PORT, 1, {
      in8: () => 0xff,
      out8: (_p, v) => exit(v & 0xff, 8),
      out16: (_p, v) => exit(v & 0xffff, 16),
      out32: (_p, v) => exit(v, 32),
    }, this.name);
  }

  reset(): void {}

  private static readonly STATE = new StateLayout<DebugExit>("debug-exit", 1, {});

  saveState(): SavedState {
    return DebugExit.STATE.save(this);
  }

  checkState(state: SavedState): void {
    DebugExit.STATE.check(state);
  }

  loadState(state: SavedState): void {
    DebugExit.STATE.load(this, state);
  }
}
