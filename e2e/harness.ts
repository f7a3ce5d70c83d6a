// Shared e2e plumbing: serve the built workstation with cross-origin isolation headers, and drive
// Debian's Chromium with playwright-core. Used by every e2e/*.e2e.test.ts file.

import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const repoRoot = resolve(import.meta.dirname, "..");
export const chromiumPath = process.env.HYPERTAB_CHROMIUM ?? "/usr/bin/chromium";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * "development": what the e2e tests serve. React checks keys, hooks and state updates only in a
 * development build (NODE_ENV=development), and the e2e fails on what it reports (console-watch.ts);
 * the app's own code is the same. "production": what `npm run build` ships, for measurements.
 */
export type AppBuild = "development" | "production";

const outDirs: Record<AppBuild, string> = { development: "dist-e2e", production: "dist" };
const builds = new Map<AppBuild, Promise<void>>();

/** `vite build` of the given kind into its folder (once per process). */
export function buildApp(kind: AppBuild): Promise<void> {
  let build = builds.get(kind);
  if (!build) {
    const args = [join(repoRoot, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn", "--outDir", outDirs[kind], "--emptyOutDir"];
    build = runToCompletion(process.execPath, args, { ...process.env, NODE_ENV: kind });
    builds.set(kind, build);
  }
  return build;
}

/** Builds unless this e2e run's global setup already did (or HYPERTAB_E2E_SKIP_BUILD=1 and the build exists). */
async function ensureBuilt(kind: AppBuild): Promise<void> {
  if ((process.env.HYPERTAB_E2E_BUILT === kind) || process.env.HYPERTAB_E2E_SKIP_BUILD === "1") {
    const exists = await stat(join(repoRoot, outDirs[kind], "index.html")).then(() => true, () => false);
    if (exists) return;
  }
  return buildApp(kind);
}

function runToCompletion(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${output}`)),
    );
  });
}

/**
 * Builds the app (vite build) and serves it with `vite preview` on a free 127.0.0.1 port. The
 * preview server sends COOP/COEP/CORP on every response (vite.config.ts).
 */
export async function startServer(kind: AppBuild = "production"): Promise<RunningServer> {
  await ensureBuilt(kind);
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repoRoot, "node_modules/vite/bin/vite.js"), "preview", "--outDir", outDirs[kind], "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], detached: false },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`vite preview exited early (${code}):\n${log}`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForHttp(url, 30_000), exited]);
  return {
    url,
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server at ${url} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/**
 * Launches headless Debian Chromium. playwright's launch() gives every browser a fresh temporary
 * user-data-dir (and deletes it on close), so no state leaks between runs or tests.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}
