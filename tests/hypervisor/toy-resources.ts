// Guest resources for hypervisor tests: a catalog of one toy Linux guest whose files are 16 zero
// bytes (the machine is scripted or never runs, so nothing reads them).

import type { GuestResources } from "../../src/hypervisor/hypervisor.ts";
import type { VmConfig } from "../../src/hypervisor/vm-config.ts";

export const toyResources: GuestResources = {
  catalog: async () => ({
    guests: [{ id: "toy", name: "Toy", os: "", description: "", memoryMiB: 16, boot: { kind: "linux" as const, kernel: "toy/kernel", cmdline: "" } }],
    problems: [],
  }),
  file: async () => new Uint8Array(16),
  firmware: async () => ({}),
};

/** A VM of the toy guest with this name and CPU share. */
export const toy = (name: string, share: number): VmConfig => ({ name, guest: { kind: "catalog", guestId: "toy" }, memoryMiB: 16, share, capPercent: 100, cards: [] });
