// Acceptance (issue 4, items 1, 4 and 6): Debian's 686 kernel + the pipeline's busybox initramfs,
// booted directly (no firmware), reaches the shell on ttyS0 and answers commands; the kernel's own
// view is clean (dmesg) and its timer ticks at CONFIG_HZ; a snapshot taken at the prompt continues
// in a freshly built machine; `poweroff -f` ends with status 0 through ACPI S5.

import { beforeAll, describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import { BANNER, PROMPT, SerialTranscript, linuxDirectConfig } from "./linux-guest.ts";

/** Debian's 686 kernel is built with CONFIG_HZ=250 and CONFIG_HZ_PERIODIC. */
const HZ = 250;
const BOOT_SECONDS = 1500;

let m: Machine;
let serial: SerialTranscript;

beforeAll(() => {
  m = createMachine(linuxDirectConfig());
  serial = new SerialTranscript(m);
  serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
}, BOOT_SECONDS * 1000 + 60_000);

describe("Debian's 686 kernel, booted directly", () => {
  it("prints the kernel banner and the initramfs banner, then the prompt", () => {
    expect(serial.text).toContain("Linux version 6.1");
    expect(serial.text).toContain(BANNER);
  });

  it("answers uname, /proc/cpuinfo and ls", () => {
    const out = serial.command("uname -a; cat /proc/cpuinfo; ls /; echo done-$((40+2))", "done-42");
    expect(out).toMatch(/Linux \S+ 6\.1\.\S+ .*i686/);
    expect(out).toMatch(/vendor_id\s*:\s*GenuineIntel/);
    expect(out).toMatch(/flags\s*:.*\bsse2\b/);
    expect(out).toMatch(/\bproc\b[\s\S]*\bsys\b/);
  });

  it("has a clean dmesg: no oops, no interrupt storms, no unstable clocksource", () => {
    const out = serial.command("dmesg; echo dmesg-$((40+2))", "dmesg-42");
    expect(out).toContain("Run /init as init process");
    const bad = out.split("\n").filter((l) =>
      /Oops|BUG:|WARNING:|Call Trace|Kernel panic|nobody cared|spurious|lost \d+ interrupt|too many interrupts|unstable|watchdog.*(skew|timeout)|hung task/i.test(l));
    expect(bad).toEqual([]);
  });

  it(`ticks its local APIC timer at ${HZ} Hz of guest time`, () => {
    const sample = () => {
      const out = serial.command("grep LOC: /proc/interrupts; cat /proc/uptime; echo tick-$((40+2))", "tick-42");
      const loc = /LOC:\s+(\d+)/.exec(out);
      const up = /(\d+\.\d+)\s+\d+\.\d+/.exec(out);
      if (!loc || !up) throw new Error(`unexpected output: ${out}`);
      return { ticks: Number(loc[1]), seconds: Number(up[1]) };
    };
    const a = sample();
    serial.command("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo spun-$((40+2))", "spun-42", 600);
    const b = sample();
    const rate = (b.ticks - a.ticks) / (b.seconds - a.seconds);
    expect(b.seconds - a.seconds).toBeGreaterThan(0.5);
    expect(rate).toBeGreaterThan(HZ * 0.95);
    expect(rate).toBeLessThan(HZ * 1.05);
  }, 900_000);

  it("continues from a snapshot in a freshly built machine", () => {
    const snap = m.saveState();
    const b = createMachine(linuxDirectConfig());
    const restored = new SerialTranscript(b);
    b.loadState(snap);
    const out = restored.command("echo restored-$((6*7))", "restored-42");
    expect(out).toContain("restored-42");
    // The original is unaffected by its copy.
    expect(serial.command("echo original-$((6*7))", "original-42")).toContain("original-42");
  }, 900_000);

  it("powers off with status 0 through ACPI S5", () => {
    serial.type("poweroff -f");
    const end = Date.now() + 300_000;
    while (m.state !== "powered-off" && m.state !== "crashed" && Date.now() < end) m.runSlice({ maxInstructions: 2_000_000, skipIdle: true });
    expect(m.state).toBe("powered-off");
    expect(m.stopReason).toBe("ACPI S5");
    expect(m.exitStatus).toBe(0);
  }, 400_000);
});
