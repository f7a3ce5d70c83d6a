import { describe, expect, it } from "vitest";
import { LedgerError, ResourceLedger, defaultHostCards } from "../../src/hypervisor/resource-ledger.ts";

describe("ResourceLedger", () => {
  it("refuses a VM that would exceed the host RAM budget, saying how much is free", () => {
    const l = new ResourceLedger(1024);
    l.reserveMemory("vm1", 272);
    l.reserveMemory("vm2", 80);
    expect(l.freeMiB).toBe(672);
    expect(() => l.reserveMemory("vm3", 1040, 'VM "big"')).toThrow('VM "big" needs 1040 MiB, only 672 MiB free of the 1024 MiB host budget');
    expect(l.reservedBy("vm3")).toBe(0);
    l.reserveMemory("vm1", 944); // resizing counts the VM's own reservation as available
    expect(l.freeMiB).toBe(0);
    l.release("vm1");
    expect(l.freeMiB).toBe(944);
  });

  it("gives each card to at most one VM and moves cards as a ledger operation", () => {
    const l = new ResourceLedger(1024, defaultHostCards());
    l.setCards("vm1", ["vga-1", "com-1"]);
    expect(() => l.setCards("vm2", ["vga-1"])).toThrow(/already belongs to vm1/);
    expect(() => l.setCards("vm2", ["vga-2", "vga-2"])).toThrow(/listed twice/);
    expect(() => l.setCards("vm2", ["tape-9"])).toThrow(LedgerError);
    l.setCards("vm2", ["vga-2"]);
    expect(() => l.moveCard("com-1", "vm2", "vm1")).toThrow(/belongs to vm1, not vm2/);
    expect(() => l.moveCard("vga-1", "vm1", "vm2")).toThrow(/already has a vga card/);
    l.moveCard("com-1", "vm1", "vm2");
    expect(l.ownerOf("com-1")).toBe("vm2");
    expect(l.cardsOf("vm1").map((c) => c.id)).toEqual(["vga-1"]);
    expect(l.freeCard("vga")?.id).toBe("vga-3");
    l.release("vm2");
    expect(l.ownerOf("com-1")).toBeNull();
  });
});
