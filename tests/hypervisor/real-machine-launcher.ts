// For hypervisor tests with the real emulator: a launcher that runs each guest worker's GuestRunner
// around createMachine in a Node worker thread (machine-runner-worker.ts), and guest resources that
// serve the Multiboot test kernels of tests/machine/asm by name.

import { Worker } from "node:worker_threads";
import type { GuestLauncher, GuestResources } from "../../src/hypervisor/hypervisor.ts";
import { deliverGuestMessage, type GuestStartMessage } from "../../src/hypervisor/wire/guest-messages.ts";
import { assemble } from "../machine/run-helpers.ts";

const bootstrap = new URL("./ts-worker-bootstrap.mjs", import.meta.url);
const entry = new URL("./machine-runner-worker.ts", import.meta.url).href;

/** Launches guest workers as Node threads; each is added to `workers` (the test ends them). */
export function realMachineLauncher(workers: Worker[]): GuestLauncher {
  return {
    launch({ vmId: _vmId, ...spec }, events) {
      const start: GuestStartMessage = { type: "start", spec };
      const w = new Worker(bootstrap, { workerData: { entry, start } });
      workers.push(w);
      w.on("message", (m: { type: string }) => {
        if (m.type !== "runner-exited") deliverGuestMessage(m, events);
      });
      w.on("error", (e: Error) => events.crashed({ type: "crashed", reason: `worker error: ${e.message}` }));
      return { terminate: () => void w.terminate() };
    },
  };
}

/** A catalog of Multiboot test kernels (tests/machine/asm), served by name, 16 MiB each. */
export function asmResources(...kernels: string[]): GuestResources {
  return {
    catalog: async () => ({
      guests: kernels.map((k) => ({ id: k, name: k, os: "", description: "", memoryMiB: 16, boot: { kind: "multiboot" as const, kernel: `${k}.bin`, cmdline: "" } })),
      problems: [],
    }),
    file: async (path: string) => assemble(path.replace(/\.bin$/, "")),
    firmware: async () => ({}),
  };
}
