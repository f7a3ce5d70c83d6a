// Node worker thread hosting a GuestRunner around a ScriptedMachine (see scripted-machine.ts).
import { parentPort, workerData } from "node:worker_threads";
import { GuestRunner } from "../../src/hypervisor/guest-runner.ts";
import { hypervisorToGuest } from "../../src/hypervisor/wire/guest-messages.ts";
import { ScriptedMachine, type ScriptOptions } from "./scripted-machine.ts";

const { start, script } = workerData as { start: unknown; script: ScriptOptions };
const { spec } = hypervisorToGuest.decode(start);
const runner = new GuestRunner(spec, (config) => {
  if ((script as { failCreate?: string }).failCreate) throw new Error((script as { failCreate?: string }).failCreate);
  return new ScriptedMachine(config, script);
}, (m) => parentPort!.postMessage(m));
runner.run();
parentPort!.postMessage({ type: "runner-exited" });
