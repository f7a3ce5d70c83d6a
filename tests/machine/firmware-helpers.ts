// Firmware-boot scaffolding: SeaBIOS + VGA BIOS from the guest pipeline (public/bios) or Debian's
// extracted copy, floppy images from the shared bring-up folder, and typing through the PS/2 keyboard.

import { existsSync, readFileSync } from "node:fs";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

function firmwareFile(name: string): Uint8Array {
  const candidates = [`${ROOT}public/bios/${name}`];
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`${name} not found (run npm run guests): looked in ${candidates.join(", ")}`);
  return new Uint8Array(readFileSync(path));
}

/** The bring-up images beside the checkout (never copied into it); HYPERTAB_GUESTS overrides. */
export const GUESTS = process.env.HYPERTAB_GUESTS ?? new URL("../../../shared/guests", import.meta.url).pathname;

export function floppyConfig(image: string): MachineConfig {
  return {
    memoryMiB: 32,
    bios: firmwareFile("bios.bin"),
    vgaBios: firmwareFile("vgabios-stdvga.bin"),
    boot: { kind: "firmware", order: ["floppy"] },
    cards: [{ type: "vga" }, { type: "ps2" }, { type: "floppy", drive: 0, image: new Uint8Array(readFileSync(`${GUESTS}/${image}`)) }],
  };
}

export function bootFloppy(image: string): Machine {
  return createMachine(floppyConfig(image));
}

export function screen(m: Machine): string {
  return m.vga!.textLines().join("\n");
}

/** Runs until the VGA text contains `text` (or `until` holds); throws with the screen otherwise. */
export function runUntilScreen(m: Machine, until: string | (() => boolean), maxSlices = 3000): void {
  const done = typeof until === "string" ? () => screen(m).includes(until) : until;
  for (let i = 0; i < maxSlices && !done(); i++) {
    if (m.state === "crashed") throw new Error(`machine crashed: ${m.stopReason}`);
    m.runSlice({ maxInstructions: 500_000, skipIdle: true });
  }
  if (!done()) throw new Error(`screen never showed ${String(until)}; screen:\n${screen(m)}`);
}

const KEY_CODES: Record<string, string> = { " ": "Space", "\r": "Enter", ".": "Period", ":": "Semicolon", "\\": "Backslash" };

/** Types ASCII text (lowercase letters, digits, space, Enter) through the PS/2 keyboard. */
export function type(m: Machine, text: string): void {
  for (const ch of text) {
    const code = KEY_CODES[ch] ?? (/[a-z]/.test(ch) ? `Key${ch.toUpperCase()}` : /[0-9]/.test(ch) ? `Digit${ch}` : null);
    if (!code) throw new Error(`cannot type ${JSON.stringify(ch)}`);
    m.keyboard!.key(code, true);
    m.runSlice({ maxInstructions: 200_000, skipIdle: true });
    m.keyboard!.key(code, false);
    m.runSlice({ maxInstructions: 200_000, skipIdle: true });
  }
}
