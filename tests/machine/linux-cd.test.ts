// Acceptance (issue 4, item 2): the same kernel boots the long way — SeaBIOS → the pipeline's CD
// image (El Torito) → ISOLINUX → kernel + initrd → busybox shell on ttyS0, which answers a command.

import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import { BANNER, PROMPT, SerialTranscript, linuxCdConfig } from "./linux-guest.ts";

const BOOT_SECONDS = 1500;

describe("Debian's 686 kernel through SeaBIOS and ISOLINUX from the CD", () => {
  it("reaches the shell prompt and answers", () => {
    const m = createMachine(linuxCdConfig());
    const serial = new SerialTranscript(m);
    serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
    expect(serial.text).toContain("ISOLINUX");
    expect(serial.text).toContain("Linux version 6.1");
    expect(serial.text).toContain(BANNER);
    const out = serial.command("cat /proc/cmdline; echo cd-$((40+2))", "cd-42");
    expect(out).toContain("console=ttyS0");
  }, BOOT_SECONDS * 1000 + 120_000);
});
