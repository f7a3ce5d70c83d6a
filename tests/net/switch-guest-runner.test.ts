// The guest runner's NIC links in a real worker thread: the hypervisor side (a NetworkHub serving
// in this thread) plugs a card, the runner links the machine's card to the rings from its start
// message, and frames make the round trip through both rings and the switch.

import { afterEach, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { ETHERTYPE_IPV4, ethernetFrame, parseMac } from "../../src/hypervisor/net/ethernet.ts";
import { NetworkHub } from "../../src/hypervisor/net/network-hub.ts";
import { Ctl, RunRequest, createVmChannels, ringGuestDoorbell } from "../../src/hypervisor/shared-layout.ts";
import type { GuestStartMessage } from "../../src/hypervisor/wire/guest-messages.ts";
import { until } from "../hypervisor/async-helpers.ts";

const bootstrap = new URL("../hypervisor/ts-worker-bootstrap.mjs", import.meta.url);
const entry = new URL("../hypervisor/runner-worker.ts", import.meta.url).href;
const GUEST = "52:54:00:00:00:e1";
const TESTER = parseMac("02:00:00:00:00:01");
let cleanup: (() => Promise<void>) | null = null;

afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe("guest runner ↔ switch", () => {
  it("frames a port on the switch sends reach the guest's card and its answers come back", async () => {
    const hub = new NetworkHub();
    const channels = createVmChannels();
    const control = new Int32Array(channels.control);
    control[Ctl.RUN] = RunRequest.RUN;
    const nics = hub.plugVm("vm1", "echo", [{ network: "lan", mac: parseMac(GUEST) }], { words: control, index: Ctl.DOORBELL });
    const got: Uint8Array[] = [];
    const tester = hub.network("lan").sw.attach({ name: "tester", deliver: (f) => (got.push(f.slice()), true) });
    const start: GuestStartMessage = {
      type: "start",
      spec: { machine: { memoryMiB: 1, boot: { kind: "firmware", order: [] }, cards: [] }, channels, periodMs: 50, nics },
    };
    const worker = new Worker(bootstrap, { workerData: { entry, start, script: { idle: true, echoNic: GUEST } } });
    const stop = hub.serve();
    cleanup = async () => {
      stop();
      Atomics.store(control, Ctl.RUN, RunRequest.STOP);
      ringGuestDoorbell(control);
      await worker.terminate();
    };
    for (let i = 0; i < 20; i++) {
      const payload = new Uint8Array(100);
      payload[0] = i;
      tester.send(ethernetFrame(parseMac(GUEST), TESTER, ETHERTYPE_IPV4, payload));
    }
    await until("20 echoes", 20_000, () => got.length >= 20);
    expect(got.map((f) => f[14])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const port = hub.info()[0]!.ports.find((p) => p.vmId === "vm1")!;
    expect(port.counters).toMatchObject({ inFrames: 20, outFrames: 20, outDropped: 0 });
    expect([port.guestTxDropped, port.guestRxRefused]).toEqual([0, 0]);
  });
});
