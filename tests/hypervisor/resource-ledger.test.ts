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

  it("holds the card types' host inventory and refuses two cards that take one machine slot", () => {
    const cards = defaultHostCards();
    const count = (kind: string) => cards.filter((c) => c.kind === kind).length;
    expect([count("vga"), count("serial"), count("ps2"), count("debugcon")]).toEqual([4, 4, 4, 1]);
    expect(cards.map((c) => c.id)).toEqual(expect.arrayContaining(["vga-1", "vga-4", "com-1", "com-4", "ps2-1", "debugcon-1"]));
    const l = new ResourceLedger(1024, cards);
    expect(() => l.setCards("vm1", ["vga-1", "vga-2"], 'VM "a"')).toThrow('VM "a": cards "vga-1" and "vga-2" both take the machine\'s vga');
    expect(() => l.setCards("vm1", ["com-1", "com-2"])).toThrow(/serial COM1/);
    expect(l.cardsOf("vm1")).toEqual([]);
    expect(() => new ResourceLedger(1024, [{ id: "fd-1", kind: "floppy", label: "floppy" }])).toThrow(/"floppy" is not a kind of card the host hands out/);
  });
});
