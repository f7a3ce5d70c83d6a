// The pipeline's Linux guest for whole-machine acceptance tests: machine configs for the direct
// kernel boot and the SeaBIOS → CD → ISOLINUX path, a serial transcript, typing on ttyS0 and
// running until the guest printed something. Virtual time skips idle gaps, so a run's outcome does
// not depend on host speed; only wall-clock limits do.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";

/** The built images: public/, or HYPERTAB_GUESTS, a folder with the same layout (a trial build
 *  made with `npm run guests -- --out DIR`). */
const PUBLIC = process.env.HYPERTAB_GUESTS ? resolve(process.env.HYPERTAB_GUESTS) : join(import.meta.dirname, "..", "..", "public");
export const PROMPT = "hypertab# ";
export const BANNER = "Hypertab Linux guest ready";

interface ManifestBoot {
  kind: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  cdrom?: string;
}

interface Manifest {
  guests: Record<string, { memoryMiB: number; boot: ManifestBoot }>;
  /** Kernels only tests boot (scripts/guests/pipeline.ts), e.g. "linux-pae". */
  testKernels?: Record<string, { memoryMiB: number; boot: ManifestBoot }>;
}

function publicFile(path: string): Uint8Array {
  const full = join(PUBLIC, path);
  if (!existsSync(full)) throw new Error(`${full} is missing: run \`npm run guests\` (the README's test command does)`);
  return new Uint8Array(readFileSync(full));
}

function manifest(): Manifest {
  return JSON.parse(new TextDecoder().decode(publicFile("guests/manifest.json"))) as Manifest;
}

export function linuxDirectConfig(): MachineConfig {
  const g = manifest().guests.linux;
  if (!g || g.boot.kind !== "linux") throw new Error("manifest: no direct-boot linux guest");
  return {
    memoryMiB: g.memoryMiB,
    boot: { kind: "linux", kernel: publicFile(g.boot.kernel!), initrd: publicFile(g.boot.initrd!), cmdline: g.boot.cmdline! },
    cards: [{ type: "serial", index: 0 }, { type: "vga" }, { type: "ps2" }],
  };
}

/** Debian's 686-pae kernel with the linux guest's initramfs and command line, booted directly. */
export function linuxPaeConfig(): MachineConfig {
  const k = manifest().testKernels?.["linux-pae"];
  if (!k || k.boot.kind !== "linux") throw new Error("manifest: no linux-pae test kernel: run `npm run guests`");
  return {
    memoryMiB: k.memoryMiB,
    boot: { kind: "linux", kernel: publicFile(k.boot.kernel!), initrd: publicFile(k.boot.initrd!), cmdline: k.boot.cmdline! },
    cards: [{ type: "serial", index: 0 }, { type: "vga" }, { type: "ps2" }],
  };
}

export function linuxCdConfig(): MachineConfig {
  const entry = Object.values(manifest().guests).find((g) => g.boot.kind === "firmware" && g.boot.cdrom);
  if (!entry) throw new Error("manifest: no CD guest");
  return {
    memoryMiB: entry.memoryMiB,
    bios: publicFile("bios/bios.bin"),
    vgaBios: publicFile("bios/vgabios-stdvga.bin"),
    boot: { kind: "firmware", order: ["cdrom"] },
    cards: [{ type: "serial", index: 0 }, { type: "vga" }, { type: "ps2" }, { type: "ide-cdrom", channel: 1, slave: false, image: publicFile(entry.boot.cdrom!) }],
  };
}

export class SerialTranscript {
  text = "";
  constructor(private readonly m: Machine) {
    m.serial[0]!.onTransmit((b) => (this.text += String.fromCharCode(b)));
  }

  /** Runs until `done(text)` holds; fails with the transcript's tail after `seconds` of wall time. */
  runUntil(done: (text: string) => boolean, seconds: number, what: string): void {
    const end = Date.now() + seconds * 1000;
    while (!done(this.text)) {
      if (this.m.state === "powered-off" || this.m.state === "crashed" || Date.now() > end) {
        throw new Error(`${what}: not reached (machine ${this.m.state} ${this.m.stopReason}); serial tail:\n${this.text.slice(-2000)}`);
      }
      this.m.runSlice({ maxInstructions: 2_000_000, skipIdle: true });
    }
  }

  /** Types a line on ttyS0, as fast as the receive FIFO takes it. */
  type(line: string): void {
    for (const ch of `${line}\n`) {
      for (let tries = 0; !this.m.serial[0]!.receive(ch.charCodeAt(0)); tries++) {
        if (tries > 10_000) throw new Error("the guest never drained its serial receive FIFO");
        this.m.runSlice({ maxInstructions: 100_000, skipIdle: true });
      }
    }
  }

  /** Types a line and waits for `marker` after it (make the shell compute the marker, e.g.
   *  `echo done-$((40+2))` → "done-42", so that the echoed command line cannot match). */
  command(line: string, marker: string, seconds = 300): string {
    const from = this.text.length;
    this.type(line);
    this.runUntil((t) => t.indexOf(marker, from + line.length) >= 0, seconds, `output of "${line}"`);
    return this.text.slice(from);
  }
}
