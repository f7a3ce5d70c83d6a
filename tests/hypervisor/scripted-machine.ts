// A scripted stand-in for the emulator's Machine, for testing the guest runner's scheduling, rings
// and crash handling in Node threads while the real CPU is being built. It burns real CPU time per
// "instruction" (so budgets and shares are measured against a real clock), sends a numbered byte
// stream on COM1 honouring setTransmitHold, and records what it receives. Never used by the product.

import type { Keyboard, Mouse, Machine, MachineStats, SerialPort, SliceResult, SlicePolicy } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import type { SavedState } from "../../src/emulator/state.ts";
import type { MachineNic } from "../../src/emulator/cards/nic.ts";
import { parseMac } from "../../src/emulator/devices/net/mac-address.ts";
import type { NicPort } from "../../src/emulator/devices/net/nic-port.ts";

/** A card that answers each frame with the same frame, source and destination swapped. */
function echoPort(mac: Uint8Array): NicPort {
  const port: NicPort = {
    mac,
    linkUp: true,
    onTransmit: null,
    counters: { txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0 },
    receive(frame) {
      if ((frame[0] & 1) !== 0) return true; // broadcasts: taken, not answered
      const reply = frame.slice();
      reply.set(frame.subarray(6, 12), 0);
      reply.set(mac, 6);
      port.counters.rxFrames++;
      port.onTransmit?.(reply);
      return true;
    },
  };
  return port;
}

export interface ScriptOptions {
  /** Bytes to send on COM1 (value = index & 0xff), a few per slice. */
  serialBytes?: number;
  /** Report "halted" after every slice (an idle guest). */
  idle?: boolean;
  /** Shared Int32Array where received input is counted: [serialIn, keys, last key code length, mouse dx sum]. */
  probe?: Int32Array;
  /** One network card with this MAC that sends every frame it receives back to its sender. */
  echoNic?: string;
}

export class ScriptedMachine implements Machine {
  readonly state = "running" as const;
  readonly stopReason = "";
  readonly exitStatus = null;
  readonly vga = null;
  private instructions = 0;
  private sent = 0;
  private held = false;
  private listener: ((b: number) => void) | null = null;
  private x = 1;
  private running = true;
  private virtualNs = 0;
  private lastWall = performance.now();
  readonly serial: SerialPort[];
  readonly keyboard: Keyboard;
  readonly mouse: Mouse;
  readonly nics: MachineNic[] = [];

  constructor(readonly config: MachineConfig, private readonly options: ScriptOptions) {
    const probe = options.probe;
    if (options.echoNic) this.nics.push({ card: "echo", model: "virtio-net", port: echoPort(parseMac(options.echoNic)!) });
    this.serial = [
      {
        onTransmit: (l) => void (this.listener = l),
        receive: () => {
          if (probe) Atomics.add(probe, 0, 1);
          return true;
        },
        setTransmitHold: (hold) => void (this.held = hold),
      },
    ];
    this.mouse = {
      move: (dx) => {
        if (probe) Atomics.add(probe, 3, dx);
      },
    };
    this.keyboard = {
      key: (code, down) => {
        if (probe && down) {
          Atomics.add(probe, 1, 1);
          Atomics.store(probe, 2, code.length);
        }
      },
    };
  }

  runSlice(policy: SlicePolicy): SliceResult {
    const now = performance.now();
    if (this.running) this.virtualNs += (now - this.lastWall) * 1e6;
    this.lastWall = now;
    let x = this.x;
    const n = Math.max(0, Math.floor(policy.maxInstructions));
    for (let i = 0; i < n; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    this.x = x;
    this.instructions += n;
    const total = this.options.serialBytes ?? 0;
    for (let i = 0; i < 256 && this.sent < total && !this.held; i++) this.listener?.(this.sent++ & 0xff);
    return { executed: n, reason: this.options.idle ? "halted" : "budget", nextDeadlineNs: this.virtualNs + 2e6 };
  }

  pause(): void {
    this.running = false;
  }

  resume(): void {
    this.running = true;
    this.lastWall = performance.now();
  }

  reset(): void {
    this.sent = 0;
  }

  onDebugcon(): void {}

  stats(): MachineStats {
    return { instructions: this.instructions, interrupts: 0, io: { reads: 0, writes: 0, unclaimedReads: 0, unclaimedWrites: 0 }, uptimeNs: this.virtualNs };
  }

  saveState(): SavedState {
    throw new Error("scripted machine has no snapshot");
  }

  loadState(): void {
    throw new Error("scripted machine has no snapshot");
  }
}
