// The guest runner and the hypervisor core together, in real Node threads: CPU shares, pause,
// serial back-pressure, input delivery, crashes. The machine is a scripted stand-in
// (scripted-machine.ts) because these tests are about the runner, not the emulator.

import { afterEach, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { Hypervisor, type GuestLauncher } from "../../src/hypervisor/hypervisor.ts";
import { toy, toyResources as resources } from "./toy-resources.ts";
import { deliverGuestMessage, type GuestStartMessage } from "../../src/hypervisor/wire/guest-messages.ts";
import { Ctl, St, RunRequest, ringGuestDoorbell } from "../../src/hypervisor/shared-layout.ts";
import { sleep, until, drainSequence } from "./async-helpers.ts";
import { SpscByteRing, SpscRecordRing } from "../../src/hypervisor/spsc-ring.ts";
import { keyIndex } from "../../src/hypervisor/key-codes.ts";
import type { ScriptOptions } from "./scripted-machine.ts";
import { startPageBeat } from "../../src/hypervisor/page-beat.ts";

const bootstrap = new URL("./ts-worker-bootstrap.mjs", import.meta.url);
const entry = new URL("./runner-worker.ts", import.meta.url).href;
const workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** Whatever a runner thread posts: the guest messages, then the test's own "runner-exited". */
type ThreadMessage = { type: string };

function launcherWith(scripts: Map<string, ScriptOptions>, messages: ThreadMessage[] = []): GuestLauncher {
  return {
    launch({ vmId, ...spec }, events) {
      const start: GuestStartMessage = { type: "start", spec };
      const w = new Worker(bootstrap, { workerData: { entry, start, script: scripts.get(vmId) ?? {} } });
      workers.push(w);
      w.on("message", (m: ThreadMessage) => {
        messages.push(m);
        if (m.type !== "runner-exited") deliverGuestMessage(m, events);
      });
      w.on("error", (e: Error) => events.crashed({ type: "crashed", reason: `worker error: ${e.message}` }));
      return { terminate: () => void w.terminate() };
    },
  };
}



describe("guest runner under the hypervisor (Node threads)", () => {
  // The workers measure their own CPU time; on one guest core the two compete, and the slices
  // the hypervisor hands out follow the shares.
  it("two CPU-bound guests at shares 3:1 on one guest core get CPU time 3 ± 0.45 : 1 and use ≥ 85% of it", async () => {
    const hv = new Hypervisor(launcherWith(new Map()), resources, { guestCores: 1 });
    const a = (await hv.createVm(toy("a", 300), true)).id;
    const b = (await hv.createVm(toy("b", 100), true)).id;
    const timer = setInterval(() => hv.tick(), 250);
    try {
      await until("both running", 10_000, () => hv.list().every((v) => v.state === "running"));
      await sleep(3000);
      const cpuMs = (id: string) => new Float64Array(hv.channels(id)!.stats)[St.CPU_MS];
      const a0 = cpuMs(a);
      const b0 = cpuMs(b);
      const t0 = performance.now();
      await sleep(6000);
      const da = cpuMs(a) - a0;
      const db = cpuMs(b) - b0;
      const wall = performance.now() - t0;
      const info = hv.list();
      console.log(`CPU time 3:1 measured ${(da / db).toFixed(3)}, together ${((100 * (da + db)) / wall).toFixed(1)}% of the guest core; slices ${info.map((v) => v.stats.cpuBudgetPercent.toFixed(1)).join(" / ")} %, entitled ${info.map((v) => v.stats.cpuEntitledPercent.toFixed(1)).join(" / ")} %`);
      expect(Math.abs(da / db - 3)).toBeLessThanOrEqual(0.45);
      expect((da + db) / wall).toBeGreaterThanOrEqual(0.85);
      expect(info.find((v) => v.id === a)!.stats.cpuEntitledPercent).toBeCloseTo(75, 0);
      expect(info.find((v) => v.id === b)!.stats.cpuEntitledPercent).toBeCloseTo(25, 0);
    } finally {
      clearInterval(timer);
      hv.stop(a);
      hv.stop(b);
    }
  }, 30_000);

  it("a CPU-bound guest capped at 30% stays under its cap", async () => {
    const hv = new Hypervisor(launcherWith(new Map()), resources, { guestCores: 2 });
    const id = (await hv.createVm({ ...toy("c", 100), capPercent: 30 }, true)).id;
    const timer = setInterval(() => hv.tick(), 250);
    try {
      await until("running", 10_000, () => hv.list()[0].state === "running");
      await sleep(1000);
      const cpuMs = () => new Float64Array(hv.channels(id)!.stats)[St.CPU_MS];
      const c0 = cpuMs();
      const t0 = performance.now();
      await sleep(3000);
      const used = (cpuMs() - c0) / (performance.now() - t0);
      console.log(`capped at 30%: used ${(100 * used).toFixed(1)}% of a core`);
      expect(used).toBeLessThanOrEqual(0.3 * 1.05);
      expect(used).toBeGreaterThan(0.1);
    } finally {
      clearInterval(timer);
      hv.stop(id);
    }
  }, 20_000);

  it("pause freezes the instruction counter and resume continues it", async () => {
    const hv = new Hypervisor(launcherWith(new Map()), resources);
    const id = (await hv.createVm(toy("p", 100), true)).id;
    await until("running", 10_000, () => hv.list()[0].state === "running");
    const st = new Float64Array(hv.channels(id)!.stats);
    await until("counting", 5000, () => st[St.INSTRUCTIONS] > 0);
    hv.pause(id);
    await sleep(300);
    const frozen = st[St.INSTRUCTIONS];
    await sleep(700);
    expect(st[St.INSTRUCTIONS]).toBe(frozen);
    hv.resume(id);
    await until("counting again", 5000, () => st[St.INSTRUCTIONS] > frozen);
    hv.stop(id);
  }, 20_000);

  it("serial output is held back by a full ring and arrives complete and in order", async () => {
    const total = 150_000; // more than twice the 64 KiB ring
    const hv = new Hypervisor(launcherWith(new Map([["vm1", { serialBytes: total }]])), resources);
    const id = (await hv.createVm(toy("s", 100), true)).id;
    await until("running", 10_000, () => hv.list()[0].state === "running");
    const ring = SpscByteRing.attach(hv.channels(id)!.serialOut);
    await until("ring filled up", 10_000, () => ring.free() === 0);
    await sleep(200); // a slow reader: the guest must wait, not drop
    const { got, bad } = await drainSequence(ring, total, 15_000);
    expect(got).toBe(total);
    expect(bad).toBe(0);
    expect(new Float64Array(hv.channels(id)!.stats)[St.SERIAL_OUT]).toBe(total);
    hv.stop(id);
  }, 30_000);

  it("delivers serial input and key events through the rings, waking an idle guest", async () => {
    const probe = new Int32Array(new SharedArrayBuffer(16));
    const hv = new Hypervisor(launcherWith(new Map([["vm1", { idle: true, probe }]])), resources);
    const id = (await hv.createVm(toy("k", 100), true)).id;
    await until("running", 10_000, () => hv.list()[0].state === "running");
    const ch = hv.channels(id)!;
    const control = new Int32Array(ch.control);
    const serialIn = SpscByteRing.attach(ch.serialIn);
    serialIn.setDoorbell({ words: control, index: Ctl.DOORBELL });
    const keys = SpscRecordRing.attach(ch.keyboard);
    keys.setDoorbell({ words: control, index: Ctl.DOORBELL });
    serialIn.write(new TextEncoder().encode("echo hi\n"));
    for (let i = 0; i < 20; i++) keys.push([keyIndex("KeyA"), i % 2 === 0 ? 1 : 0]);
    const mouse = SpscRecordRing.attach(ch.mouse);
    mouse.setDoorbell({ words: control, index: Ctl.DOORBELL });
    for (let i = 0; i < 5; i++) mouse.push([3, -1, 0, 1]);
    await until("all input delivered", 5000, () => probe[0] === 8 && probe[1] === 10 && probe[3] === 15);
    expect(probe[2]).toBe("KeyA".length);
    hv.stop(id);
  }, 20_000);

  it("an emulator exception marks the VM crashed with the reason; the other VM keeps running", async () => {
    const hv = new Hypervisor(launcherWith(new Map([["vm2", { failCreate: "CPU exploded at 0x1234" } as ScriptOptions]])), resources);
    const a = (await hv.createVm(toy("ok", 100), true)).id;
    const b = (await hv.createVm(toy("bad", 100), true)).id;
    await until("bad crashed", 10_000, () => hv.list().find((v) => v.id === b)!.state === "crashed");
    expect(hv.list().find((v) => v.id === b)!.reason).toContain("CPU exploded at 0x1234");
    expect(hv.log.forVm(b).some((e) => e.level === "error" && e.message.includes("CPU exploded"))).toBe(true);
    hv.injectGuestCrash(a);
    await until("ok crashed by the hook", 5000, () => hv.list().find((v) => v.id === a)!.state === "crashed");
    expect(hv.list().find((v) => v.id === a)!.reason).toContain("simulated emulator exception");
  }, 20_000);

  it("a guest worker that never starts its machine is marked crashed after the startup limit", async () => {
    let now = 1000;
    const silent: GuestLauncher = { launch: () => ({ terminate: () => {} }) };
    const hv = new Hypervisor(silent, resources, { now: () => now });
    const id = (await hv.createVm(toy("mute", 100), true)).id;
    await sleep(200); // start() prepares the machine, then launches the (silent) worker
    expect(hv.list().find((v) => v.id === id)!.state).toBe("starting");
    now += 59_000;
    hv.tick();
    expect(hv.list().find((v) => v.id === id)!.state).toBe("starting");
    now += 2_000;
    hv.tick();
    const row = hv.list().find((v) => v.id === id)!;
    expect(row.state).toBe("crashed");
    expect(row.reason).toBe("guest worker did not start within 60 s");
  });

  it("the host's cores for guests can be changed, and nonsense is refused with a message", async () => {
    const hv = new Hypervisor({ launch: () => ({ terminate: () => {} }) }, resources, { guestCores: 2 });
    expect((await hv.host()).guestCores).toBe(2);
    hv.setGuestCores(1);
    expect((await hv.host()).guestCores).toBe(1);
    expect(hv.log.since(0).some((e) => e.message === "host cores set aside for guests: 1")).toBe(true);
    expect(() => hv.setGuestCores(0)).toThrow("guest cores must be a number above 0 and at most 1024, got 0");
    expect(() => hv.setGuestCores(Number.NaN)).toThrow(/got NaN/);
    expect((await hv.host()).guestCores).toBe(1);
  });

  it("the hypervisor stops a guest through the control block", async () => {
    const messages: ThreadMessage[] = [];
    const hv = new Hypervisor(launcherWith(new Map(), messages), resources);
    const id = (await hv.createVm(toy("x", 100), true)).id;
    await until("running", 10_000, () => hv.list()[0].state === "running");
    const control = new Int32Array(hv.channels(id)!.control);
    Atomics.store(control, Ctl.RUN, RunRequest.STOP);
    ringGuestDoorbell(control);
    // The runner leaves its loop and says so ("stopped"); the hypervisor may end the thread right after.
    await until("runner stopped", 5000, () => messages.some((m) => m.type === "stopped" || m.type === "runner-exited"));
  }, 20_000);

  // The page's main thread stuck in a long task (here: this thread, busy for 400 ms) while the
  // page beats: with yielding on (guests may fill every core set aside for them), the guest
  // steps aside until the page beats again; with cores to spare, it runs on.
  for (const yields of [true, false]) {
    it(`a guest ${yields ? "steps aside while the page is late" : "runs on through a late page when cores are spare"}`, async () => {
      const hv = new Hypervisor(launcherWith(new Map()), resources, { guestCores: yields ? 1 : 4 });
      const stopBeat = startPageBeat(hv.pageBeat, { visibilityState: "visible", addEventListener() {}, removeEventListener() {} });
      const id = (await hv.createVm(toy("y", 100), true)).id;
      const timer = setInterval(() => hv.tick(), 250);
      try {
        await until("running", 10_000, () => hv.list()[0].state === "running");
        const st = new Float64Array(hv.channels(id)!.stats);
        await sleep(600); // a tick has set the yield switch
        await until("counting", 5000, () => st[St.INSTRUCTIONS] > 0);
        const start = performance.now();
        while (performance.now() - start < 150); // stats are published every 50 ms
        const during = st[St.INSTRUCTIONS];
        while (performance.now() - start < 400);
        const after = st[St.INSTRUCTIONS];
        if (yields) expect(after).toBe(during);
        else expect(after).toBeGreaterThan(during);
        await until("counting again", 5000, () => st[St.INSTRUCTIONS] > after);
        if (yields) await until("yield time published", 5000, () => st[St.PAGE_YIELD_MS] > 200);
        else expect(st[St.PAGE_YIELD_MS]).toBe(0);
        // What stepping aside cost the VM is in its info.
        if (yields) expect(hv.list()[0].stats.pageYieldSec).toBeGreaterThan(0.2);
        else expect(hv.list()[0].stats.pageYieldSec).toBe(0);
      } finally {
        clearInterval(timer);
        stopBeat();
        hv.stop(id);
      }
    }, 20_000);
  }
});
