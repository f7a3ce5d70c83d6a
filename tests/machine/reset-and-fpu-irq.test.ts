// Machine hooks the workstation relies on: every guest-caused reset is reported through onReset
// (with its reason) and counted, and the x87's legacy FERR# error reporting reaches the guest as
// IRQ 13 (cleared through port 0xF0).

import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { MachineConfig } from "../../src/emulator/machine-config.ts";
import { assemble, collectSerial, runUntil } from "./run-helpers.ts";

function multiboot(name: string): MachineConfig {
  return { memoryMiB: 16, boot: { kind: "multiboot", kernel: assemble(name), cmdline: "" }, cards: [{ type: "serial", index: 0 }] };
}

describe("machine: reset reporting and FPU IRQ 13", () => {
  it("reports each guest-caused reset (port 0xCF9, triple fault) once, in order, with its reason", () => {
    const m = createMachine(multiboot("reset"));
    const out = collectSerial(m);
    const resets: { reason: string; output: string }[] = [];
    m.onReset((reason) => resets.push({ reason, output: out.text() }));
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("ABC");
    expect(resets.map((r) => r.output)).toEqual(["A", "AB"]); // each reported when it happened
    expect(resets[0].reason).toMatch(/port 0xCF9/);
    expect(resets[1].reason).toMatch(/triple fault/);
    expect(m.resetCount).toBe(2);
    // A reset the host asks for is not a guest reset.
    m.reset();
    expect(m.resetCount).toBe(2);
    expect(resets).toHaveLength(2);
  });

  it("reports a keyboard-controller reset (how a BIOS reboots on Ctrl+Alt+Del)", () => {
    const m = createMachine({ ...multiboot("kbc-reset"), cards: [{ type: "serial", index: 0 }, { type: "ps2" }] });
    const out = collectSerial(m);
    const reasons: string[] = [];
    m.onReset((reason) => reasons.push(reason));
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    expect(out.text()).toBe("AB");
    expect(reasons).toEqual([expect.stringMatching(/keyboard controller/)]);
    expect(m.resetCount).toBe(1);
  });

  it("raises IRQ 13 for an unmasked x87 error when CR0.NE is clear; port 0xF0 clears it", () => {
    const m = createMachine(multiboot("fpu-irq13"));
    const out = collectSerial(m);
    runUntil(m, () => m.state === "powered-off", { tail: out.text });
    // One interrupt, then main continues: no stray vector ('!'), no timeout ('T').
    expect(out.text()).toBe("ID");
    expect(m.stats().interrupts).toBe(1);
  });
});
