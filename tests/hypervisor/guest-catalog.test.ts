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
