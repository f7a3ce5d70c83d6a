// The Linux guest the pipeline builds boots on a reference PC (QEMU) by direct kernel boot: banner,
// a working root shell on COM1 with /dev mounted, and power-off (ACPI S5) ending QEMU with 0.

import { describe, expect, test } from "vitest";
import { BOOT_MS, builtManifest as manifest, publicPath as pub, startQemu } from "./qemu-guest.ts";

describe.runIf(manifest)("Linux guest in QEMU", () => {
  test("direct kernel boot: banner, shell prompt, commands, power-off", async () => {
    const linux = manifest!.guests.linux!;
    if (linux.boot.kind !== "linux") throw new Error("linux guest is not a direct boot");
    const q = startQemu(["-m", String(linux.memoryMiB), "-bios", pub(manifest!.firmware.bios), "-kernel", pub(linux.boot.kernel), "-initrd", pub(linux.boot.initrd), "-append", linux.boot.cmdline]);
    try {
      await q.waitFor(linux.banner!, BOOT_MS);
      await q.waitFor(linux.prompt!, 20_000);
      q.send("echo sum=$((6*7)); grep -c devtmpfs /proc/mounts; echo end$((1+1))\n");
      await q.waitFor("end2", 20_000);
      expect(q.serial()).toMatch(/sum=42\r?\n1\r?\nend2/);
      q.send("poweroff\n");
      expect(await q.exited).toBe(0);
    } finally {
      q.kill();
    }
  }, BOOT_MS + 60_000);
});
