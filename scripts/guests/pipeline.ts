// The guest-image pipeline: Debian packages in, public/bios and public/guests (with manifest.json)
// out. Every output file is checked against the manifest's SHA-256 and the package versions it was
// built from; only missing, corrupted or stale files are rebuilt, and packages are only fetched when
// something needs rebuilding.

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { candidateVersions, dependencyMatching, fetchPackage, recordOf, type PackageRecord, type ResolvedPackage } from "./debian.ts";
import { sha256, sha256File } from "./exec.ts";
import { buildInitramfs, GUEST_BANNER, GUEST_MODULES, GUEST_PROMPT, INITRAMFS_RECIPE } from "./initramfs.ts";
import { resolveModules } from "./kernel-modules.ts";
import { buildLinuxIso, LINUX_ISO_RECIPE } from "./linux-iso.ts";
import { buildMemtestFloppy } from "./memtest-floppy.ts";

export const LINUX_CMDLINE = "console=ttyS0,115200 console=tty0 earlyprintk=serial,ttyS0,115200";
export const LINUX_MEMORY_MIB = 128;
export const MANIFEST_FORMAT = 1;

export interface FileRecord {
  /** Relative to public/ (and so to the web root). */
  path: string;
  size: number;
  sha256: string;
}

export type ManifestBoot =
  | { kind: "linux"; kernel: string; initrd: string; cmdline: string }
  | { kind: "firmware"; order: ("floppy" | "disk" | "cdrom")[]; floppy?: string; disk?: string; cdrom?: string };

export interface GuestEntry {
  name: string;
  os: string;
  description: string;
  memoryMiB: number;
  packages: PackageRecord[];
  files: FileRecord[];
  boot: ManifestBoot;
  /** Text the guest prints when ready, and its shell prompt (for tests and the benchmark). */
  banner?: string;
  prompt?: string;
}

/** A kernel only the tests boot (not a catalog guest): its package, file and direct-boot recipe. */
export interface TestKernel {
  description: string;
  memoryMiB: number;
  packages: PackageRecord[];
  files: FileRecord[];
  boot: Extract<ManifestBoot, { kind: "linux" }>;
}

export interface Manifest {
  format: number;
  firmware: { name: string; packages: PackageRecord[]; files: FileRecord[]; bios: string; vgaBios: string };
  guests: Record<string, GuestEntry>;
  /** Kernels for tests, outside `guests` so that the workstation's catalog does not offer them. */
  testKernels: Record<string, TestKernel>;
  /** Per output file: what it was built from (package versions, input hashes) and its checksum. */
  build: Record<string, { inputs: string; sha256: string; size: number }>;
}

export interface PipelineOptions {
  publicDir: string;
  cacheDir: string;
  log?: (message: string) => void;
}

export interface PipelineResult {
  manifest: Manifest;
  rebuilt: string[];
  kept: string[];
  downloaded: boolean;
}

interface Output {
  path: string;
  packages: string[]; // keys into the package table
  /** Extra inputs (hashes of other outputs), known once those are settled. */
  extra?: () => string;
  build: (pkg: (key: string) => ResolvedPackage) => Uint8Array;
}

const PACKAGES: Record<string, () => string> = {
  seabios: () => "seabios",
  kernel: () => dependencyMatching("linux-image-686:i386", /^linux-image-[0-9].*-686(:i386)?$/).replace(/(:i386)?$/, ":i386"),
  kernelPae: () => dependencyMatching("linux-image-686-pae:i386", /^linux-image-[0-9].*-686-pae(:i386)?$/).replace(/(:i386)?$/, ":i386"),
  busybox: () => "busybox-static:i386",
  memtest: () => "memtest86+",
  isolinux: () => "isolinux",
  syslinux: () => "syslinux-common",
};

function readIn(pkg: ResolvedPackage, relative: string): Uint8Array {
  const path = join(pkg.root, relative);
  if (!existsSync(path)) throw new Error(`Debian package ${pkg.spec} ${pkg.version} has no ${relative}`);
  return new Uint8Array(readFileSync(path));
}

function kernelPath(pkg: ResolvedPackage): string {
  const boot = join(pkg.root, "boot");
  const name = existsSync(boot) ? readdirSync(boot).find((f) => /^vmlinuz-/.test(f)) : undefined;
  if (!name) throw new Error(`Debian package ${pkg.spec} ${pkg.version} has no /boot/vmlinuz-*`);
  return join(boot, name);
}

function loadManifest(path: string): Manifest | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    return parsed.format === MANIFEST_FORMAT && parsed.build ? parsed : null;
  } catch {
    return null;
  }
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function runGuestPipeline(options: PipelineOptions): PipelineResult {
  const log = options.log ?? ((m: string) => console.log(`[guests] ${m}`));
  const { publicDir, cacheDir } = options;
  const debDir = join(cacheDir, "debs");
  const manifestPath = join(publicDir, "guests", "manifest.json");
  const previous = loadManifest(manifestPath);

  // Local index look-ups only (no network): which package and version each output comes from.
  const specs: Record<string, string> = {};
  const candidates: Record<string, string> = {};
  for (const [key, spec] of Object.entries(PACKAGES)) specs[key] = spec();
  const versions = candidateVersions(Object.values(specs));
  for (const key of Object.keys(specs)) candidates[key] = versions.get(specs[key]!)!;
  const fetched: Record<string, ResolvedPackage> = {};
  let downloaded = false;
  const pkg = (key: string): ResolvedPackage => {
    if (!fetched[key]) {
      fetched[key] = fetchPackage(specs[key]!, debDir, log, candidates[key]);
      if (fetched[key]!.downloaded) downloaded = true;
    }
    return fetched[key]!;
  };

  const pub = (p: string) => join(publicDir, p);
  const outputs: Output[] = [
    { path: "bios/bios.bin", packages: ["seabios"], build: (p) => readIn(p("seabios"), "usr/share/seabios/bios.bin") },
    { path: "bios/vgabios-stdvga.bin", packages: ["seabios"], build: (p) => readIn(p("seabios"), "usr/share/seabios/vgabios-stdvga.bin") },
    { path: "guests/linux/vmlinuz", packages: ["kernel"], build: (p) => new Uint8Array(readFileSync(kernelPath(p("kernel")))) },
    { path: "guests/linux/vmlinuz-pae", packages: ["kernelPae"], build: (p) => new Uint8Array(readFileSync(kernelPath(p("kernelPae")))) },
    {
      // busybox, and the kernel package's modules for GUEST_MODULES.
      path: "guests/linux/initramfs.cpio.gz",
      packages: ["busybox", "kernel"],
      extra: () => `recipe=${INITRAMFS_RECIPE}`,
      build: (p) => buildInitramfs(readIn(p("busybox"), "bin/busybox"), resolveModules(p("kernel").root, GUEST_MODULES)),
    },
    {
      path: "guests/linux/linux.iso",
      packages: ["isolinux", "syslinux"],
      extra: () => `recipe=${LINUX_ISO_RECIPE} kernel=${sha256File(pub("guests/linux/vmlinuz"))} initrd=${sha256File(pub("guests/linux/initramfs.cpio.gz"))} cmdline=${LINUX_CMDLINE}`,
      build: (p) =>
        buildLinuxIso(
          {
            kernel: pub("guests/linux/vmlinuz"),
            initrd: pub("guests/linux/initramfs.cpio.gz"),
            cmdline: LINUX_CMDLINE,
            isolinuxBin: join(p("isolinux").root, "usr/lib/ISOLINUX/isolinux.bin"),
            isohybridMbr: join(p("isolinux").root, "usr/lib/ISOLINUX/isohdpfx.bin"),
            ldlinux: join(p("syslinux").root, "usr/lib/syslinux/modules/bios/ldlinux.c32"),
          },
          join(cacheDir, "iso-linux"),
        ),
    },
    { path: "guests/memtest/memtest.bin", packages: ["memtest"], build: (p) => readIn(p("memtest"), "boot/memtest86+ia32.bin") },
    {
      path: "guests/memtest/memtest-floppy.img",
      packages: ["memtest"],
      build: (p) => buildMemtestFloppy(readIn(p("memtest"), "boot/memtest86+ia32.bin")),
    },
  ];

  const build: Manifest["build"] = {};
  const packageRecords: Record<string, PackageRecord> = {};
  const rebuilt: string[] = [];
  const kept: string[] = [];
  for (const out of outputs) {
    const inputs = [...out.packages.map((k) => `${specs[k]}=${candidates[k]}`), out.extra?.() ?? ""].join(" ").trim();
    const before = previous?.build[out.path];
    const onDisk = sha256File(pub(out.path));
    if (before && before.inputs === inputs && onDisk === before.sha256) {
      build[out.path] = before;
      kept.push(out.path);
      continue;
    }
    const why = onDisk === null ? "missing" : !before ? "not in manifest" : before.inputs !== inputs ? "inputs changed" : "checksum mismatch";
    log(`building ${out.path} (${why})`);
    const data = out.build(pkg);
    writeAtomic(pub(out.path), data);
    build[out.path] = { inputs, sha256: sha256(data), size: data.length };
    rebuilt.push(out.path);
  }

  // Package records: from this run's fetches, else from the previous manifest (nothing was fetched
  // because every output was intact).
  const previousRecords = new Map<string, PackageRecord>();
  if (previous) {
    for (const r of [...previous.firmware.packages, ...Object.values(previous.guests).flatMap((g) => g.packages)])
      previousRecords.set(`${r.name}:${r.arch}`, r);
  }
  for (const key of Object.keys(PACKAGES)) {
    if (fetched[key]) packageRecords[key] = recordOf(fetched[key]!);
    else {
      const name = specs[key]!.split(":")[0]!;
      const prior = [...previousRecords.values()].find((r) => r.name === name && r.candidate === candidates[key]);
      packageRecords[key] = prior ?? { name, arch: specs[key]!.split(":")[1] ?? "", version: candidates[key]!, candidate: candidates[key]!, fallback: null, sha256: "" };
    }
  }

  const file = (path: string): FileRecord => ({ path, size: build[path]!.size, sha256: build[path]!.sha256 });
  const kernelVersion = packageRecords.kernel!.name.replace(/^linux-image-/, "");
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    firmware: {
      name: "seabios",
      packages: [packageRecords.seabios!],
      files: [file("bios/bios.bin"), file("bios/vgabios-stdvga.bin")],
      bios: "bios/bios.bin",
      vgaBios: "bios/vgabios-stdvga.bin",
    },
    guests: {
      linux: {
        name: "linux",
        os: `Debian 12 Linux ${kernelVersion} (i386) with busybox`,
        description: "Debian's i386 686 kernel booted directly, with a busybox initramfs built by Hypertab",
        memoryMiB: LINUX_MEMORY_MIB,
        packages: [packageRecords.kernel!, packageRecords.busybox!],
        files: [file("guests/linux/vmlinuz"), file("guests/linux/initramfs.cpio.gz")],
        boot: { kind: "linux", kernel: "guests/linux/vmlinuz", initrd: "guests/linux/initramfs.cpio.gz", cmdline: LINUX_CMDLINE },
        banner: GUEST_BANNER,
        prompt: GUEST_PROMPT,
      },
      "linux-cd": {
        name: "linux-cd",
        os: `Debian 12 Linux ${kernelVersion} (i386) with busybox`,
        description: "The same kernel and initramfs on an ISOLINUX CD, booted by SeaBIOS",
        memoryMiB: LINUX_MEMORY_MIB,
        packages: [packageRecords.kernel!, packageRecords.busybox!, packageRecords.isolinux!, packageRecords.syslinux!],
        files: [file("guests/linux/linux.iso")],
        boot: { kind: "firmware", order: ["cdrom"], cdrom: "guests/linux/linux.iso" },
        banner: GUEST_BANNER,
        prompt: GUEST_PROMPT,
      },
      memtest: {
        name: "memtest",
        os: `memtest86+ ${packageRecords.memtest!.version}`,
        description: "memtest86+ (32-bit) booted by SeaBIOS from a 1.44 MB floppy",
        memoryMiB: 64,
        packages: [packageRecords.memtest!],
        files: [file("guests/memtest/memtest.bin"), file("guests/memtest/memtest-floppy.img")],
        boot: { kind: "firmware", order: ["floppy"], floppy: "guests/memtest/memtest-floppy.img" },
      },
    },
    testKernels: {
      "linux-pae": {
        description: `Debian's i386 686-pae kernel (${packageRecords.kernelPae!.name}) with the linux guest's initramfs`,
        memoryMiB: LINUX_MEMORY_MIB,
        packages: [packageRecords.kernelPae!, packageRecords.busybox!],
        files: [file("guests/linux/vmlinuz-pae"), file("guests/linux/initramfs.cpio.gz")],
        boot: { kind: "linux", kernel: "guests/linux/vmlinuz-pae", initrd: "guests/linux/initramfs.cpio.gz", cmdline: LINUX_CMDLINE },
      },
    },
    build,
  };
  const text = JSON.stringify(manifest, null, 2) + "\n";
  if (!existsSync(manifestPath) || readFileSync(manifestPath, "utf8") !== text) writeAtomic(manifestPath, text);
  return { manifest, rebuilt, kept, downloaded };
}
