// The page's handle on the hypervisor worker (comlink control plane).

import * as Comlink from "comlink";
import type { HypervisorApi } from "../hypervisor/hypervisor-api.ts";

/** The control plane as the page sees it: VMs, snapshots, suspend, export/import, storage. */
export type Hv = Comlink.Remote<HypervisorApi>;

let client: Hv | null = null;

export function hypervisor(): Hv {
  if (!client) {
    const worker = new Worker(new URL("../../workers/hypervisor-worker.ts", import.meta.url), { type: "module", name: "hypervisor" });
    client = Comlink.wrap<HypervisorApi>(worker);
  }
  return client;
}

export { Comlink };
