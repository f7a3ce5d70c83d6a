// Checks a MachineConfig before anything is built. Every message names the field that is wrong and
// what was expected, so an administrator (or the dashboard) can show it as is.

import { CARD_TYPES, findCardType } from "./cards/registry.ts";
import type { MachineConfig } from "./machine-config.ts";
import { configFail as fail, isBytes } from "./machine-config-error.ts";
import { isBzImage } from "./linux-boot.ts";
import { findMultibootHeader } from "./multiboot.ts";

export { MachineConfigError } from "./machine-config-error.ts";

const MAX_CMDLINE = 4096;

/** Throws MachineConfigError naming the first problem; returns the config unchanged when valid. */
export function validateMachineConfig(config: MachineConfig): MachineConfig {
  if (typeof config !== "object" || config === null) fail("config: must be an object");
  const mem = config.memoryMiB;
  if (!Number.isInteger(mem) || mem < 1 || mem > 3072) fail(`memoryMiB: must be a whole number from 1 to 3072, got ${String(mem)}`);

  if (config.bios !== undefined) validateBios(config.bios);
  if (config.vgaBios !== undefined) validateVgaBios(config.vgaBios);
  if (config.sharedMemory !== undefined && typeof config.sharedMemory !== "boolean") fail("sharedMemory: must be true or false");
  if (config.apic !== undefined && typeof config.apic !== "boolean") fail("apic: must be true or false");

  if (!Array.isArray(config.cards)) fail("cards: must be an array");
  if (config.cards.length > 32) fail(`cards: at most 32 cards, got ${config.cards.length}`);
  const seen = new Map<string, number>();
  config.cards.forEach((card, i) => {
    const at = `cards[${i}]`;
    if (typeof card !== "object" || card === null) fail(`${at}: must be an object`);
    const type = findCardType(card.type);
    if (!type) fail(`${at}.type: unknown card type "${String(card.type)}"`);
    type.validate(card, at, config);
    const slot = type.slot(card);
    const prev = seen.get(slot);
    if (prev !== undefined) fail(`${at}: duplicate ${slot} (already cards[${prev}])`);
    seen.set(slot, i);
  });

  validateBoot(config);
  return config;
}

function validateBios(bios: unknown): void {
  if (!isBytes(bios)) fail("bios: must be the bytes of bios.bin (Uint8Array)");
  if (bios.length !== 128 * 1024 && bios.length !== 256 * 1024) fail(`bios: must be 128 KiB or 256 KiB, got ${bios.length} bytes`);
  // The reset vector (16 bytes below 4 GiB) must hold a jump: far JMP (EA) or near JMP (E9/EB).
  const op = bios[bios.length - 16];
  if (op !== 0xea && op !== 0xe9 && op !== 0xeb) fail(`bios: no jump at the reset vector (byte 0x${op.toString(16)} at offset 0x${(bios.length - 16).toString(16)}); not a PC BIOS image`);
}

function validateVgaBios(rom: unknown): void {
  if (!isBytes(rom)) fail("vgaBios: must be the bytes of vgabios-stdvga.bin (Uint8Array)");
  if (rom.length < 512 || rom.length > 128 * 1024) fail(`vgaBios: must be 512 bytes to 128 KiB, got ${rom.length}`);
  if (rom[0] !== 0x55 || rom[1] !== 0xaa) fail("vgaBios: no 0x55 0xAA option ROM signature");
}

function validateBoot(config: MachineConfig): void {
  const boot = config.boot;
  if (typeof boot !== "object" || boot === null) fail("boot: must be an object");
  switch (boot.kind) {
    case "firmware": {
      if (config.bios === undefined) fail("bios: firmware boot needs bios.bin");
      const bootDevices = CARD_TYPES.flatMap((t) => (t.boot ? [t.boot.device] : []));
      if (!Array.isArray(boot.order) || boot.order.length === 0) fail(`boot.order: must list at least one of ${bootDevices.join(", ")}`);
      if (boot.order.length > 3) fail(`boot.order: at most 3 entries, got ${boot.order.length}`);
      boot.order.forEach((d, i) => {
        const types = CARD_TYPES.filter((t) => t.boot?.device === d);
        if (types.length === 0) fail(`boot.order[${i}]: unknown boot device "${String(d)}" (${bootDevices.join(", ")})`);
        if (boot.order.indexOf(d) !== i) fail(`boot.order[${i}]: "${d}" is listed twice`);
        if (!config.cards.some((c) => types.some((t) => t.type === c.type))) fail(`boot.order[${i}]: boots from ${d} but no ${types.map((t) => t.type).join(" or ")} card is configured`);
      });
      return;
    }
    case "linux":
      if (!isBytes(boot.kernel)) fail("boot.kernel: must be the bzImage bytes");
      if (!isBzImage(boot.kernel)) fail("boot.kernel: not a Linux bzImage (no 0xAA55 boot flag and \"HdrS\" header)");
      if (boot.initrd !== undefined && !isBytes(boot.initrd)) fail("boot.initrd: must be a Uint8Array");
      if (boot.initrd && boot.initrd.length >= config.memoryMiB * 1048576) fail(`boot.initrd: ${boot.initrd.length} bytes do not fit in ${config.memoryMiB} MiB of RAM`);
      validateCmdline(boot.cmdline);
      return;
    case "multiboot":
      if (!isBytes(boot.kernel)) fail("boot.kernel: must be the Multiboot kernel bytes");
      if (!findMultibootHeader(boot.kernel)) fail("boot.kernel: no Multiboot v1 header in the first 8 KiB");
      validateCmdline(boot.cmdline);
      return;
    default:
      fail(`boot.kind: must be "firmware", "linux" or "multiboot", got "${String((boot as { kind: unknown }).kind)}"`);
  }
}

function validateCmdline(cmdline: unknown): void {
  if (typeof cmdline !== "string") fail("boot.cmdline: must be a string");
  if (cmdline.length > MAX_CMDLINE) fail(`boot.cmdline: ${cmdline.length} characters, at most ${MAX_CMDLINE}`);
  if (cmdline.includes("\0")) fail("boot.cmdline: must not contain NUL characters");
}
