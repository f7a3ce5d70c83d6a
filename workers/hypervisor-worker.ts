// Hypervisor worker: the one authority for VMs. The page talks to it over comlink (control
// plane); it creates one guest worker per running VM itself (nested dedicated workers), hands each
// the shared channels, and the page gets the same channels from it to draw screens and feed input
// (data plane, no messages). It fetches guest images and firmware from the site.

import * as Comlink from "comlink";
import { parseGuestManifest } from "../src/hypervisor/guest-catalog.ts";
import type { GuestMessage } from "../src/hypervisor/guest-runner.ts";
import type { HypervisorApi } from "../src/hypervisor/hypervisor-api.ts";
import { Hypervisor, type GuestEvents, type GuestLaunchSpec, type GuestLauncher, type GuestResources } from "../src/hypervisor/hypervisor.ts";

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
  launch(spec: GuestLaunchSpec, events: GuestEvents) {
    const worker = new Worker(new URL("./guest-worker.ts", import.meta.url), { type: "module", name: `guest ${spec.vmId}` });
    worker.onmessage = (e: MessageEvent<GuestMessage>) => {
      const m = e.data;
      if (m.type === "started") events.started();
      else if (m.type === "crashed") events.crashed(m.reason);
      else if (m.type === "powered-off") events.poweredOff(m.reason);
      else if (m.type === "reset") events.guestReset(m.reason);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      events.crashed(`guest worker error: ${e.message || "script failed to load"}`);
    };
    worker.onmessageerror = () => events.crashed("guest worker sent a message that could not be read");
    worker.postMessage({ type: "start", spec: { machine: spec.machine, channels: spec.channels, periodMs: spec.periodMs, pageBeat: spec.pageBeat } });
    return { terminate: () => worker.terminate() };
  },
};

const cores = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 2;
// Guests may use every core: the page keeps its responsiveness by guests stepping aside while it is
// late (page-beat.ts), not by a core held idle for it.
const hv = new Hypervisor(launcher, resources, { budgetMiB: 1024, periodMs: 50, guestCores: cores });
setInterval(() => hv.tick(), 250);

const api: HypervisorApi = {
  createDefaultVms: () => hv.createDefaultVms(),
  createVm: (config, start) => hv.createVm(config, { start }),
  start: (id) => hv.start(id),
  pause: async (id) => hv.pause(id),
  resume: async (id) => hv.resume(id),
  reset: (id) => hv.reset(id),
  stop: async (id) => hv.stop(id),
  remove: async (id) => hv.remove(id),
  reconfigure: async (id, patch) => hv.reconfigure(id, patch),
  moveCard: async (cardId, from, to) => hv.moveCard(cardId, from, to),
  list: async () => hv.list(),
  host: async () => {
    await hv.catalog().catch(() => undefined);
    return hv.host();
  },
  events: async (after) => hv.events(after),
  channels: async (id) => hv.channels(id),
  pageBeat: async () => hv.pageBeat,
  freeCards: async (kinds) => hv.freeCards(kinds),
  setGuestCores: async (cores) => hv.setGuestCores(cores),
  killGuestWorker: async (id) => hv.killGuestWorker(id),
  injectGuestCrash: async (id) => hv.injectGuestCrash(id),
};

Comlink.expose(api);
