// The guest runner with the real emulator in a Node worker thread, under the hypervisor: resets the
// guest causes itself reach the event log, and a guest flooding COM1 faster than anyone reads is
// held through the UART (SerialPort.setTransmitHold) instead of losing bytes.

import { afterEach, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { Hypervisor, type GuestLauncher } from "../../src/hypervisor/hypervisor.ts";
import { deliverGuestMessage, type GuestStartMessage } from "../../src/hypervisor/wire/guest-messages.ts";
import { sleep, until, drainSequence } from "./async-helpers.ts";
import { SpscByteRing } from "../../src/hypervisor/spsc-ring.ts";
import { assemble } from "../machine/run-helpers.ts";

const bootstrap = new URL("./ts-worker-bootstrap.mjs", import.meta.url);
const entry = new URL("./machine-runner-worker.ts", import.meta.url).href;
const workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

const launcher: GuestLauncher = {
  launch({ machine, channels, periodMs }, events) {
    const start: GuestStartMessage = { type: "start", spec: { machine, channels, periodMs } };
    const w = new Worker(bootstrap, { workerData: { entry, start } });
    workers.push(w);
    w.on("message", (m: { type: string }) => {
      if (m.type !== "runner-exited") deliverGuestMessage(m, events);
    });
    w.on("error", (e: Error) => events.crashed({ type: "crashed", reason: `worker error: ${e.message}` }));
    return { terminate: () => void w.terminate() };
  },
};

/** A catalog of Multiboot test kernels (tests/machine/asm), served by name. */
function resourcesFor(...kernels: string[]) {
  return {
    catalog: async () => ({
      guests: kernels.map((k) => ({ id: k, name: k, os: "", description: "", memoryMiB: 16, boot: { kind: "multiboot" as const, kernel: `${k}.bin`, cmdline: "" } })),
      problems: [],
    }),
    file: async (path: string) => assemble(path.replace(/\.bin$/, "")),
    firmware: async () => ({}),
  };
}

describe("guest runner with the real machine (Node threads)", () => {
  it("logs each reset the guest causes (port 0xCF9, triple fault) in the event log", async () => {
    const hv = new Hypervisor(launcher, resourcesFor("reset"));
    const cards = hv.freeCards(["serial"]);
    const id = (await hv.createVm({ name: "r", guest: { kind: "catalog", guestId: "reset" }, memoryMiB: 16, share: 100, capPercent: 100, cards }, true)).id;
    await until("powered off after two resets", 20_000, () => hv.list()[0].state === "powered-off");
    const resets = hv.log.forVm(id).filter((e) => e.kind === "reset").map((e) => e.message);
    expect(resets).toHaveLength(2);
    expect(resets[0]).toMatch(/^guest reset: port 0xCF9/);
    expect(resets[1]).toMatch(/^guest reset: triple fault/);
  }, 30_000);

  it("a guest flooding COM1 waits on the held UART while the ring is full: every byte arrives, in order", async () => {
    const hv = new Hypervisor(launcher, resourcesFor("serial-flood"));
    const cards = hv.freeCards(["serial"]);
    const id = (await hv.createVm({ name: "f", guest: { kind: "catalog", guestId: "serial-flood" }, memoryMiB: 16, share: 100, capPercent: 100, cards }, true)).id;
    await until("running", 10_000, () => hv.list()[0].state !== "starting");
    const ring = SpscByteRing.attach(hv.channels(id)!.serialOut);
    await until("ring filled up", 10_000, () => ring.free() === 0);
    await sleep(300); // a slow reader: the guest gives up waiting for THRE many times meanwhile
    const total = 100_000;
    const { got, bad } = await drainSequence(ring, total, 20_000);
    expect(got).toBe(total);
    expect(bad).toBe(0);
    await until("powered off", 10_000, () => hv.list()[0].state === "powered-off");
  }, 40_000);
});
