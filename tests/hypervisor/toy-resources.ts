// Guest resources for hypervisor tests: a catalog of one toy Linux guest whose files are 16 zero
// bytes (the machine is scripted or never runs, so nothing reads them).

import type { GuestResources } from "../../src/hypervisor/hypervisor.ts";

export const toyResources: GuestResources = {
  catalog: async () => ({
    guests: [{ id: "toy", name: "Toy", os: "", description: "", memoryMiB: 16, boot: { kind: "linux" as const, kernel: "toy/kernel", cmdline: "" } }],
    problems: [],
  }),
  file: async () => new Uint8Array(16),
  firmware: async () => ({}),
};
