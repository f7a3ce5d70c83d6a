// The guest runner with the real emulator in a Node worker thread, under the hypervisor: resets the
// guest causes itself reach the event log, and a guest flooding COM1 faster than anyone reads is
// held through the UART (SerialPort.setTransmitHold) instead of losing bytes.

import { afterEach, describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import { Hypervisor } from "../../src/hypervisor/hypervisor.ts";
import { sleep, until, drainSequence } from "./async-helpers.ts";
import { SpscByteRing } from "../../src/hypervisor/spsc-ring.ts";
import { asmResources as resourcesFor, realMachineLauncher } from "./real-machine-launcher.ts";

const workers: Worker[] = [];
const launcher = realMachineLauncher(workers);

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

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
