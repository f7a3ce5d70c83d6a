// Guest worker: one Web Worker per VM, hosting one machine from src/emulator. The hypervisor
// worker creates it and sends a single "start" message (src/hypervisor/wire/guest-messages.ts) with
// the MachineConfig and the shared channels; from then on it is driven only through shared memory
// (control block + rings), because its thread stays inside the run loop (sleeping in Atomics.wait
// when idle) and never returns to the event loop. It reports started / crashed / powered-off /
// reset, captured states and disk writes with postMessage.

import { createMachine } from "../src/emulator/machine.ts";
import { GuestRunner } from "../src/hypervisor/guest-runner.ts";
import { hypervisorToGuest, type GuestMessage } from "../src/hypervisor/wire/guest-messages.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: GuestMessage, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

scope.onmessage = (event: MessageEvent<unknown>) => {
  scope.onmessage = null;
  hypervisorToGuest.dispatch(
    event.data,
    { start: ({ spec }) => new GuestRunner(spec, (config) => createMachine(config), post).run() },
    (problem) => post({ type: "crashed", reason: problem }),
  );
  scope.close();
};
