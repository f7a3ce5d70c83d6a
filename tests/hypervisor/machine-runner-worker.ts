// Node worker thread hosting a GuestRunner around the real emulator (createMachine), for tests of
// the runner with real devices (UART flow control, guest-caused resets).
import { parentPort, workerData } from "node:worker_threads";
import { createMachine } from "../../src/emulator/machine.ts";
import { GuestRunner } from "../../src/hypervisor/guest-runner.ts";
import { hypervisorToGuest } from "../../src/hypervisor/wire/guest-messages.ts";

const { spec } = hypervisorToGuest.decode((workerData as { start: unknown }).start);
const runner = new GuestRunner(spec, (config) => createMachine(config), (m) => parentPort!.postMessage(m));
runner.run();
parentPort!.postMessage({ type: "runner-exited" });
