// Snapshots, suspend/resume, export/import and persistent disks through the Hypervisor, with the
// real emulator in Node worker threads and the IndexedDB store on fake-indexeddb. The guests are
// small Multiboot kernels (tests/machine/asm): serial-count answers each byte it receives with the
// byte and how many it has received (its state in RAM); disk-note keeps a byte on its IDE disk.

import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import { Hypervisor } from "../../src/hypervisor/hypervisor.ts";
import { Ctl } from "../../src/hypervisor/shared-layout.ts";
import { SpscByteRing } from "../../src/hypervisor/spsc-ring.ts";
import { idbKeyValue, type KeyValueFactory } from "../../src/hypervisor/store/key-value.ts";
import { SnapshotStore } from "../../src/hypervisor/store/snapshot-store.ts";
import type { VmConfig } from "../../src/hypervisor/vm-config.ts";
import { sleep, until } from "./async-helpers.ts";
import { asmResources, realMachineLauncher } from "./real-machine-launcher.ts";

const workers: Worker[] = [];
const launcher = realMachineLauncher(workers);
const resources = asmResources("serial-count", "disk-note");
const hypervisors: Hypervisor[] = [];

afterEach(async () => {
  for (const hv of hypervisors.splice(0)) for (const vm of hv.list()) if (vm.state !== "suspended") hv.remove(vm.id);
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

let dbCount = 0;
function freshStore(): SnapshotStore {
  return new SnapshotStore(idbKeyValue(`hv-snapshot-test-${++dbCount}`));
}

/** A hypervisor on `store` (a second one on the same store is the page after a reload). */
function hypervisor(store: SnapshotStore): Hypervisor {
  const hv = new Hypervisor(launcher, resources, { store });
  hypervisors.push(hv);
  return hv;
}

const vmOf = (guestId: string, hv: Hypervisor, extra: Partial<VmConfig> = {}): VmConfig => ({
  name: guestId,
  guest: { kind: "catalog", guestId },
  memoryMiB: 16,
  share: 100,
  capPercent: 100,
  cards: hv.freeCards(["serial"]),
  ...extra,
});

/** The VM's serial console as the page sees it (the channels of its current guest worker). */
function serialConsole(hv: Hypervisor, id: string) {
  const ch = hv.channels(id);
  if (!ch) throw new Error(`VM ${id} has no channels`);
  const out = SpscByteRing.attach(ch.serialOut);
  const input = SpscByteRing.attach(ch.serialIn);
  input.setDoorbell({ words: new Int32Array(ch.control), index: Ctl.DOORBELL });
  const buf = new Uint8Array(4096);
  let text = "";
  const drain = () => {
    let n: number;
    while ((n = out.read(buf)) > 0) text += new TextDecoder().decode(buf.subarray(0, n));
    return text;
  };
  return {
    async waitFor(s: string, ms = 20_000): Promise<void> {
      await until(`serial console shows ${JSON.stringify(s)}`, ms, () => drain().includes(s)).catch((e: Error) => {
        throw new Error(`${e.message} (it shows ${JSON.stringify(text)})`);
      });
    },
    send(s: string): void {
      input.write(new TextEncoder().encode(s));
    },
    text: () => drain(),
  };
}

async function running(hv: Hypervisor, id: string): Promise<void> {
  await until(`VM ${id} running`, 20_000, () => hv.list().find((v) => v.id === id)?.state === "running");
}

const uptimeOf = (hv: Hypervisor, id: string) => hv.list().find((v) => v.id === id)!.stats.uptimeSec;

/** A running serial-count VM on `hv` that has said it is ready, and its console. */
async function countingVm(hv: Hypervisor) {
  const id = (await hv.createVm(vmOf("serial-count", hv), true)).id;
  await running(hv, id);
  const con = serialConsole(hv, id);
  await con.waitFor("R\n");
  return { id, con };
}

describe("snapshots through the hypervisor (real machines in Node threads, IndexedDB on fake-indexeddb)", () => {
  it("snapshot, change, revert: the guest continues from the snapshot's state; the tree says where it is", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const vm = await countingVm(hv);
    const id = vm.id;
    let con = vm.con;
    con.send("a");
    await con.waitFor("a1\n");
    const s1 = await hv.takeSnapshot(id, "s1", "after one byte");
    expect(s1).toMatchObject({ vmId: id, name: "s1", description: "after one byte", kind: "snapshot", parentId: null, ramBytes: 16 << 20 });
    expect(s1.storedBytes).toBeGreaterThan(0);
    expect(s1.storedBytes).toBeLessThan(4 << 20); // zero chunks elided, the rest compressed
    con.send("b");
    await con.waitFor("b2\n");
    const generation = hv.list()[0].generation;
    await hv.revertToSnapshot(id, s1.id);
    expect(hv.list()[0].generation).not.toBe(generation);
    await running(hv, id);
    con = serialConsole(hv, id);
    con.send("c");
    await con.waitFor("c2\n");
    const tree = await hv.snapshotTree(id);
    expect(tree.snapshots.map((s) => s.name)).toEqual(["s1"]);
    expect(tree.currentId).toBe(s1.id);
    const s2 = await hv.takeSnapshot(id, "s2");
    expect(s2.parentId).toBe(s1.id);
    const log = hv.log.forVm(id).map((e) => e.message);
    expect(log.some((m) => /^took snapshot "s1"/.test(m))).toBe(true);
    expect(log.some((m) => m.startsWith(`reverted to snapshot ${s1.id.slice(0, 12)}`))).toBe(true);
    expect(hv.operations().filter((o) => o.kind === "snapshot").every((o) => o.done && o.error === null && o.fraction === 1)).toBe(true);
    // Deleting s1 keeps s2 whole (its chunks stay) and re-parents it.
    await hv.deleteSnapshot(id, s1.id);
    const after = await hv.snapshotTree(id);
    expect(after.snapshots.map((s) => [s.name, s.parentId])).toEqual([["s2", null]]);
    await hv.revertToSnapshot(id, s2.id);
    await running(hv, id);
    con = serialConsole(hv, id);
    con.send("d");
    await con.waitFor("d3\n"); // s2 was taken at count 2
  }, 90_000);

  it("a snapshot that does not fit in storage fails saying how much space it needed; earlier snapshots stay and the guest runs on", async () => {
    const base = idbKeyValue(`hv-snapshot-test-${++dbCount}`);
    let full = false;
    const quota: KeyValueFactory = <V>(name: string) => {
      const kv = base<V>(name);
      if (name !== "chunks") return kv;
      return { ...kv, setMany: (e: [string, V][]) => (full ? Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError")) : kv.setMany(e)) };
    };
    const hv = hypervisor(new SnapshotStore(quota));
    const vm = await countingVm(hv);
    const id = vm.id;
    let con = vm.con;
    const s1 = await hv.takeSnapshot(id, "s1");
    con.send("a");
    await con.waitFor("a1\n");
    full = true;
    await expect(hv.takeSnapshot(id, "s2")).rejects.toThrow(/^storage is full: snapshot "s2" needed [\d.]+ (bytes|KiB|MiB) more than the browser allows/);
    const failed = hv.operations().find((o) => o.kind === "snapshot" && o.error !== null)!;
    expect(failed.done).toBe(true);
    expect(failed.error).toMatch(/needed [\d.]+ (bytes|KiB|MiB) more.*Nothing stored earlier was changed/);
    expect(hv.log.forVm(id).some((e) => e.level === "error" && e.message.startsWith('snapshot "s2" failed: StorageError: storage is full'))).toBe(true);
    expect((await hv.snapshotTree(id)).snapshots.map((s) => s.name)).toEqual(["s1"]);
    con.send("b");
    await con.waitFor("b2\n"); // the guest ran on
    full = false;
    await hv.revertToSnapshot(id, s1.id);
    await running(hv, id);
    con = serialConsole(hv, id);
    con.send("c");
    await con.waitFor("c1\n");
  }, 60_000);

  it("a snapshot that does not load leaves the VM running its machine, and says why", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const { id, con } = await countingVm(hv);
    await expect(hv.revertToSnapshot(id, "0".repeat(64))).rejects.toThrow(/has no snapshot/);
    expect(hv.operations().find((o) => o.kind === "revert")?.error).toMatch(/has no snapshot/);
    con.send("a");
    await con.waitFor("a1\n");
    expect(hv.list()[0].state).toBe("running");
  }, 60_000);

  it("suspend ends the worker; after a reload the VM is listed suspended and resumes where it was, its clock continuing", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const { id, con } = await countingVm(hv);
    con.send("a");
    await con.waitFor("a1\n");
    await sleep(1500);
    const uptimeBefore = uptimeOf(hv, id);
    expect(uptimeBefore).toBeGreaterThan(1);
    await hv.suspend(id);
    expect(hv.list()[0].state).toBe("suspended");
    expect((await hv.snapshotTree(id)).snapshots.map((s) => s.kind)).toEqual(["suspend"]);
    await expect(hv.start(id)).rejects.toThrow(/suspended: resume it/);

    const hv2 = hypervisor(store); // the page after a reload
    const listed = await hv2.createDefaultVms();
    expect(listed.map((v) => [v.id, v.state, v.name])).toEqual([[id, "suspended", "serial-count"]]);
    await hv2.resumeSuspended(id);
    await running(hv2, id);
    await until("uptime published", 5_000, () => uptimeOf(hv2, id) > 0);
    expect(uptimeOf(hv2, id)).toBeGreaterThanOrEqual(uptimeBefore);
    const con2 = serialConsole(hv2, id);
    con2.send("b");
    await con2.waitFor("b2\n");
    expect((await hv2.snapshotTree(id)).snapshots).toEqual([]); // the suspend record is gone
    expect(hv2.log.forVm(id).some((e) => e.message === "resumed from its suspended state")).toBe(true);
  }, 90_000);

  it("export, import: the imported VM resumes exactly where the exported one was", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const { id, con } = await countingVm(hv);
    con.send("abc");
    await con.waitFor("c3\n");
    const file = await hv.exportVm(id, null);
    const imported = await hv.importVm(file, "serial-count.hypertab");
    const info = hv.list().find((v) => v.id === imported)!;
    expect(info).toMatchObject({ state: "suspended", name: "serial-count (imported)", memoryMiB: 16 });
    expect(info.cards.map((c) => c.kind)).toEqual(["serial"]);
    await hv.resumeSuspended(imported);
    await running(hv, imported);
    const con2 = serialConsole(hv, imported);
    con2.send("x");
    await con2.waitFor("x4\n");
    con.send("y");
    await con.waitFor("y4\n");
    expect(hv.operations().filter((o) => o.kind === "export" || o.kind === "import").map((o) => [o.kind, o.done, o.error])).toEqual([
      ["export", true, null],
      ["import", true, null],
    ]);
  }, 90_000);

  it("a corrupted, truncated or foreign file is refused with a message and nothing stored changes", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const { id } = await countingVm(hv);
    await hv.takeSnapshot(id, "kept");
    const file = await hv.exportVm(id, null);
    const before = { vms: await store.vms(), snapshots: await store.snapshots(), usage: await store.usage(), list: hv.list().map((v) => v.id) };
    const flipped = file.slice();
    flipped[Math.floor(flipped.length * 0.7)] ^= 0x40;
    const bad: [string, Uint8Array][] = [
      ["flipped", flipped],
      ["truncated", file.subarray(0, Math.floor(file.length / 2))],
      ["foreign", new TextEncoder().encode("%PDF-1.7 not a snapshot at all")],
    ];
    for (const [name, bytes] of bad) {
      const err = await hv.importVm(bytes, `${name}.hypertab`).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(Error);
      expect((err as Error).message.length, name).toBeGreaterThan(10);
    }
    expect({ vms: await store.vms(), snapshots: await store.snapshots(), usage: await store.usage(), list: hv.list().map((v) => v.id) }).toEqual(before);
    const failed = hv.operations().filter((o) => o.kind === "import");
    expect(failed).toHaveLength(3);
    expect(failed.every((o) => o.done && o.error)).toBe(true);
    expect(hv.log.since(0).filter((e) => e.kind === "error" && /^import of "(flipped|truncated|foreign)\.hypertab" failed: /.test(e.message))).toHaveLength(3);
  }, 60_000);

  it("what a guest writes to its data disk is there after a VM restart and after a reload", async () => {
    const store = freshStore();
    const hv = hypervisor(store);
    const id = (await hv.createVm(vmOf("disk-note", hv, { dataDiskMiB: 1 }), true)).id;
    await running(hv, id);
    let con = serialConsole(hv, id);
    await con.waitFor("R-\n");
    con.send("x");
    await con.waitFor("Wx\n");
    hv.stop(id); // the worker reports its last disk writes on its way out
    for (const end = Date.now() + 10_000; (await store.overlays(id)).length === 0; await sleep(50)) {
      if (Date.now() > end) throw new Error("the disk write was not stored within 10 s of the stop");
    }
    await hv.start(id);
    await running(hv, id);
    con = serialConsole(hv, id);
    await con.waitFor("Rx\n");
    con.send("y");
    await con.waitFor("Wy\n");
    await sleep(2600); // reported within ~2 s while running
    hv.killGuestWorker(id); // the page goes away with its workers
    const hv2 = hypervisor(store); // the page after the reload
    await hv2.createDefaultVms();
    await running(hv2, id);
    await serialConsole(hv2, id).waitFor("Ry\n");
  }, 90_000);
});
