// Debian's 686-pae kernel (PAE paging with NX, 2 MiB and global pages, page-table isolation) with
// the pipeline's busybox initramfs, booted directly like the 686 kernel (linux-direct.test.ts):
// it reaches the shell, sees PAE and NX in CPUID, turns NX on, checks its own page tables for W+X
// mappings, boots without oopses, and continues from a snapshot (EFER and the PDPTEs are state).

import { beforeAll, describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import { BANNER, PROMPT, SerialTranscript, linuxPaeConfig } from "./linux-guest.ts";

const BOOT_SECONDS = 1500;

let m: Machine;
let serial: SerialTranscript;

beforeAll(() => {
  m = createMachine(linuxPaeConfig());
  serial = new SerialTranscript(m);
  serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
}, BOOT_SECONDS * 1000 + 60_000);

describe("Debian's 686-pae kernel, booted directly", () => {
  it("prints the PAE kernel's banner and the initramfs banner, then the prompt", () => {
    expect(serial.text).toMatch(/Linux version 6\.1\.\S+-686-pae /);
    expect(serial.text).toContain(BANNER);
  });

  it("reports pae and nx in /proc/cpuinfo", () => {
    const out = serial.command("uname -r; cat /proc/cpuinfo; echo done-$((40+2))", "done-42");
    expect(out).toMatch(/^6\.1\.\S+-686-pae\r?$/m);
    const flags = /flags\s*:(.*)/.exec(out)?.[1]?.split(/\s+/) ?? [];
    expect(flags).toContain("pae");
    expect(flags).toContain("nx");
  });

  it("has NX active, its W+X check passed and a clean dmesg", () => {
    const nx = serial.command("dmesg | grep -i -e 'NX (Execute Disable) protection: active' -e pae -e 'W+X'; echo nx-$((40+2))", "nx-42");
    expect(nx).toContain("NX (Execute Disable) protection: active");
    expect(nx).toMatch(/Linux version \S+-686-pae/);
    expect(nx).toContain("x86/mm: Checked W+X mappings: passed, no W+X pages found.");
    const out = serial.command("dmesg; echo dmesg-$((40+2))", "dmesg-42");
    expect(out).toContain("NX-protecting the kernel data");
    expect(out).toContain("Run /init as init process");
    const bad = out.split("\n").filter((l) =>
      /Oops|BUG:|WARNING:|Call Trace|Kernel panic|segfault|nobody cared|spurious|unstable|hung task/i.test(l));
    expect(bad).toEqual([]);
  });

  it("runs user programs (busybox forks and execs under PAE page tables)", () => {
    const out = serial.command("for i in 1 2 3 4 5; do ls /proc/self/ >/dev/null; done; cat /proc/meminfo | head -3; echo ran-$((40+2))", "ran-42");
    expect(out).toMatch(/MemTotal:\s+\d+ kB/);
  });

  it("continues from a snapshot in a freshly built machine", () => {
    const snap = m.saveState();
    const b = createMachine(linuxPaeConfig());
    const restored = new SerialTranscript(b);
    b.loadState(snap);
    expect(restored.command("echo restored-$((6*7))", "restored-42")).toContain("restored-42");
    expect(serial.command("echo original-$((6*7))", "original-42")).toContain("original-42");
  }, 900_000);
});
