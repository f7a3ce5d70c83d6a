// A bootable CD of the Linux guest: ISOLINUX (Debian's isolinux + syslinux-common) on ISO 9660 with
// an El Torito no-emulation boot record, made with xorriso; isohybrid MBR so it also boots as a disk.

import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, run } from "./exec.ts";

export interface LinuxIsoInputs {
  kernel: string;
  initrd: string;
  cmdline: string;
  isolinuxBin: string; // usr/lib/ISOLINUX/isolinux.bin
  isohybridMbr: string; // usr/lib/ISOLINUX/isohdpfx.bin
  ldlinux: string; // usr/lib/syslinux/modules/bios/ldlinux.c32
}

/** Bumped whenever the CD's layout or configuration changes, so the pipeline rebuilds it. */
export const LINUX_ISO_RECIPE = 2;

/** Fixed timestamp for every file and volume date, so the same inputs give the same image. */
const EPOCH = 1_700_000_000;

export function buildLinuxIso(inputs: LinuxIsoInputs, workDir: string): Uint8Array {
  if (!hasCommand("xorriso")) throw new Error("xorriso is needed to build the Linux CD image: apt-get install xorriso");
  if (/[\n\r]/.test(inputs.cmdline)) throw new Error("kernel command line must be one line");
  const stage = join(workDir, "tree");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(join(stage, "isolinux"), { recursive: true });
  mkdirSync(join(stage, "boot"), { recursive: true });
  copyFileSync(inputs.isolinuxBin, join(stage, "isolinux/isolinux.bin"));
  copyFileSync(inputs.ldlinux, join(stage, "isolinux/ldlinux.c32"));
  copyFileSync(inputs.kernel, join(stage, "boot/vmlinuz"));
  copyFileSync(inputs.initrd, join(stage, "boot/initrd.gz"));
  // SERIAL makes ISOLINUX talk on COM1 too, so a serial-only host sees the CD boot.
  const cfg = [
    "SERIAL 0 115200",
    "DEFAULT linux",
    "PROMPT 0",
    "TIMEOUT 0",
    "LABEL linux",
    "  KERNEL /boot/vmlinuz",
    "  INITRD /boot/initrd.gz",
    `  APPEND ${inputs.cmdline}`,
    "",
  ].join("\n");
  writeFileSync(join(stage, "isolinux/isolinux.cfg"), cfg);
  for (const f of ["isolinux/isolinux.bin", "isolinux/ldlinux.c32", "isolinux/isolinux.cfg", "boot/vmlinuz", "boot/initrd.gz", "isolinux", "boot", "."])
    utimesSync(join(stage, f), EPOCH, EPOCH);
  const out = join(workDir, "linux.iso");
  run(
    "xorriso",
    [
      "-as", "mkisofs",
      "-quiet",
      "-o", out,
      "-R", "-J",
      "-V", "HYPERTAB_LINUX",
      "-b", "isolinux/isolinux.bin",
      "-c", "isolinux/boot.cat",
      "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
      "-isohybrid-mbr", inputs.isohybridMbr,
      stage,
    ],
    { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } },
  );
  const image = new Uint8Array(readFileSync(out));
  rmSync(workDir, { recursive: true, force: true });
  return image;
}
