// `npm run bench -- --browser`: boots the default page (Linux beside memtest86+) in headless
// Chromium and measures, for each default VM, the time from its creation to its ready marker (the
// Linux shell prompt on serial, memtest86+'s test screen on VGA); then the same Linux VM alone
// (a fresh browser whose saved setup holds only that VM). Runs alternate, at least 3 of each by
// default. Per run: host CPU used (/proc/stat, the whole machine), the guests' own CPU time,
// what stepping aside for the page cost each VM, and the page's wall-clock long tasks. Medians and
// spread are printed and written to bench/results.json under "browser".
//
// Options: --runs N (per scenario, default 3), --timeout S (per run, default 900).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser, repoRoot, startServer } from "../e2e/harness.ts";
import { median, spread } from "./medians.ts";

type Scenario = "default" | "linux-alone";

interface BrowserArgs {
  runs: number;
  timeoutSeconds: number;
}

interface VmRun {
  name: string;
  readySeconds: number | null;
  cpuTimeSeconds: number;
  pageYieldSeconds: number;
}

interface BrowserRun {
  scenario: Scenario;
  linuxReadySeconds: number | null;
  memtestReadySeconds: number | null;
  /** Whole machine (/proc/stat), % of all cores: while the Linux VM booted, and over the run. */
  hostCpuWhileLinuxBootsPercent: number | null;
  hostCpuPercent: number | null;
  /** The guests' own CPU time while the Linux VM booted, % of all host cores. */
  guestCpuWhileLinuxBootsPercent: number | null;
  /** Main-thread tasks over 50 ms of wall time after the page loaded. */
  longTasks: number;
  longestTaskMs: number;
  vms: VmRun[];
  error: string | null;
}

/** What the page tells about its VMs in one poll. */
interface PagePoll {
  now: number;
  longTasks: number[];
  vms: { id: string; name: string; guestId: string | null; createdAt: number; state: string; reason: string; cpuTimeSec: number; pageYieldSec: number; serialTail: string; screen: string }[];
}

const LINUX_GUEST = "linux";
const POLL_MS = 500;

function parseBrowserArgs(argv: string[]): BrowserArgs {
  const args: BrowserArgs = { runs: 3, timeoutSeconds: 900 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    if (flag === "--browser") continue;
    const v = inline ?? argv[++i];
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${flag} needs an integer >= 1, got "${v ?? ""}"`);
    if (flag === "--runs") args.runs = n;
    else if (flag === "--timeout") args.timeoutSeconds = n;
    else throw new Error(`unknown option ${flag} (the browser benchmark takes --runs and --timeout)`);
  }
  return args;
}

/** Busy and total jiffies of all cores together (/proc/stat's first line). */
function procStat(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest time is inside user)
    const idle = fields[3]! + fields[4]!; // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function cpuPercentBetween(a: ReturnType<typeof procStat>, b: ReturnType<typeof procStat>): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return Math.round((1000 * (b.busy - a.busy)) / (b.total - a.total)) / 10;
}

const withoutControlSequences = (text: string) => text.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, "");
/** memtest86+'s test screen: a test under way (as tests/machine/seabios-cd-memtest.test.ts). */
const memtestTesting = (screen: string) => /Test #\d+\s+\[[A-Za-z]/.test(screen) && /Status: Testing/.test(screen);

async function poll(page: Page): Promise<PagePoll> {
  return page.evaluate(async () => {
    const h = window.__hypertab!;
    const list = await h.hv.list();
    return {
      now: Date.now(),
      longTasks: h.longTasks.map((t) => t.duration),
      vms: list.map((v) => ({
        id: v.id,
        name: v.name,
        guestId: v.guestId,
        createdAt: v.createdAt,
        state: v.state,
        reason: v.reason,
        cpuTimeSec: v.stats.cpuTimeSec,
        pageYieldSec: v.stats.pageYieldSec,
        serialTail: h.serialText(v.id).slice(-2048),
        screen: h.screenText(v.id),
      })),
    };
  });
}

/** Replaces the page's default VMs by a fresh copy of its Linux VM (same RAM, share, cap, kinds of
 *  cards and data disk), created now: the linux-alone scenario. */
async function linuxAlone(page: Page): Promise<void> {
  await page.evaluate(async (guestId) => {
    const hv = window.__hypertab!.hv;
    const vms = await hv.list();
    const linux = vms.find((v) => v.guestId === guestId)!;
    for (const v of vms) await hv.remove(v.id);
    const cards = await hv.freeCards(linux.cards.map((c) => c.kind));
    await hv.createVm({ name: linux.name, guest: { kind: "catalog", guestId }, memoryMiB: linux.memoryMiB, share: linux.share, capPercent: linux.capPercent, cards, dataDiskMiB: 8 }, true);
    await window.__hypertab!.refresh();
  }, LINUX_GUEST);
}

/** One boot of the page in a fresh profile. */
async function runOnce(url: string, scenario: Scenario, prompt: string, timeoutSeconds: number): Promise<{ run: BrowserRun }> {
  const run: BrowserRun = {
    scenario, linuxReadySeconds: null, memtestReadySeconds: null, hostCpuWhileLinuxBootsPercent: null, hostCpuPercent: null,
    guestCpuWhileLinuxBootsPercent: null, longTasks: 0, longestTaskMs: 0, vms: [], error: null,
  };
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[bench] page error: ${e.message}`));
    const stat0 = procStat();
    await page.goto(url);
    await page.waitForFunction(() => window.__hypertab !== undefined, null, { timeout: 60_000 });
    const deadline = Date.now() + timeoutSeconds * 1000;
    let p = await poll(page);
    while (p.vms.length < 2) {
      if (Date.now() > deadline) throw new Error(`the page showed ${p.vms.length} VMs, expected the default 2`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      p = await poll(page);
    }
    if (scenario === "linux-alone") {
      await linuxAlone(page);
      p = await poll(page);
    }
    const linux = p.vms.find((v) => v.guestId === LINUX_GUEST);
    const memtest = p.vms.find((v) => v.guestId !== LINUX_GUEST);
    if (!linux) throw new Error(`no Linux VM on the page (VMs: ${p.vms.map((v) => v.name).join(", ")})`);
    if (scenario === "default") {
      if (!memtest) throw new Error("no second default VM on the page");
    }
    const statStart = procStat();
    const guestCpuAt = (q: PagePoll) => q.vms.reduce((sum, v) => sum + v.cpuTimeSec, 0);
    let statLinux: ReturnType<typeof procStat> = null;
    const guestCpuStart = guestCpuAt(p);
    const wallStart = p.now;
    for (;;) {
      const l = p.vms.find((v) => v.id === linux.id);
      const m = memtest ? p.vms.find((v) => v.id === memtest.id) : undefined;
      for (const v of [l, m]) if (v && (v.state === "crashed" || v.state === "powered-off")) throw new Error(`${v.name} is ${v.state}: ${v.reason}`);
      if (l && run.linuxReadySeconds === null && withoutControlSequences(l.serialTail).trimEnd().endsWith(prompt)) {
        run.linuxReadySeconds = (p.now - l.createdAt) / 1000;
        statLinux = procStat();
        run.hostCpuWhileLinuxBootsPercent = cpuPercentBetween(statStart, statLinux);
        run.guestCpuWhileLinuxBootsPercent = Math.round((1000 * (guestCpuAt(p) - guestCpuStart)) / ((p.now - wallStart) / 1000) / cpus().length) / 10;
      }
      if (m && run.memtestReadySeconds === null && memtestTesting(m.screen)) run.memtestReadySeconds = (p.now - m.createdAt) / 1000;
      if (run.linuxReadySeconds !== null && (!memtest || run.memtestReadySeconds !== null)) break;
      if (Date.now() > deadline) throw new Error(`not ready within ${timeoutSeconds} s`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      p = await poll(page);
    }
    run.hostCpuPercent = cpuPercentBetween(stat0, procStat());
    run.longTasks = p.longTasks.filter((d) => d > 50).length;
    run.longestTaskMs = Math.round(Math.max(0, ...p.longTasks));
    run.vms = p.vms.map((v) => ({
      name: v.name,
      readySeconds: v.id === linux.id ? run.linuxReadySeconds : run.memtestReadySeconds,
      cpuTimeSeconds: Math.round(v.cpuTimeSec * 10) / 10,
      pageYieldSeconds: Math.round(v.pageYieldSec * 100) / 100,
    }));
  } catch (e) {
    run.error = (e as Error).message;
  } finally {
    await browser.close();
  }
  return { run };
}

const fmt = (s: number | null, unit = " s") => (s === null ? "—" : `${s.toFixed(1)}${unit}`);
const fmtSpread = (r: [number, number] | null, unit = " s") => (r ? `${r[0].toFixed(1)}–${r[1].toFixed(1)}${unit}` : "—");

export async function runBrowserBench(argv: string[]): Promise<void> {
  const args = parseBrowserArgs(argv);
  const manifestPath = join(repoRoot, "public/guests/manifest.json");
  if (!existsSync(manifestPath)) throw new Error("public/guests/manifest.json is missing: run npm run guests");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { guests: Record<string, { prompt?: string }> };
  const prompt = (manifest.guests[LINUX_GUEST]?.prompt ?? "# ").trimEnd();
  console.log(`[bench] browser: ${args.runs} run(s) per scenario, alternating default / linux-alone; host ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const server = await startServer();
  const runs: BrowserRun[] = [];
  try {
    for (let i = 0; i < args.runs; i++) {
      for (const scenario of ["default", "linux-alone"] as const) {
        const { run } = await runOnce(server.url, scenario, prompt, args.timeoutSeconds);
        runs.push(run);
        console.log(
          `[bench] ${scenario.padEnd(11)} run ${i + 1}: Linux prompt ${fmt(run.linuxReadySeconds)}` +
            (scenario === "default" ? `, memtest86+ test screen ${fmt(run.memtestReadySeconds)}` : "") +
            `, host CPU while Linux boots ${fmt(run.hostCpuWhileLinuxBootsPercent, "%")} (guests ${fmt(run.guestCpuWhileLinuxBootsPercent, "%")}), over the run ${fmt(run.hostCpuPercent, "%")}` +
            `, long tasks ${run.longTasks} (longest ${run.longestTaskMs} ms); stepped aside ${run.vms.map((v) => `${v.name} ${v.pageYieldSeconds} s of ${v.cpuTimeSeconds} s CPU`).join(", ")}` +
            (run.error ? ` — ${run.error}` : ""),
        );
      }
    }
  } finally {
    await server.close();
  }
  const of = (scenario: Scenario) => runs.filter((r) => r.scenario === scenario);
  const summarize = (scenario: Scenario) => {
    const rs = of(scenario);
    return {
      runs: rs.length,
      failed: rs.filter((r) => r.error).length,
      medianLinuxReadySeconds: median(rs.map((r) => r.linuxReadySeconds)),
      linuxReadySpread: spread(rs.map((r) => r.linuxReadySeconds)),
      medianMemtestReadySeconds: median(rs.map((r) => r.memtestReadySeconds)),
      memtestReadySpread: spread(rs.map((r) => r.memtestReadySeconds)),
      medianHostCpuWhileLinuxBootsPercent: median(rs.map((r) => r.hostCpuWhileLinuxBootsPercent)),
      hostCpuWhileLinuxBootsSpread: spread(rs.map((r) => r.hostCpuWhileLinuxBootsPercent)),
      medianGuestCpuWhileLinuxBootsPercent: median(rs.map((r) => r.guestCpuWhileLinuxBootsPercent)),
      medianLongTasks: median(rs.map((r) => r.longTasks)),
      longTasksSpread: spread(rs.map((r) => r.longTasks)),
    };
  };
  const both = summarize("default");
  const alone = summarize("linux-alone");
  const slowdown = both.medianLinuxReadySeconds !== null && alone.medianLinuxReadySeconds ? Math.round((100 * both.medianLinuxReadySeconds) / alone.medianLinuxReadySeconds) / 100 : null;
  console.log("\n[bench] browser medians (spread)");
  console.log(`[bench]   Linux prompt beside memtest86+ ${fmt(both.medianLinuxReadySeconds)} (${fmtSpread(both.linuxReadySpread)}), alone ${fmt(alone.medianLinuxReadySeconds)} (${fmtSpread(alone.linuxReadySpread)}): ${slowdown ?? "—"}× its time alone (target ≤ 1.3)`);
  console.log(`[bench]   memtest86+ test screen ${fmt(both.medianMemtestReadySeconds)} (${fmtSpread(both.memtestReadySpread)})`);
  console.log(`[bench]   host CPU while both VMs are busy ${fmt(both.medianHostCpuWhileLinuxBootsPercent, "%")} (${fmtSpread(both.hostCpuWhileLinuxBootsSpread, "%")}; target > 85%), the guests' own ${fmt(both.medianGuestCpuWhileLinuxBootsPercent, "%")}; Linux alone ${fmt(alone.medianHostCpuWhileLinuxBootsPercent, "%")}`);
  console.log(`[bench]   wall-clock long tasks (> 50 ms) per run: default ${both.medianLongTasks ?? "—"} (${fmtSpread(both.longTasksSpread, "")}), alone ${alone.medianLongTasks ?? "—"} (${fmtSpread(alone.longTasksSpread, "")})`);
  const resultsPath = join(repoRoot, "bench/results.json");
  let results: Record<string, unknown> = {};
  if (existsSync(resultsPath)) {
    try {
      results = JSON.parse(readFileSync(resultsPath, "utf8")) as Record<string, unknown>;
    } catch {
      console.log("[bench] bench/results.json was not valid JSON: starting it afresh");
    }
  }
  results.browser = {
    date: new Date().toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, loadAverageAtEnd: loadavg() },
    options: args,
    summary: { default: both, linuxAlone: alone, linuxSlowdownBesideMemtest: slowdown },
    runs,
  };
  writeFileSync(resultsPath, JSON.stringify(results, null, 2) + "\n");
  console.log("[bench] wrote bench/results.json (browser)");
}
