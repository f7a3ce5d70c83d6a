// One file format for the dashboard and the Node runner: a VM exported by the hypervisor resumes in
// `npm run vm -- --load-state`, and what the runner saves with `--save-state` imports into the
// hypervisor as a new VM that resumes where the runner stopped.

import "fake-indexeddb/auto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterAll, expect, test } from "vitest";
import { Hypervisor } from "../../src/hypervisor/hypervisor.ts";
import { Ctl } from "../../src/hypervisor/shared-layout.ts";
import { SpscByteRing } from "../../src/hypervisor/spsc-ring.ts";
import { idbKeyValue } from "../../src/hypervisor/store/key-value.ts";
import { SnapshotStore } from "../../src/hypervisor/store/snapshot-store.ts";
import { EXIT_TIMEOUT } from "../../scripts/vm/run-machine.ts";
import { until } from "../hypervisor/async-helpers.ts";
import { asmResources, realMachineLauncher } from "../hypervisor/real-machine-launcher.ts";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "interchange-test-"));
const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  rmSync(work, { recursive: true, force: true });
});

function consoleOf(hv: Hypervisor, id: string) {
  const ch = hv.channels(id)!;
  const out = SpscByteRing.attach(ch.serialOut);
  const input = SpscByteRing.attach(ch.serialIn);
  input.setDoorbell({ words: new Int32Array(ch.control), index: Ctl.DOORBELL });
  const buf = new Uint8Array(4096);
  let text = "";
  return {
    send: (s: string) => input.write(new TextEncoder().encode(s)),
    waitFor: (s: string) =>
      until(`serial console shows ${JSON.stringify(s)}`, 30_000, () => {
        let n: number;
        while ((n = out.read(buf)) > 0) text += new TextDecoder().decode(buf.subarray(0, n));
        return text.includes(s);
      }),
  };
}

const running = (hv: Hypervisor, id: string) => until(`VM ${id} running`, 30_000, () => hv.list().find((v) => v.id === id)?.state === "running");

test("a dashboard export resumes in npm run vm, and the runner's saved file imports into the dashboard", async () => {
  const hv = new Hypervisor(realMachineLauncher(workers), asmResources("serial-count"), { store: new SnapshotStore(idbKeyValue("interchange-test")) });
  const id = (await hv.createVm({ name: "counter", guest: { kind: "catalog", guestId: "serial-count" }, memoryMiB: 16, share: 100, capPercent: 100, cards: hv.freeCards(["serial"]) }, true)).id;
  await running(hv, id);
  const con = consoleOf(hv, id);
  await con.waitFor("R\n");
  con.send("abc");
  await con.waitFor("c3\n");
  const exported = join(work, "counter.hypertab");
  writeFileSync(exported, await hv.exportVm(id, null));
  hv.remove(id);

  // The guest counted three bytes in the tab; in Node it counts on from there.
  const saved = join(work, "counter-node.hypertab");
  const run = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/vm.ts"), "--load-state", exported, "--timeout", "3", "--save-state", saved], {
    encoding: "utf8",
    timeout: 120_000,
    input: "x",
  });
  expect(run.status, run.stderr).toBe(EXIT_TIMEOUT);
  expect(run.stdout).toBe("x4\n");

  // Back in the dashboard: the imported VM has seen four bytes.
  const imported = await hv.importVm(new Uint8Array(readFileSync(saved)), "counter-node.hypertab");
  await hv.resumeSuspended(imported);
  await running(hv, imported);
  const con2 = consoleOf(hv, imported);
  con2.send("y");
  await con2.waitFor("y5\n");
  hv.remove(imported);
}, 180_000);
