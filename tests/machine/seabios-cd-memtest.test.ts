import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import { floppyConfig, runUntilScreen, screen } from "./firmware-helpers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const ISO = `${ROOT}public/guests/linux/linux.iso`;
const MEMTEST = `${ROOT}public/guests/memtest/memtest-floppy.img`;

describe("SeaBIOS boots the pipeline's CD and memtest images", () => {
  it.runIf(existsSync(ISO))("El Torito from the secondary-master ATAPI drive: ISOLINUX loads the kernel and initrd", () => {
    const base = floppyConfig("bootos.img");
    const m = createMachine({
      ...base,
      memoryMiB: 128,
      boot: { kind: "firmware", order: ["cdrom"] },
      cards: [{ type: "vga" }, { type: "ps2" }, { type: "serial", index: 0 }, { type: "ide-cdrom", channel: 1, slave: false, image: new Uint8Array(readFileSync(ISO)) }],
    });
    let serial = "";
    m.serial[0].onTransmit((b) => (serial += String.fromCharCode(b)));
    runUntilScreen(m, "Probing EDD");
    expect(screen(m)).toContain("Booting from DVD/CD");
    expect(screen(m)).toContain("Loading /boot/initrd.gz...ok");
    expect(serial).toContain("ISOLINUX");
  });

  it.runIf(existsSync(MEMTEST))("memtest86+ from its floppy image draws its banner and runs a test", () => {
    const base = floppyConfig("bootos.img");
    const m = createMachine({
      ...base,
      memoryMiB: 64,
      cards: [{ type: "vga" }, { type: "ps2" }, { type: "floppy", drive: 0, image: new Uint8Array(readFileSync(MEMTEST)) }],
    });
    runUntilScreen(m, () => /Memory\s*:\s*64MB/.test(screen(m)));
    expect(screen(m)).toContain("Memtest86+");
    // A test in progress: its number and name, the range under test, and the elapsed-time field
    // moving on while it runs.
    runUntilScreen(m, () => /Test #\d+\s+\[[A-Za-z]/.test(screen(m)) && /Status: Testing/.test(screen(m)));
    runUntilScreen(m, () => /Testing: \d+[KM]B - \d+(\.\d+)?MB/.test(screen(m)));
    const elapsed = () => /Time:\s+(\d+:\d\d:\d\d)/.exec(screen(m))?.[1];
    // memtest86+ fills in the time field on its own timer tick, which need not have come yet.
    runUntilScreen(m, () => elapsed() !== undefined);
    const first = elapsed();
    runUntilScreen(m, () => elapsed() !== first);
    expect(screen(m)).toContain("Errors: 0");
  });
});
