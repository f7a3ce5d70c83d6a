import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { assemble, collectSerial, runUntil } from "./run-helpers.ts";

function multiboot(name: string, cmdline = ""): MachineConfig {
  return { memoryMiB: 16, boot: { kind: "multiboot", kernel: assemble(name), cmdline }, cards: [{ type: "serial", index: 0 }] };
}

describe("machine: direct Multiboot boot, reset and power-off", () => {
  it("passes the command line in the Multiboot info and powers off with status 0 through ACPI S5", () => {
    const m = createMachine(multiboot("hello", "hello from the info block"));
    const out = collectSerial(m);
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("hello from the info block\n");
    expect(m.exitStatus).toBe(0);
    expect(m.stopReason).toBe("ACPI S5");
    expect(m.runSlice({ maxInstructions: 1000 }).reason).toBe("powered-off");
  });

  it("ends a slice on wall time when asked, before its instruction budget, and goes on from there", () => {
    const m = createMachine(multiboot("counter"));
    const out = collectSerial(m);
    // The counter kernel runs ~6 M instructions before it powers off: a budget far above that
    // ends on the 1 ms wall-time limit instead, at a chunk boundary.
    const r = m.runSlice({ maxInstructions: 1e12, maxWallMs: 1 });
    expect(r.reason).toBe("budget");
    expect(r.executed).toBeGreaterThan(0);
    expect(m.state).not.toBe("powered-off");
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("abcdefghijklmnopqrstuvwxyz".repeat(3) + "\n");
  });

  it("resets on port 0xCF9 and on a triple fault, keeping RAM, and reloads the kernel", () => {
    const m = createMachine(multiboot("reset"));
    const out = collectSerial(m);
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("ABC");
    expect(m.exitStatus).toBe(0);
  });

  it("isa-debug-exit stops the machine with status (v << 1) | 1", () => {
    const m = createMachine({ ...multiboot("exit"), cards: [{ type: "serial", index: 0 }, { type: "debug-exit" }] });
    const out = collectSerial(m);
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("x");
    expect(m.exitStatus).toBe(0x21);
  });

  it("an exception inside the emulator becomes state crashed with the reason, never a throw to the host", () => {
    const m = createMachine(multiboot("crashport"));
    m.io.register(0x7777, 1, { out8: () => { throw new Error("device exploded"); } }, "test-bomb");
    const out = collectSerial(m);
    let last = m.runSlice({ maxInstructions: 10_000, skipIdle: true });
    for (let i = 0; i < 10 && last.reason !== "crashed"; i++) last = m.runSlice({ maxInstructions: 10_000, skipIdle: true });
    expect(last.reason).toBe("crashed");
    expect(m.state).toBe("crashed");
    expect(m.stopReason).toMatch(/device exploded/);
    expect(out.text()).toBe("y");
    // A reset brings a crashed machine back.
    m.reset();
    expect(m.state).toBe("running");
  });

  it("delivers PIT ticks exactly on their deadlines while the guest sleeps in HLT", () => {
    // A wall clock that stands still: virtual time moves only by skipping idle gaps to the next
    // timer deadline, so the guest's tick count must match virtual time exactly.
    const m = createMachine(multiboot("pit"), { wallClock: () => 0 });
    const out = collectSerial(m);
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("....\n");
    const periodMs = (1193 / 1193182) * 1000;
    expect(m.stats().uptimeNs / 1e6).toBeCloseTo(200 * periodMs, 3);
    expect(m.stats().interrupts).toBe(200);
  });

  it("snapshots mid-run and a fresh machine restored from it continues to the same end", () => {
    const config = multiboot("counter");
    const a = createMachine(config);
    const outA = collectSerial(a);
    runUntil(a, () => outA.text().length >= 30, { slice: 20_000, tail: outA.text });
    const snap = a.saveState();
    const before = outA.text();
    runUntil(a, () => a.state === "powered-off", { tail: outA.text });

    const b = createMachine(config);
    const outB = collectSerial(b);
    b.loadState(snap);
    runUntil(b, () => b.state === "powered-off", { tail: outB.text });
    expect(before + outB.text()).toBe(outA.text());
    expect(outA.text()).toBe("abcdefghijklmnopqrstuvwxyz".repeat(3) + "\n");
  });

  it("refuses snapshots from another configuration, naming the mismatch", () => {
    const a = createMachine(multiboot("counter"));
    const b = createMachine({ ...multiboot("counter"), memoryMiB: 32 });
    expect(() => b.loadState(a.saveState())).toThrow(/different machine configuration/);
    const bad = a.saveState();
    delete (bad.fields.devices as Record<string, unknown>)["acpi-pm"];
    expect(() => a.loadState(bad)).toThrow(/no state for device "acpi-pm"/);
  });
});
