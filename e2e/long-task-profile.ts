// Finds out what the page's main thread does in its long tasks: opens the workstation in headless
// Chromium with the V8 sampling profiler on (DevTools protocol), replays what the acceptance test
// does (boot, pause/resume, refused VM, two extra VMs, killed worker, FreeDOS through the dialog),
// then prints every long task (PerformanceObserver) and, for each busy stretch of the profile, its
// heaviest functions. A diagnostic tool, not a test:
//   npx tsx e2e/long-task-profile.ts [--boot-seconds N] [--no-profile] [--no-actions] [--trace FILE] [--poll]
// With --trace, a Chromium performance trace (devtools.timeline) is written instead of profiling;
// e2e/long-task-trace.ts then lists each long main-thread task with its wall and thread time.

import { join } from "node:path";
import type { Browser, CDPSession, Page } from "playwright-core";
import { launchBrowser, repoRoot, startServer } from "./harness.ts";
// window.__hypertab, the page's debug surface (declared there).
import type {} from "../src/ui/debug-hooks.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  parent?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const bootSeconds = option("--boot-seconds", 40);
const profiling = !args.includes("--no-profile");
const actions = !args.includes("--no-actions");
const polling = args.includes("--poll");
const threshold = option("--threshold", 30);
const traceFile = args.includes("--trace") ? args[args.indexOf("--trace") + 1] : "";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FREEDOS = join(repoRoot, "..", "shared", "guests", "freedos-boot-1440k.img");

async function now(page: Page): Promise<number> {
  return Math.round(await page.evaluate(() => performance.now()));
}

/** Busy stretches (non-idle samples, gaps under 2 ms merged) longer than `minMs`, with their
 *  heaviest frames by self time and by inclusive time. */
function busyStretches(profile: Profile, minMs: number, pageOffsetMs: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url ? f.url.split("/").pop() : "";
    return `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
  };
  const out: string[] = [];
  let t = profile.startTime;
  let start = -1;
  let last = -1;
  let samples: number[] = [];
  const flush = () => {
    if (start >= 0 && (last - start) / 1000 >= minMs) {
      const self = new Map<string, number>();
      const total = new Map<string, number>();
      for (const id of samples) {
        const node = byId.get(id)!;
        self.set(label(node), (self.get(label(node)) ?? 0) + 1);
        const seen = new Set<string>();
        for (let p: ProfileNode | undefined = node; p; p = p.parent !== undefined ? byId.get(p.parent) : undefined) {
          const l = label(p);
          if (seen.has(l) || l === "(root)") continue;
          seen.add(l);
          total.set(l, (total.get(l) ?? 0) + 1);
        }
      }
      const top = (m: Map<string, number>, k: number) =>
        [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([l, c]) => `${((c / samples.length) * 100).toFixed(0)}% ${l}`);
      out.push(
        `busy ${((last - start) / 1000).toFixed(1)} ms at page ${((start / 1000) - pageOffsetMs).toFixed(0)}:\n    self:  ${top(self, 8).join("\n           ")}\n    total: ${top(total, 14).join("\n           ")}`,
      );
    }
    start = -1;
    samples = [];
  };
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const node = byId.get(profile.samples[i])!;
    const idle = node.callFrame.functionName === "(idle)";
    if (idle) {
      if (start >= 0 && t - last > 2000) flush();
      continue;
    }
    if (start < 0) start = t;
    last = t;
    samples.push(profile.samples[i]);
  }
  flush();
  return out;
}

async function main(): Promise<void> {
  const server = await startServer();
  const browser = await launchBrowser().catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  try {
    await scenario(browser, server.url);
  } finally {
    await browser.close();
    await server.close();
  }
}

async function scenario(browser: Browser, url: string): Promise<void> {
  const server = { url };
  const page = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("console", (m) => console.log("page:", m.text()));
  let cdp: CDPSession | null = null;
  let offsetMs = 0;
  if (traceFile) {
    await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "v8", "blink.user_timing"] });
  } else if (profiling) {
    cdp = await page.context().newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
    await cdp.send("Profiler.start");
  }
  const marks: string[] = [];
  const mark = async (what: string) => marks.push(`${what}@${await now(page)}`);
  await page.goto(server.url);
  await page.waitForFunction(() => window.__hypertab !== undefined, null, { timeout: 30_000 });
  while ((await page.evaluate(async () => (await window.__hypertab!.hv.list()).length)) < 2) await sleep(200);
  await mark("ready");
  const list = await page.evaluate(async () => (await window.__hypertab!.hv.list()).map((v) => ({ id: v.id, name: v.name })));
  const linux = list.find((v) => /linux/i.test(v.name))?.id ?? list[0].id;
  const memtest = list.find((v) => /memtest/i.test(v.name))?.id ?? list[1].id;
  // Poll like the acceptance test does while it waits for the boot (transcript and VM list).
  const bootEnd = Date.now() + bootSeconds * 1000;
  while (Date.now() < bootEnd) {
    if (polling) {
      await page.evaluate((i) => window.__hypertab!.serialText(i), linux);
      await page.evaluate(async () => (await window.__hypertab!.hv.list()).length);
    }
    await sleep(500);
  }
  if (actions) {
    await mark("pause");
    await page.getByTestId(`pause-${memtest}`).click();
    await sleep(2000);
    await page.getByTestId(`resume-${memtest}`).click();
    await sleep(2000);
    await mark("refused");
    await page.getByTestId("create-vm").click();
    await page.getByTestId("create-name").fill("too-big");
    await page.getByTestId("create-ram").fill("1024");
    await page.getByTestId("create-submit").click();
    await page.getByTestId("create-error").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await mark("shares");
    // A string, so that tsx's name helpers do not end up in the page.
    const created = (await page.evaluate(`(async () => {
      const hv = window.__hypertab.hv;
      const host = await hv.host();
      const guest = host.catalog.find((g) => /memtest/i.test(g.id + g.name));
      const ids = [];
      for (const [name, share] of [["cpu-share-3", 300], ["cpu-share-1", 100]]) {
        const cards = await hv.freeCards(["vga"]);
        ids.push((await hv.createVm({ name, guest: { kind: "catalog", guestId: guest.id }, memoryMiB: 32, share, capPercent: 100, cards }, true)).id);
      }
      return ids;
    })()`)) as string[];
    await page.evaluate((id) => window.__hypertab!.hv.pause(id), memtest);
    await sleep(5_000);
    const count = (id: string) => page.evaluate((i) => window.__hypertab!.instructions(i), id);
    const [a0, b0] = [await count(created[0]), await count(created[1])];
    await sleep(8_000);
    const [a1, b1] = [await count(created[0]), await count(created[1])];
    console.log(`shares 3:1 → instructions ratio ${((a1 - a0) / (b1 - b0)).toFixed(3)}`);
    await mark("remove");
    await page.evaluate(async (ids) => {
      for (const id of ids) await window.__hypertab!.hv.remove(id);
    }, created);
    await page.evaluate((id) => window.__hypertab!.hv.resume(id), memtest);
    await sleep(2000);
    await mark("kill");
    await page.evaluate((id) => window.__hypertab!.killGuestWorker(id), memtest);
    await sleep(3000);
    await mark("freedos");
    await page.getByTestId("create-vm").click();
    await page.getByTestId("create-name").fill("FreeDOS");
    await page.getByTestId("create-guest").selectOption("__local__");
    await page.getByTestId("create-file").setInputFiles(FREEDOS);
    await page.getByTestId("create-media").selectOption("floppy");
    await page.getByTestId("create-ram").fill("16");
    await page.getByTestId("create-submit").click();
    await sleep(15_000);
    await mark("end");
  }
  const tasks = await page.evaluate(() => window.__hypertab!.longTasks);
  console.log(`marks: ${marks.join(" ")} (linux ${linux}, memtest ${memtest})`);
  console.log(`long tasks (start:duration): ${tasks.map((t) => `${Math.round(t.start)}:${Math.round(t.duration)}`).join(" ") || "none"}`);
  if (traceFile) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(traceFile, await browser.stopTracing());
    console.log(`trace written to ${traceFile}; page time 0 = navigation start`);
  }
  if (cdp) {
    const pageNow = await page.evaluate(() => performance.now());
    const { profile } = (await cdp.send("Profiler.stop")) as { profile: Profile };
    // The profile ends now: line its clock up with performance.now() (to a few ms).
    offsetMs = profile.endTime / 1000 - pageNow;
    for (const s of busyStretches(profile, threshold, offsetMs)) console.log(s);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
