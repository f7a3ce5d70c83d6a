// The page's handle on the hypervisor worker (comlink control plane).

import * as Comlink from "comlink";
import type { HypervisorApi } from "../hypervisor/hypervisor-api.ts";

let client: Comlink.Remote<HypervisorApi> | null = null;

export function hypervisor(): Comlink.Remote<HypervisorApi> {
  if (!client) {
    const worker = new Worker(new URL("../../workers/hypervisor-worker.ts", import.meta.url), { type: "module", name: "hypervisor" });
    client = Comlink.wrap<HypervisorApi>(worker);
  }
  return client;
}

export { Comlink };
