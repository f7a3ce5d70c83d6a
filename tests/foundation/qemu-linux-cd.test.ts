// The Linux CD image (ISOLINUX on ISO 9660 + El Torito) boots on a reference PC (QEMU) through
// SeaBIOS: ISOLINUX's line, the guest banner and a working shell on COM1.

import { describe, test } from "vitest";
import { BOOT_MS, builtManifest as manifest, publicPath as pub, startQemu } from "./qemu-guest.ts";

describe.runIf(manifest)("Linux CD in QEMU", () => {
  test("SeaBIOS boots ISOLINUX from the CD, then the kernel to a shell", async () => {
    const cd = manifest!.guests["linux-cd"]!;
    if (cd.boot.kind !== "firmware" || !cd.boot.cdrom) throw new Error("linux-cd guest has no CD image");
    const q = startQemu(["-m", String(cd.memoryMiB), "-bios", pub(manifest!.firmware.bios), "-cdrom", pub(cd.boot.cdrom), "-boot", "d"]);
    try {
      await q.waitFor("ISOLINUX", 60_000); // ISOLINUX's banner, on serial (SERIAL directive)
      await q.waitFor("Loading /boot/vmlinuz", 30_000);
      await q.waitFor(cd.banner!, BOOT_MS);
      await q.waitFor(cd.prompt!, 20_000);
      q.send("uname -m\n");
      await q.waitFor("i686", 20_000);
    } finally {
      q.kill();
    }
  }, BOOT_MS + 60_000);
});
