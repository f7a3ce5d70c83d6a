// The Linux guest's drivers are kernel modules in its initramfs (scripts/guests/initramfs.ts), loaded
// by mdev as devices appear. One boot with a blank IDE disk: the disk shows up as /dev/sda, busybox
// makes a FAT file system on it, and a file the guest writes is in the disk's bytes; the hostname
// comes from the kernel command line; the NIC drivers load without error.

import { beforeAll, describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { PROMPT, SerialTranscript, linuxDirectConfig } from "./linux-guest.ts";

const BOOT_SECONDS = 1500;
const DISK_BYTES = 4 * 2 ** 20;
const SECTOR_BYTES = 512;

let m: Machine;
let serial: SerialTranscript;
let disk: Uint8Array;

function withBlankDisk(config: MachineConfig, image: Uint8Array): MachineConfig {
  if (config.boot.kind !== "linux") throw new Error("expected the direct-boot Linux guest");
  return {
    ...config,
    boot: { ...config.boot, cmdline: `${config.boot.cmdline} hostname=disktest` },
    cards: [...config.cards, { type: "ide-disk", channel: 0, slave: false, image }],
  };
}

/** The disk as the guest sees it: the image under the copy-on-write overlay the snapshot carries. */
function diskBytes(machine: Machine, image: Uint8Array): Uint8Array {
  const overlays: { length: number; chunks: Uint32Array; data: Uint8Array }[] = [];
  const walk = (v: unknown): void => {
    if (typeof v !== "object" || v === null || ArrayBuffer.isView(v)) return;
    const o = v as Record<string, unknown>;
    if (o.length === image.length && o.chunks instanceof Uint32Array && o.data instanceof Uint8Array)
      overlays.push(o as (typeof overlays)[number]);
    else for (const child of Object.values(o)) walk(child);
  };
  walk(machine.saveState());
  if (overlays.length !== 1) throw new Error(`expected one disk overlay of ${image.length} bytes in the snapshot, found ${overlays.length}`);
  const bytes = image.slice();
  const chunkBytes = 0x10000;
  let at = 0;
  for (const chunk of overlays[0]!.chunks) {
    const size = Math.min(chunkBytes, image.length - chunk * chunkBytes);
    bytes.set(overlays[0]!.data.subarray(at, at + size), chunk * chunkBytes);
    at += size;
  }
  return bytes;
}

const contains = (haystack: Uint8Array, text: string) => Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(text, 0, "latin1");

beforeAll(() => {
  disk = new Uint8Array(DISK_BYTES);
  m = createMachine(withBlankDisk(linuxDirectConfig(), disk));
  serial = new SerialTranscript(m);
  serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
}, BOOT_SECONDS * 1000 + 60_000);

describe("the Linux guest's kernel modules", () => {
  it("finds the IDE disk as /dev/sda through ata_piix and sd_mod", () => {
    const out = serial.command(
      "i=0; while [ ! -b /dev/sda ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; cat /sys/block/sda/size; lsmod; echo disk-$((40+2))",
      "disk-42",
      600,
    );
    expect(out).toMatch(new RegExp(`^${DISK_BYTES / SECTOR_BYTES}\\s*$`, "m"));
    expect(out).toMatch(/^ata_piix\s/m);
    expect(out).toMatch(/^sd_mod\s/m);
  }, 700_000);

  it("makes a FAT file system on /dev/sda, mounts it, and the file it writes is on the disk", () => {
    const out = serial.command(
      "mkfs.vfat /dev/sda && mount /dev/sda /mnt && echo hello-from-the-guest-$((6*7)) > /mnt/hello.txt && sync && " +
        "grep sda /proc/mounts && umount /mnt && echo written-$((40+2))",
      "written-42",
      600,
    );
    expect(out).toMatch(/^\/dev\/sda \/mnt vfat /m);
    const bytes = diskBytes(m, disk);
    expect(bytes[510]).toBe(0x55); // mkdosfs wrote a boot sector
    expect(bytes[511]).toBe(0xaa);
    expect(contains(bytes, "HELLO   TXT")).toBe(true); // the 8.3 directory entry
    expect(contains(bytes, "hello-from-the-guest-42\n")).toBe(true);
    expect(disk.every((b) => b === 0)).toBe(true); // the caller's image is untouched (copy-on-write)
  }, 700_000);

  it("mounts the disk again without a type and reads the file back", () => {
    const out = serial.command("mount /dev/sda /mnt && cat /mnt/hello.txt && umount /mnt && echo read-$((40+2))", "read-42", 600);
    expect(out).toContain("hello-from-the-guest-42");
  }, 700_000);

  it("takes its hostname from the kernel command line", () => {
    expect(serial.command("hostname; echo name-$((40+2))", "name-42")).toMatch(/^disktest\s*$/m);
  });

  it("loads the NE2000, virtio-net and e1000 drivers without error", () => {
    const out = serial.command("modprobe ne2k-pci && modprobe virtio_net && modprobe e1000 && lsmod && echo loaded-$((40+2))", "loaded-42", 600);
    for (const name of ["ne2k_pci", "8390", "virtio_net", "virtio_pci", "e1000"]) expect(out, name).toMatch(new RegExp(`^${name}\\s`, "m"));
    const dmesg = serial.command("dmesg; echo dmesg-$((40+2))", "dmesg-42");
    const bad = dmesg.split("\n").filter((l) => /Oops|BUG:|WARNING:|Call Trace|Unknown symbol|disagrees about version|module verification failed|Kernel panic/i.test(l));
    expect(bad).toEqual([]);
  }, 700_000);
});
