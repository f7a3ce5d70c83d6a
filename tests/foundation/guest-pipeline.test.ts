// The guest-image pipeline on a copy of the built public/ folder (or HYPERTAB_GUESTS): a re-run
// downloads and rebuilds nothing; a deleted and a corrupted file are rebuilt, exactly those; the
// manifest describes each guest. Needs `npm run guests` to have run (npm test does it first).

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { sha256File } from "../../scripts/guests/exec.ts";
import { runGuestPipeline, type Manifest } from "../../scripts/guests/pipeline.ts";

const root = resolve(import.meta.dirname, "../..");
/** public/, or a trial build (`npm run guests -- --out DIR`) named by HYPERTAB_GUESTS. */
const source = process.env.HYPERTAB_GUESTS ? resolve(process.env.HYPERTAB_GUESTS) : join(root, "public");
const built = existsSync(join(source, "guests/manifest.json")) && existsSync(join(root, ".cache/debs"));
const work = mkdtempSync(join(tmpdir(), "guest-pipeline-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(built)("guest-image pipeline", () => {
  const pub = join(work, "public");
  const quiet = () => {};

  test("manifest lists each guest with files, checksums, packages and a boot recipe", () => {
    // Dereferenced: public/guests may be a symlink to a shared folder the test must not write to.
    cpSync(source, pub, { recursive: true, dereference: true });
    const m = JSON.parse(readFileSync(join(pub, "guests/manifest.json"), "utf8")) as Manifest;
    expect(Object.keys(m.guests).sort()).toEqual(["linux", "linux-cd", "memtest"]);
    for (const g of Object.values(m.guests)) {
      expect(g.packages.length).toBeGreaterThan(0);
      for (const p of g.packages) expect(p.version).toMatch(/\S/);
      for (const f of g.files) {
        expect(statSync(join(pub, f.path)).size).toBe(f.size);
        expect(sha256File(join(pub, f.path))).toBe(f.sha256);
      }
    }
    expect(m.guests.linux!.boot).toMatchObject({ kind: "linux", kernel: "guests/linux/vmlinuz", initrd: "guests/linux/initramfs.cpio.gz" });
    expect(m.guests.linux!.boot.kind === "linux" && m.guests.linux!.boot.cmdline).toMatch(/console=ttyS0.*console=tty0/);
    expect(m.guests.linux!.packages.map((p) => p.name)).toEqual([expect.stringMatching(/^linux-image-.*-686$/), "busybox-static"]);
    expect(m.guests["linux-cd"]!.boot).toEqual({ kind: "firmware", order: ["cdrom"], cdrom: "guests/linux/linux.iso" });
    expect(m.guests.memtest!.boot).toMatchObject({ kind: "firmware", order: ["floppy"] });
    expect(m.firmware.files.map((f) => f.path)).toEqual(["bios/bios.bin", "bios/vgabios-stdvga.bin"]);
    // The PAE kernel is for tests only: outside `guests`, sharing the linux guest's initramfs.
    const pae = m.testKernels["linux-pae"]!;
    expect(pae.boot).toEqual({ ...m.guests.linux!.boot, kernel: "guests/linux/vmlinuz-pae" });
    expect(pae.packages.map((p) => p.name)).toEqual([expect.stringMatching(/^linux-image-.*-686-pae$/), "busybox-static"]);
    for (const f of pae.files) expect(sha256File(join(pub, f.path))).toBe(f.sha256);
  });

  test("a second run downloads and rebuilds nothing", () => {
    const r = runGuestPipeline({ publicDir: pub, cacheDir: join(root, ".cache"), log: quiet });
    expect(r.rebuilt).toEqual([]);
    expect(r.downloaded).toBe(false);
    expect(r.kept.length).toBe(8);
  });

  test("a deleted file and a corrupted file are rebuilt, exactly those", () => {
    const mtimes = (paths: string[]) => paths.map((p) => statSync(join(pub, p)).mtimeMs);
    const untouched = ["bios/bios.bin", "guests/linux/vmlinuz", "guests/linux/linux.iso", "guests/memtest/memtest.bin"];
    const before = mtimes(untouched);
    const initrd = join(pub, "guests/linux/initramfs.cpio.gz");
    const goodInitrd = sha256File(initrd);
    const bytes = readFileSync(initrd);
    bytes[1000] ^= 0xff;
    writeFileSync(initrd, bytes);
    unlinkSync(join(pub, "guests/memtest/memtest-floppy.img"));
    const r = runGuestPipeline({ publicDir: pub, cacheDir: join(root, ".cache"), log: quiet });
    expect(r.rebuilt.sort()).toEqual(["guests/linux/initramfs.cpio.gz", "guests/memtest/memtest-floppy.img"]);
    expect(r.downloaded).toBe(false);
    expect(sha256File(initrd)).toBe(goodInitrd); // reproducible build: same bytes as before
    expect(mtimes(untouched)).toEqual(before);
  });
});
