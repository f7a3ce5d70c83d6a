// Guest worker: one Web Worker per VM, hosting one machine from src/emulator. The hypervisor
// worker creates it and sends a single "start" message with the MachineConfig and the shared
// channels; from then on it is driven only through shared memory (control block + rings), because
// its thread stays inside the run loop (sleeping in Atomics.wait when idle) and never returns to
// the event loop. It reports started / crashed / powered-off / reset with postMessage.

import { createMachine } from "../src/emulator/machine.ts";
import { GuestRunner, type GuestMessage, type GuestRunnerSpec } from "../src/hypervisor/guest-runner.ts";

interface StartMessage {
  type: "start";
  spec: GuestRunnerSpec;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<StartMessage>) => {
  if (event.data?.type !== "start") return;
  scope.onmessage = null;
  const runner = new GuestRunner(event.data.spec, (config) => createMachine(config), (m: GuestMessage) => scope.postMessage(m));
  runner.run();
  scope.close();
};
