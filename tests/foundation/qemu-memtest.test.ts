// The memtest86+ floppy boots on a reference PC (QEMU) through SeaBIOS: its VGA text screen
// (read from guest memory at 0xB8000 through QEMU's monitor) shows memtest running.

import { describe, expect, test } from "vitest";
import { BOOT_MS, builtManifest as manifest, publicPath as pub, startQemu } from "./qemu-guest.ts";

describe.runIf(manifest)("memtest86+ in QEMU", () => {
  test("SeaBIOS boots the floppy and memtest86+ draws its screen", async () => {
    const mt = manifest!.guests.memtest!;
    if (mt.boot.kind !== "firmware" || !mt.boot.floppy) throw new Error("memtest guest has no floppy");
    const q = startQemu(["-m", String(mt.memoryMiB), "-bios", pub(manifest!.firmware.bios), "-fda", pub(mt.boot.floppy), "-boot", "a"]);
    try {
      const deadline = Date.now() + BOOT_MS;
      let screen = "";
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        const dump = await q.monitor("xp /1000bx 0xb8000");
        const bytes = [...dump.matchAll(/0x([0-9a-f]{2})/g)].map((m) => parseInt(m[1]!, 16));
        // Character bytes sit at even offsets, attributes at odd ones.
        screen = bytes.filter((_, i) => i % 2 === 0).map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : " ")).join("");
        if (/Memtest86\+/.test(screen) && /Pass/.test(screen)) break;
      }
      expect(screen).toMatch(/Memtest86\+\s+v?\d/);
      expect(screen).toMatch(/Pass/);
    } finally {
      q.kill();
    }
  }, BOOT_MS + 30_000);
});
