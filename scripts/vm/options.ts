// Command-line options of `npm run vm`, in QEMU's spirit, turned into a MachineConfig.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { BootDevice, CardConfig, MachineConfig } from "../../src/emulator/machine-config.ts";
import { detectKernelFormat } from "./kernel-format.ts";

export interface VmOptions {
  memMiB: number;
  bios?: string;
  vgabios?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  fda?: string;
  fdb?: string;
  hda?: string;
  hdb?: string;
  hdc?: string;
  hdd?: string;
  cdrom?: string;
  /** PNG file for the VGA screen at exit. */
  screenshot?: string;
  /** Print the VGA text screen at exit. */
  screenText: boolean;
  boot?: "a" | "c" | "d";
  timeoutSeconds?: number;
  debugcon: boolean;
  vga: boolean;
  help: boolean;
  /** Snapshot files (src/hypervisor/snapshot): resume from one; write one at exit and on Ctrl-A s. */
  loadState?: string;
  saveState?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `Usage: npm run vm -- [options]
  --mem MB            guest RAM (default 128)
  --bios FILE         SeaBIOS image (default public/bios/bios.bin when present)
  --vgabios FILE      VGA BIOS (default public/bios/vgabios-stdvga.bin when present)
  --kernel FILE       Linux bzImage or Multiboot v1 kernel (direct boot)
  --initrd FILE       initial ramdisk for a Linux kernel
  --append STRING     kernel command line
  --fda IMG, --fdb IMG  floppy image in drive A: / B:
  --hda IMG           hard disk image, primary master
  --hdb IMG           hard disk image, primary slave
  --hdc IMG           hard disk image, secondary master
  --hdd IMG           hard disk image, secondary slave
  --cdrom IMG         CD image (secondary master, the position of --hdc)
  --boot a|c|d        boot from floppy, disk or CD first
  --timeout SECONDS   stop after this many wall-clock seconds (exit 124)
  --debugcon          print port 0xE9 bytes to stderr
  --no-vga            no VGA card
  --screenshot FILE   save the VGA screen as PNG when the guest stops
  --screen-text       print the VGA text screen to stdout when the guest stops
  --load-state FILE   resume a snapshot file (it carries the machine: no other machine option)
  --save-state FILE   write a snapshot file when the runner exits, and on Ctrl-A s
COM1 is on stdin/stdout (raw mode on a TTY; Ctrl-A x quits, Ctrl-A s saves the state).
Exit status: isa-debug-exit (port 0xF4) value V -> (V<<1)|1, ACPI power-off -> 0,
timeout -> 124, guest crash -> 120, emulator not ready -> 122, bad image/config -> 66,
usage error -> 64.`;

/** Drive options and the IDE position (channel, slave) or floppy drive each one takes, as in QEMU. */
export const DISK_POSITIONS = {
  hda: { channel: 0, slave: false },
  hdb: { channel: 0, slave: true },
  hdc: { channel: 1, slave: false },
  hdd: { channel: 1, slave: true },
} as const;
const FLOPPY_DRIVES = { fda: 0, fdb: 1 } as const;
const DRIVE_OPTIONS = new Set(["fda", "fdb", "hda", "hdb", "hdc", "hdd", "cdrom"]);
const VALUE_OPTIONS = new Set(["mem", "bios", "vgabios", "kernel", "initrd", "append", ...DRIVE_OPTIONS, "boot", "timeout", "screenshot"]);
const STATE_OPTIONS = { "load-state": "loadState", "save-state": "saveState" } as const;
/** What a snapshot file brings itself: the options --load-state takes no other of. */
const MACHINE_OPTIONS = new Set(["mem", "bios", "vgabios", "kernel", "initrd", "append", ...DRIVE_OPTIONS, "boot", "debugcon", "no-vga"]);

export function parseVmArgs(argv: readonly string[]): VmOptions {
  const opts: VmOptions = { memMiB: 128, debugcon: false, vga: true, help: false, screenText: false };
  const drivesGiven = new Set<string>();
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    const name = m[1]!;
    given.add(name);
    if (name in STATE_OPTIONS) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      opts[STATE_OPTIONS[name as keyof typeof STATE_OPTIONS]] = value;
      continue;
    }
    if (name === "help" || name === "h") {
      opts.help = true;
      continue;
    }
    if (name === "debugcon") {
      opts.debugcon = true;
      continue;
    }
    if (name === "no-vga") {
      opts.vga = false;
      continue;
    }
    if (name === "screen-text") {
      opts.screenText = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (DRIVE_OPTIONS.has(name)) {
      if (drivesGiven.has(name)) throw new UsageError(`--${name} given twice: each drive position takes one image`);
      drivesGiven.add(name);
    }
    switch (name) {
      case "mem": {
        const mb = Number(value.replace(/[mM]$/, ""));
        if (!Number.isInteger(mb) || mb < 1 || mb > 3584) throw new UsageError(`--mem must be a whole number of MiB from 1 to 3584, got "${value}"`);
        opts.memMiB = mb;
        break;
      }
      case "timeout": {
        const s = Number(value);
        if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${value}"`);
        opts.timeoutSeconds = s;
        break;
      }
      case "boot":
        if (value !== "a" && value !== "c" && value !== "d") throw new UsageError(`--boot must be a, c or d, got "${value}"`);
        opts.boot = value;
        break;
      default:
        (opts as unknown as Record<string, string>)[name] = value;
    }
  }
  const shaping = [...given].filter((n) => MACHINE_OPTIONS.has(n));
  if (opts.loadState !== undefined && shaping.length) throw new UsageError(`--load-state resumes the machine the file describes: drop --${shaping.join(", --")}`);
  if (opts.loadState !== undefined) return opts;
  if (opts.initrd && !opts.kernel) throw new UsageError("--initrd needs --kernel");
  if (opts.append !== undefined && !opts.kernel) throw new UsageError("--append needs --kernel");
  if (opts.cdrom !== undefined && opts.hdc !== undefined)
    throw new UsageError("--cdrom and --hdc both want the secondary master (QEMU puts -cdrom at hdc): give one of them");
  if (!opts.vga && (opts.screenshot !== undefined || opts.screenText)) throw new UsageError("--screenshot and --screen-text need the VGA card (drop --no-vga)");
  if (!opts.help && !opts.kernel && ![...DRIVE_OPTIONS].some((d) => opts[d as keyof VmOptions] !== undefined))
    throw new UsageError("nothing to boot: give --kernel, --fda, --fdb, --hda, --hdb, --hdc, --hdd or --cdrom");
  return opts;
}

function readInput(path: string, what: string): Uint8Array {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`${what} file not found: ${path}`);
  return new Uint8Array(readFileSync(full));
}

const BOOT_LETTER: Record<"a" | "c" | "d", BootDevice> = { a: "floppy", c: "disk", d: "cdrom" };

/** Builds the machine description; `defaultsDir` is where default firmware is looked for. */
export function buildMachineConfig(opts: VmOptions, defaultsDir: string): MachineConfig {
  const biosPath = opts.bios ?? (existsSync(resolve(defaultsDir, "bios.bin")) ? resolve(defaultsDir, "bios.bin") : undefined);
  const vgaPath = opts.vgabios ?? (existsSync(resolve(defaultsDir, "vgabios-stdvga.bin")) ? resolve(defaultsDir, "vgabios-stdvga.bin") : undefined);
  const cards: CardConfig[] = [{ type: "serial", index: 0 }, { type: "ps2" }, { type: "debug-exit" }];
  if (opts.vga) cards.push({ type: "vga" });
  if (opts.debugcon) cards.push({ type: "debugcon" });
  for (const [name, drive] of Object.entries(FLOPPY_DRIVES)) {
    const file = opts[name as keyof typeof FLOPPY_DRIVES];
    if (file) cards.push({ type: "floppy", drive, image: readInput(file, `--${name}`) });
  }
  for (const [name, at] of Object.entries(DISK_POSITIONS)) {
    const file = opts[name as keyof typeof DISK_POSITIONS];
    if (file) cards.push({ type: "ide-disk", ...at, image: readInput(file, `--${name}`) });
  }
  if (opts.cdrom) cards.push({ type: "ide-cdrom", ...DISK_POSITIONS.hdc, image: readInput(opts.cdrom, "--cdrom") });
  const hasFloppy = Object.keys(FLOPPY_DRIVES).some((name) => opts[name as keyof typeof FLOPPY_DRIVES]);
  const hasDisk = Object.keys(DISK_POSITIONS).some((name) => opts[name as keyof typeof DISK_POSITIONS]);

  let boot: MachineConfig["boot"];
  if (opts.kernel) {
    const kernel = readInput(opts.kernel, "--kernel");
    const format = detectKernelFormat(kernel, opts.kernel);
    if (format === "bzimage") {
      boot = { kind: "linux", kernel, cmdline: opts.append ?? "", ...(opts.initrd ? { initrd: readInput(opts.initrd, "--initrd") } : {}) };
    } else {
      if (opts.initrd) throw new UsageError("--initrd is only for Linux kernels (this one is Multiboot)");
      boot = { kind: "multiboot", kernel, cmdline: opts.append ?? "" };
    }
  } else {
    const present: BootDevice[] = [];
    if (hasFloppy) present.push("floppy");
    if (hasDisk) present.push("disk");
    if (opts.cdrom) present.push("cdrom");
    const first = opts.boot ? BOOT_LETTER[opts.boot] : undefined;
    if (first && !present.includes(first)) throw new UsageError(`--boot ${opts.boot}: no ${first} image given`);
    const order = first ? [first, ...present.filter((d) => d !== first)] : present;
    if (!biosPath) throw new UsageError("booting from a disk needs --bios (or run npm run guests for public/bios/bios.bin)");
    boot = { kind: "firmware", order };
  }

  return {
    memoryMiB: opts.memMiB,
    ...(biosPath ? { bios: readInput(biosPath, "--bios") } : {}),
    ...(vgaPath && opts.vga ? { vgaBios: readInput(vgaPath, "--vgabios") } : {}),
    boot,
    cards,
  };
}
