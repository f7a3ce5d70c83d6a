// Checks a MachineConfig before anything is built. Every message names the field that is wrong and
// what was expected, so an administrator (or the dashboard) can show it as is.

import type { BootDevice, CardConfig, MachineConfig } from "./machine-config.ts";
import { isBzImage } from "./linux-boot.ts";
import { findMultibootHeader } from "./multiboot.ts";

export class MachineConfigError extends Error {
  override name = "MachineConfigError";
}

/** Floppy image sizes the controller knows a geometry for (bytes → description). */
export const FLOPPY_SIZES: ReadonlyMap<number, string> = new Map([
  [163840, "160K"],
  [184320, "180K"],
  [327680, "320K"],
  [368640, "360K"],
  [737280, "720K"],
  [1228800, "1.2M"],
  [1474560, "1.44M"],
  [2949120, "2.88M"],
]);

/** A floppy image as the drive sees it: standard sizes as they are; shorter images (boot-sector
 *  programs) padded with zeros to 1.44M (2.88M above that), as QEMU does. Returns a copy when padding. */
export function floppyMediaImage(image: Uint8Array): Uint8Array {
  if (FLOPPY_SIZES.has(image.length)) return image;
  const padded = new Uint8Array(image.length <= 1474560 ? 1474560 : 2949120);
  padded.set(image);
  return padded;
}

const MAX_DISK_BYTES = 128 * 2 ** 30; // LBA48 could go further; 128 GiB is plenty for a browser tab
const MAX_CMDLINE = 4096;

function fail(message: string): never {
  throw new MachineConfigError(message);
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

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
    validateCard(card, i, config);
    const key = cardSlot(card);
    const prev = seen.get(key);
    if (prev !== undefined) fail(`cards[${i}]: duplicate ${key} (already cards[${prev}])`);
    seen.set(key, i);
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

function cardSlot(card: CardConfig): string {
  switch (card.type) {
    case "serial":
      return `serial COM${card.index + 1}`;
    case "floppy":
      return `floppy drive ${card.drive === 0 ? "A" : "B"}`;
    case "ide-disk":
    case "ide-cdrom":
      return `IDE ${card.channel === 0 ? "primary" : "secondary"} ${card.slave ? "slave" : "master"}`;
    default:
      return card.type;
  }
}

function validateCard(card: CardConfig, i: number, config: MachineConfig): void {
  const at = `cards[${i}]`;
  if (typeof card !== "object" || card === null) fail(`${at}: must be an object`);
  switch (card.type) {
    case "serial":
      if (![0, 1, 2, 3].includes(card.index)) fail(`${at}.index: must be 0-3 (COM1-COM4), got ${String(card.index)}`);
      return;
    case "vga": {
      const v = card.vramMiB;
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 256 || (v & (v - 1)) !== 0)) {
        fail(`${at}.vramMiB: must be a power of two from 1 to 256, got ${String(v)}`);
      }
      if (config.boot.kind === "firmware" && config.vgaBios === undefined) fail(`${at}: a VGA card under firmware boot needs vgaBios`);
      return;
    }
    case "floppy":
      if (card.drive !== 0 && card.drive !== 1) fail(`${at}.drive: must be 0 (A:) or 1 (B:), got ${String(card.drive)}`);
      if (card.image !== null) {
        if (!isBytes(card.image)) fail(`${at}.image: must be a Uint8Array or null (empty drive)`);
        const len = card.image.length;
        if (!FLOPPY_SIZES.has(len) && (len === 0 || len % 512 !== 0 || len > 2949120)) {
          fail(`${at}.image: ${len} bytes is not a floppy size; accepted: ${[...FLOPPY_SIZES].map(([b, n]) => `${n} (${b})`).join(", ")}, or a shorter multiple of 512 (padded with zeros)`);
        }
      }
      return;
    case "ide-disk":
      validateIdeSlot(card, at);
      if (!isBytes(card.image)) fail(`${at}.image: must be a Uint8Array`);
      if (card.image.length === 0 || card.image.length % 512 !== 0) fail(`${at}.image: ${card.image.length} bytes is not a non-empty multiple of 512`);
      if (card.image.length > MAX_DISK_BYTES) fail(`${at}.image: larger than ${MAX_DISK_BYTES / 2 ** 30} GiB`);
      return;
    case "ide-cdrom":
      validateIdeSlot(card, at);
      if (card.image !== null) {
        if (!isBytes(card.image)) fail(`${at}.image: must be a Uint8Array or null (empty tray)`);
        if (card.image.length === 0 || card.image.length % 2048 !== 0) fail(`${at}.image: ${card.image.length} bytes is not a non-empty multiple of 2048`);
      }
      return;
    case "ps2":
    case "debug-exit":
    case "debugcon":
      return;
    default:
      fail(`${at}.type: unknown card type "${String((card as { type: unknown }).type)}"`);
  }
}

function validateIdeSlot(card: { channel: number; slave: boolean }, at: string): void {
  if (card.channel !== 0 && card.channel !== 1) fail(`${at}.channel: must be 0 (primary) or 1 (secondary), got ${String(card.channel)}`);
  if (typeof card.slave !== "boolean") fail(`${at}.slave: must be true or false`);
}

const BOOT_DEVICE_CARD: Record<BootDevice, CardConfig["type"]> = { floppy: "floppy", disk: "ide-disk", cdrom: "ide-cdrom" };

function validateBoot(config: MachineConfig): void {
  const boot = config.boot;
  if (typeof boot !== "object" || boot === null) fail("boot: must be an object");
  switch (boot.kind) {
    case "firmware": {
      if (config.bios === undefined) fail("bios: firmware boot needs bios.bin");
      if (!Array.isArray(boot.order) || boot.order.length === 0) fail("boot.order: must list at least one of floppy, disk, cdrom");
      if (boot.order.length > 3) fail(`boot.order: at most 3 entries, got ${boot.order.length}`);
      boot.order.forEach((d, i) => {
        const type = BOOT_DEVICE_CARD[d];
        if (!type) fail(`boot.order[${i}]: unknown boot device "${String(d)}" (floppy, disk or cdrom)`);
        if (boot.order.indexOf(d) !== i) fail(`boot.order[${i}]: "${d}" is listed twice`);
        if (!config.cards.some((c) => c.type === type)) fail(`boot.order[${i}]: boots from ${d} but no ${type} card is configured`);
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
