// Node worker thread hosting a GuestRunner around a ScriptedMachine (see scripted-machine.ts).
import { parentPort, workerData } from "node:worker_threads";
import { GuestRunner, type GuestRunnerSpec } from "../../src/hypervisor/guest-runner.ts";
import { ScriptedMachine, type ScriptOptions } from "./scripted-machine.ts";

const { spec, script } = workerData as { spec: GuestRunnerSpec; script: ScriptOptions };
const runner = new GuestRunner(spec, (config) => {
  if ((script as { failCreate?: string }).failCreate) throw new Error((script as { failCreate?: string }).failCreate);
  return new ScriptedMachine(config, script);
}, (m) => parentPort!.postMessage(m));
runner.run();
parentPort!.postMessage({ type: "runner-exited" });
