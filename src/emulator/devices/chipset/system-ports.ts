// Miscellaneous motherboard ports every PC has:
// - 0x61 system control port B: bit 0 PIT channel 2 gate, bit 1 speaker data enable, bits 2-3 parity
//   / I/O channel check enables (stored), bit 4 refresh request toggle, bit 5 PIT OUT2, bits 6-7 NMI
//   sources (never set: this board has no parity or channel check errors).
// - 0x80 POST diagnostic code (also the classic I/O delay port): last byte written, readable back.
// - 0x92 system control port A: bit 0 fast reset (0 -> 1 requests a reset), bit 1 fast A20 gate.

import type { DeviceContext, Device } from "../../device.ts";
import type { Pit8254 } from "../timers/pit-8254.ts";
import { StateLayout, type SavedState, range, u8 } from "../../state.ts";

/** The DRAM refresh request line toggles once per refresh period (PIT channel 1's ~15 us on an AT). */
export const REFRESH_TOGGLE_NS = 15085;

export interface SystemPortsOptions {
  pit: Pit8254;
}

export class SystemPorts implements Device {
  readonly name = "system-ports";
  /** Port 0x61 bits 0-3 as written. */
  private controlB = 0;
  /** Port 0x92 bits as written (bit 1 is reported from the live A20 state). */
  private controlA = 0;
  /** Last POST code written to port 0x80. */
  postCode = 0;
  /** Called with every POST code (firmware progress, for logs). */
  onPostCode: ((code: number) => void) | null = null;
  private readonly pit: Pit8254;

  constructor(private readonly ctx: DeviceContext, options: SystemPortsOptions) {
    this.pit = options.pit;
    ctx.io.register(0x61, 1, { in8: () => this.readControlB(), out8: (_p, v) => this.writeControlB(v) }, this.name);
    ctx.io.register(0x80, 1, {
      in8: () => this.postCode,
      out8: (_p, v) => {
        this.postCode = v;
        if (this.onPostCode) this.onPostCode(v);
      },
    }, this.name);
    ctx.io.register(0x92, 1, { in8: () => this.readControlA(), out8: (_p, v) => this.writeControlA(v) }, this.name);
  }

  reset(): void {
    this.controlB = 0;
    this.controlA = 0;
    this.postCode = 0;
    this.pit.setGate2(false);
  }

  /** True while the speaker is driven by PIT channel 2 (gate and data enable both set). */
  get speakerEnabled(): boolean {
    return (this.controlB & 3) === 3;
  }

  /** The tone the speaker plays now in Hz (0 = silent). */
  speakerToneHz(): number {
    return this.speakerEnabled ? this.pit.channel2ToneHz() : 0;
  }

  private readControlB(): number {
    const refresh = Math.floor(this.ctx.clock.now() / REFRESH_TOGGLE_NS) & 1;
    return (this.controlB & 0x0f) | (refresh << 4) | (this.pit.out2() ? 0x20 : 0);
  }

  private writeControlB(value: number): void {
    this.controlB = value & 0x0f;
    this.pit.setGate2((value & 1) !== 0);
  }

  private readControlA(): number {
    return (this.controlA & ~0x02) | (this.ctx.memory.a20Enabled ? 0x02 : 0);
  }

  private writeControlA(value: number): void {
    const wasReset = this.controlA & 1;
    this.controlA = value & 0xff;
    this.ctx.memory.setA20((value & 0x02) !== 0);
    if ((value & 1) && !wasReset) {
      this.controlA &= ~1;
      this.ctx.requestReset("port 0x92 fast reset");
    }
  }

  private static readonly STATE = new StateLayout<SystemPorts>("system-ports", 1, {
    controlB: range(0, 0x0f),
    controlA: u8(),
    postCode: u8(),
  });

  saveState(): SavedState {
    return SystemPorts.STATE.save(this);
  }

  checkState(state: SavedState): void {
    SystemPorts.STATE.check(state);
  }

  loadState(state: SavedState): void {
    SystemPorts.STATE.load(this, state);
    // The PIT restores its own gate; A20 is part of memory state restored by the machine.
  }
}
