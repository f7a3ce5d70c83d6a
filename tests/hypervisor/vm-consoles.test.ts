// Which console panes the dashboard shows for a VM: those of the cards its machine was built with.
// A card moved to a running VM reaches its machine only after a restart, and until then the VM
// has no console for it (an empty pane would never show anything).

import { describe, expect, it } from "vitest";
import { Hypervisor, type GuestLauncher } from "../../src/hypervisor/hypervisor.ts";
import { toyResources } from "./toy-resources.ts";

/** Guests that start at once and never run: only the hypervisor's bookkeeping is under test. */
const launcher: GuestLauncher = {
  launch(_spec, events) {
    queueMicrotask(() => events.started({ type: "started" }));
    return { terminate: () => {} };
  },
};


const toy = (name: string, cards: string[]) => ({ name, guest: { kind: "catalog" as const, guestId: "toy" }, memoryMiB: 16, share: 100, capPercent: 100, cards });

describe("VM consoles", () => {
  it("follow the cards a VM owns before it first runs", async () => {
    const hv = new Hypervisor(launcher, toyResources);
    const vm = await hv.createVm(toy("idle", hv.freeCards(["vga", "ps2"])), false);
    expect(vm.consoles).toEqual({ serial: false, vga: true });
  });

  it("stay those of the running machine when a card moves, and change with the restart", async () => {
    const hv = new Hypervisor(launcher, toyResources);
    const linux = (await hv.createVm(toy("linux", hv.freeCards(["vga", "serial", "ps2"])), true)).id;
    const memtest = (await hv.createVm(toy("memtest", hv.freeCards(["vga", "ps2"])), true)).id;
    const consoles = (id: string) => hv.list().find((v) => v.id === id)!.consoles;
    const serialCard = hv.list().find((v) => v.id === linux)!.cards.find((c) => c.kind === "serial")!.id;

    hv.moveCard(serialCard, linux, memtest);
    expect(consoles(memtest)).toEqual({ serial: false, vga: true });
    expect(consoles(linux)).toEqual({ serial: true, vga: true });

    await hv.reset(memtest);
    await hv.reset(linux);
    expect(consoles(memtest)).toEqual({ serial: true, vga: true });
    expect(consoles(linux)).toEqual({ serial: false, vga: true });
  });
});
