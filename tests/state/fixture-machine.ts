// The machine the state fixtures are made on and loaded into: SeaBIOS + VGA BIOS booting the FreeDOS
// floppy from the shared guest folder, 4 MiB of RAM, with virtual time tied to retired instructions
// (100 per virtual microsecond) so a run is the same on every host.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createMachine, type PcMachineType } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { floppyConfig, GUESTS, screen } from "../machine/firmware-helpers.ts";

export const FIXTURE_IMAGE = "freedos-boot-1440k.img";
export const FIXTURE_MEMORY_MIB = 4;

export function fixtureConfig(): MachineConfig {
  return { ...floppyConfig(FIXTURE_IMAGE), memoryMiB: FIXTURE_MEMORY_MIB };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function fixtureImageSha256(): string {
  return sha256(readFileSync(`${GUESTS}/${FIXTURE_IMAGE}`));
}

/** A machine whose virtual clock follows its own instruction count (deterministic). */
export function createFixtureMachine(config: MachineConfig = fixtureConfig()): Machine & PcMachineType {
  let instructions = (): number => 0;
  const m = createMachine(config, { wallClock: () => instructions() / 100_000, jit: false });
  instructions = () => m.cpu.instructionCount;
  return m;
}

/** FreeCOM's "ver" has answered and the prompt is back on the last written line. */
export function versionAnswered(m: ReturnType<typeof createFixtureMachine>): () => boolean {
  return () => {
    const lines = screen(m).split("\n").filter((l) => l.trim() !== "");
    return lines.some((l) => l.includes("FreeCom version")) && /^A:\\>\s*$/.test(lines[lines.length - 1] ?? "");
  };
}
