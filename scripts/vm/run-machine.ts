// Runs one machine headless on the calling Node thread until the guest exits, powers off, crashes
// or a timeout passes. Importable so tests and the benchmark drive it the way `npm run vm` does.

import type { Machine, SliceResult } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";

/** Exit statuses. Guest-chosen isa-debug-exit statuses are always odd; ours are even. */
export const EXIT_POWER_OFF = 0;
export const EXIT_USAGE = 64;
/** The machine could not be built from the config (bad kernel or disk image, invalid config). */
export const EXIT_BAD_CONFIG = 66;
export const EXIT_CRASHED = 120;
export const EXIT_NOT_READY = 122;
export const EXIT_TIMEOUT = 124;
export const EXIT_STOPPED = 126;

export type RunEnd = "debug-exit" | "power-off" | "crashed" | "timeout" | "not-ready" | "bad-config" | "stopped";

export interface RunOutcome {
  status: number;
  end: RunEnd;
  message: string;
  instructions: number;
  wallSeconds: number;
}

export interface RunMachineOptions {
  config: MachineConfig;
  /** Defaults to src/emulator/machine.ts's createMachine (loaded lazily). */
  createMachine?: (config: MachineConfig) => Machine;
  timeoutSeconds?: number;
  /** COM1 output. */
  onSerial?: (byte: number) => void;
  /** Port 0xE9 output. */
  onDebugcon?: (byte: number) => void;
  /** Called once the machine exists (e.g. to watch the serial output and stop early). */
  onStart?: (machine: Machine, control: RunControl) => void;
  /** Called after every slice (e.g. to move network frames: LocalNetwork.pump). */
  afterSlice?: () => void;
  /** Instructions per slice (default 1,000,000). */
  sliceInstructions?: number;
  /** A debugger holding the machine (the GDB stub, scripts/vm/gdb-server.ts). */
  hold?: RunHold;
}

/** Run control by a debugger: no slice runs while `holding`; each slice's result is reported. */
export interface RunHold {
  readonly holding: boolean;
  /** Resolves when `holding` may have changed, or after `ms`. */
  wait(ms: number): Promise<void>;
  sliceDone(result: SliceResult): void;
}

export interface RunControl {
  /** Queue host → guest bytes for COM1 (delivered as the FIFO has room). */
  input(bytes: Uint8Array | string): void;
  /** End the run with end="stopped" (status EXIT_STOPPED unless given). */
  stop(message?: string, status?: number): void;
}

const MAX_INPUT_BACKLOG = 1 << 20;
/** Give the event loop (stdin, timers) a turn at least this often while the guest computes. */
const YIELD_EVERY_MS = 20;
const MAX_IDLE_SLEEP_MS = 10;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

export async function runMachine(options: RunMachineOptions): Promise<RunOutcome> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let machine: Machine;
  try {
    const create = options.createMachine ?? (await import("../../src/emulator/machine.ts")).createMachine;
    machine = create(options.config);
  } catch (e) {
    const err = e as Error;
    if (err.name === "EmulatorNotReadyError")
      return { status: EXIT_NOT_READY, end: "not-ready", message: `Hypertab cannot boot this yet: ${err.message}`, instructions: 0, wallSeconds: elapsed() };
    // Config validation and boot-image loaders name what is wrong; report that, not a stack trace.
    return { status: EXIT_BAD_CONFIG, end: "bad-config", message: `cannot build the machine: ${err.name}: ${err.message}`, instructions: 0, wallSeconds: elapsed() };
  }

  const inputQueue: number[] = [];
  let inputHead = 0;
  const stopRequest: { message: string; status: number; requested: boolean } = { message: "", status: EXIT_STOPPED, requested: false };
  const encoder = new TextEncoder();
  const control: RunControl = {
    input(bytes) {
      const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
      if (inputQueue.length - inputHead + data.length > MAX_INPUT_BACKLOG) return; // host flood: drop
      for (const b of data) inputQueue.push(b);
    },
    stop(message = "stopped by the host", status = EXIT_STOPPED) {
      if (stopRequest.requested) return;
      stopRequest.requested = true;
      stopRequest.message = message;
      stopRequest.status = status;
    },
  };
  const com1 = machine.serial[0];
  if (com1 && options.onSerial) com1.onTransmit(options.onSerial);
  if (options.onDebugcon) machine.onDebugcon(options.onDebugcon);
  options.onStart?.(machine, control);

  const slice = { maxInstructions: options.sliceInstructions ?? 1_000_000 };
  const deadline = options.timeoutSeconds !== undefined ? performance.now() + options.timeoutSeconds * 1000 : Infinity;
  let lastYield = performance.now();
  const finish = (status: number, end: RunEnd, message: string): RunOutcome => ({
    status,
    end,
    message,
    instructions: machine.stats().instructions,
    wallSeconds: elapsed(),
  });

  const timedOut = () => finish(EXIT_TIMEOUT, "timeout", `timeout: ${options.timeoutSeconds} s passed without the guest exiting`);

  for (;;) {
    if (com1) {
      while (inputHead < inputQueue.length && com1.receive(inputQueue[inputHead]!)) inputHead++;
      if (inputHead > 4096 && inputHead === inputQueue.length) {
        inputQueue.length = 0;
        inputHead = 0;
      }
    }
    const hold = options.hold;
    if (hold?.holding) {
      if (stopRequest.requested) return finish(stopRequest.status, "stopped", stopRequest.message);
      if (performance.now() >= deadline) return timedOut();
      await hold.wait(MAX_IDLE_SLEEP_MS * 10);
      lastYield = performance.now();
      continue;
    }
    const result = machine.runSlice(slice);
    hold?.sliceDone(result);
    options.afterSlice?.();
    if (result.reason === "powered-off") {
      const status = machine.exitStatus ?? EXIT_POWER_OFF;
      const isDebugExit = /debug-exit/i.test(machine.stopReason);
      return finish(status, isDebugExit ? "debug-exit" : "power-off", machine.stopReason || "powered off");
    }
    if (result.reason === "crashed") return finish(EXIT_CRASHED, "crashed", `guest crashed: ${machine.stopReason || "unknown reason"}`);
    if (stopRequest.requested) return finish(stopRequest.status, "stopped", stopRequest.message);
    const now = performance.now();
    if (now >= deadline) return timedOut();
    if (result.reason === "halted") {
      const waitNs = result.nextDeadlineNs - machine.stats().uptimeNs;
      const waitMs = Math.min(MAX_IDLE_SLEEP_MS, Math.max(0, waitNs / 1e6));
      await (waitMs >= 1 ? sleep(waitMs) : yieldTurn());
      lastYield = performance.now();
    } else if (now - lastYield >= YIELD_EVERY_MS) {
      await yieldTurn();
      lastYield = performance.now();
    }
  }
}
