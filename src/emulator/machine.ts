// Assembles a machine from a validated MachineConfig. (Being built: see issue 4.)

import type { Machine } from "./machine-api.ts";
import type { MachineConfig } from "./machine-config.ts";

export class EmulatorNotReadyError extends Error {
  override name = "EmulatorNotReadyError";
}

export function createMachine(_config: MachineConfig): Machine {
  throw new EmulatorNotReadyError("The Hypertab emulator cannot boot machines yet (CPU and platform are being built).");
}
