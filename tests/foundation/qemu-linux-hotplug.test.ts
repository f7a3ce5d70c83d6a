// The Linux guest's hot-plug handling (scripts/guests/hotplug.ts) on a reference PC (QEMU, whose
// PIIX4 offers ACPI PCI hot-plug, as Hypertab's will): a network card plugged into the running
// guest gets its driver from the initramfs, comes up and gets a DHCP lease (address, default
// route, resolv.conf) with the hostname from the kernel command line; unplugged, it goes and its
// DHCP client with it; another model plugged in afterwards works too.

import { describe, expect, test } from "vitest";
import { BOOT_MS, builtManifest as manifest, publicPath as pub, startQemu, type QemuSession } from "./qemu-guest.ts";

/** Runs a shell line and waits for its end marker (computed by the shell, so the echo cannot match). */
async function command(q: QemuSession, line: string, marker: string, timeoutMs = 60_000): Promise<string> {
  const from = q.serial().length;
  q.send(`${line}\n`);
  await q.waitFor(marker, timeoutMs);
  // waitFor looks at the whole transcript: wait until the marker is past this command's echo.
  const deadline = Date.now() + timeoutMs;
  while (q.serial().indexOf(marker, from + line.length) < 0) {
    if (Date.now() > deadline) throw new Error(`"${marker}" not seen after "${line}"; serial tail:\n${q.serial().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return q.serial().slice(from);
}

const waitForLease = (n: number) =>
  `i=0; until ip -4 addr show eth0 2>/dev/null | grep -q 'inet 10\\.0\\.2\\.'; do [ $i -lt 60 ] || break; sleep 1; i=$((i+1)); done; ` +
  `ip -4 addr show eth0; ip route; cat /etc/resolv.conf; lsmod; echo lease${n}-$((40+2))`;

describe.runIf(manifest)("Linux guest hot-plug in QEMU", () => {
  test("a hot-plugged NIC gets its driver and a lease; unplugged, it goes cleanly", async () => {
    const linux = manifest!.guests.linux!;
    if (linux.boot.kind !== "linux") throw new Error("linux guest is not a direct boot");
    const q = startQemu([
      "-m", String(linux.memoryMiB), "-bios", pub(manifest!.firmware.bios),
      "-kernel", pub(linux.boot.kernel), "-initrd", pub(linux.boot.initrd), "-append", `${linux.boot.cmdline} hostname=plugtest`,
      "-netdev", "user,id=n0", "-netdev", "user,id=n1",
    ]);
    try {
      await q.waitFor(linux.prompt!, BOOT_MS);
      expect(await command(q, "ip link; echo links-$((40+2))", "links-42")).not.toMatch(/^\d+: eth0:/m);

      await q.monitor("device_add e1000,netdev=n0,id=nic1,mac=52:54:00:00:00:01");
      const first = await command(q, waitForLease(1), "lease1-42", 120_000);
      expect(first).toMatch(/inet 10\.0\.2\.15\/24/);
      expect(first).toMatch(/^default via 10\.0\.2\.2 dev eth0/m);
      expect(first).toMatch(/^nameserver 10\.0\.2\.3/m);
      expect(first).toMatch(/^e1000\s/m);
      expect(await command(q, "ps; echo ps-$((40+2))", "ps-42")).toMatch(/udhcpc -f -i eth0 .*-x hostname:plugtest/);

      await q.monitor("device_del nic1");
      const gone = await command(q, "i=0; while [ -e /sys/class/net/eth0 ] && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done; ip link; ps; echo gone-$((40+2))", "gone-42", 90_000);
      expect(gone).not.toMatch(/^\d+: eth0:/m);
      expect(gone).not.toContain("udhcpc -f");

      await q.monitor("device_add ne2k_pci,netdev=n1,id=nic2,mac=52:54:00:00:00:02");
      const second = await command(q, waitForLease(2), "lease2-42", 120_000);
      expect(second).toMatch(/inet 10\.0\.2\.15\/24/);
      expect(second).toMatch(/^ne2k_pci\s/m);

      const dmesg = await command(q, "dmesg; echo dmesg-$((40+2))", "dmesg-42");
      expect(dmesg.split("\n").filter((l) => /Oops|BUG:|WARNING:|Call Trace|Unknown symbol|Kernel panic/.test(l))).toEqual([]);
      q.send("poweroff\n");
      expect(await q.exited).toBe(0);
    } finally {
      q.kill();
    }
  }, BOOT_MS + 400_000);
});
