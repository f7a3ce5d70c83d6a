import { describe, expect, it } from "vitest";
import { parseGuestManifest, pickDefaultGuests } from "../../src/hypervisor/guest-catalog.ts";

describe("guest manifest parsing", () => {
  it("understands direct Linux boot and media boot entries and reports the rest", () => {
    const c = parseGuestManifest({
      guests: {
        linux: { name: "Debian Linux 6.1", os: "Linux", boot: { kind: "linux", kernel: "linux/vmlinuz", initrd: { path: "linux/initramfs.cpio.gz" }, cmdline: "console=ttyS0" } },
        memtest: { name: "memtest86+", boot: { kind: "floppy", image: "memtest/memtest.img" } },
        evil: { boot: { kind: "linux", kernel: "../../etc/passwd" } },
        odd: { boot: { kind: "tape" } },
      },
    });
    expect(c.guests.map((g) => g.id)).toEqual(["linux", "memtest"]);
    expect(c.guests[0].boot).toEqual({ kind: "linux", kernel: "linux/vmlinuz", initrd: "linux/initramfs.cpio.gz", cmdline: "console=ttyS0" });
    expect(c.guests[1].boot).toEqual({ kind: "media", media: "floppy", image: "memtest/memtest.img" });
    expect(c.problems).toHaveLength(2);
    const d = pickDefaultGuests(c);
    expect(d.linux?.id).toBe("linux");
    expect(d.memtest?.id).toBe("memtest");
    expect(() => parseGuestManifest("nope")).toThrow(/not a JSON object/);
  });
});

describe("the pipeline's manifest format (format 1)", () => {
  it("reads direct Linux boot and firmware boot from a floppy or CD", () => {
    const c = parseGuestManifest({
      format: 1,
      firmware: { bios: "bios/bios.bin", vgaBios: "bios/vgabios-stdvga.bin" },
      guests: {
        linux: {
          name: "linux", os: "Debian 12 Linux 6.1.0-50-686 (i386) with busybox", memoryMiB: 128, prompt: "hypertab# ", banner: "Hypertab Linux guest ready",
          files: [{ path: "guests/linux/vmlinuz", size: 1, sha256: "x" }],
          boot: { kind: "linux", kernel: "guests/linux/vmlinuz", initrd: "guests/linux/initramfs.cpio.gz", cmdline: "console=ttyS0,115200 console=tty0" },
        },
        "linux-cd": { name: "linux-cd", os: "Debian", memoryMiB: 128, boot: { kind: "firmware", order: ["cdrom"], cdrom: "guests/linux/linux.iso" } },
        memtest: { name: "memtest", os: "memtest86+ 6.10-4", memoryMiB: 64, boot: { kind: "firmware", order: ["floppy"], floppy: "guests/memtest/memtest-floppy.img" } },
      },
    });
    expect(c.problems).toEqual([]);
    const [linux, cd, memtest] = c.guests;
    expect(linux).toMatchObject({ name: "Debian 12 Linux 6.1.0-50-686", memoryMiB: 128, prompt: "hypertab# " });
    expect(linux.boot).toEqual({ kind: "linux", kernel: "linux/vmlinuz", initrd: "linux/initramfs.cpio.gz", cmdline: "console=ttyS0,115200 console=tty0" });
    expect(cd.boot).toEqual({ kind: "media", media: "cdrom", image: "linux/linux.iso" });
    expect(memtest).toMatchObject({ name: "memtest86+ 6.10-4", boot: { kind: "media", media: "floppy", image: "memtest/memtest-floppy.img" } });
    expect(pickDefaultGuests(c)).toMatchObject({ linux: { id: "linux" }, memtest: { id: "memtest" } });
  });
});
