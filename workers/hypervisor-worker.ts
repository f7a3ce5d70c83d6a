// Hypervisor worker: the one authority for VMs. The page talks to it over comlink (control
// plane); it creates one guest worker per running VM itself (nested dedicated workers), hands each
// the shared channels, and the page gets the same channels from it to draw screens and feed input
// (data plane, no messages). It fetches guest images and firmware from the site, and keeps
// snapshots, VM definitions and disk overlays in IndexedDB (src/hypervisor/store/).

import * as Comlink from "comlink";
import { parseGuestManifest } from "../src/hypervisor/guest-catalog.ts";
import { Hypervisor, type GuestLauncher, type GuestResources } from "../src/hypervisor/hypervisor.ts";
import { SnapshotStore } from "../src/hypervisor/store/snapshot-store.ts";
import { deliverGuestMessage, type GuestStartMessage } from "../src/hypervisor/wire/guest-messages.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const origin = scope.location.origin;

async function fetchBytes(path: string, what: string): Promise<Uint8Array> {
  const res = await fetch(new URL(path, origin));
  if (!res.ok) throw new Error(`${what} not found at ${path} (HTTP ${res.status}); run \`npm run guests\``);
  return new Uint8Array(await res.arrayBuffer());
}

const fileCache = new Map<string, Promise<Uint8Array>>();

const resources: GuestResources = {
  async catalog() {
    const res = await fetch(new URL("/guests/manifest.json", origin));
    if (!res.ok) throw new Error(`guest manifest not found at /guests/manifest.json (HTTP ${res.status}); run \`npm run guests\``);
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      throw new Error(`guest manifest is not valid JSON: ${(e as Error).message}`);
    }
    return parseGuestManifest(json);
  },
  file(path) {
    // Guest files are immutable for the page's lifetime: fetch each once. Each machine gets its
    // own copy anyway (structured clone into the guest worker), so guest writes never leak back.
    let p = fileCache.get(path);
    if (!p) {
      p = fetchBytes(`/guests/${path}`, `guest file ${path}`);
      p.catch(() => fileCache.delete(path));
      fileCache.set(path, p);
    }
    return p;
  },
  async firmware() {
    const [bios, vgaBios] = await Promise.all([
      fetchBytes("/bios/bios.bin", "SeaBIOS").catch(() => undefined),
      fetchBytes("/bios/vgabios-stdvga.bin", "VGA BIOS").catch(() => undefined),
    ]);
    return { bios, vgaBios };
  },
};

const launcher: GuestLauncher = {
  launch({ vmId, ...spec }, events) {
    const worker = new Worker(new URL("./guest-worker.ts", import.meta.url), { type: "module", name: `guest ${vmId}` });
    worker.onmessage = (e: MessageEvent<unknown>) => deliverGuestMessage(e.data, events);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      events.crashed({ type: "crashed", reason: `guest worker error: ${e.message || "script failed to load"}` });
    };
    worker.onmessageerror = () => events.crashed({ type: "crashed", reason: "guest worker sent a message that could not be read" });
    const start: GuestStartMessage = { type: "start", spec };
    worker.postMessage(start);
    return { terminate: () => worker.terminate() };
  },
};

const cores = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 2;
// Guests may use every core: the page keeps its responsiveness by guests stepping aside while it is
// late (page-beat.ts), not by a core held idle for it.
const storage = typeof navigator !== "undefined" && navigator.storage ? navigator.storage : null;
const store = typeof indexedDB !== "undefined" ? new SnapshotStore() : null;
const hv = new Hypervisor(launcher, resources, { budgetMiB: 1024, periodMs: 50, guestCores: cores, store, storage });
setInterval(() => hv.tick(), 250);

// The page sees it as Comlink.Remote<HypervisorApi> (src/hypervisor/hypervisor-api.ts).
Comlink.expose(hv);
