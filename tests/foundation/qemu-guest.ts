// Boots a guest image in QEMU (the reference PC) and watches its serial port: used to prove that
// the images the pipeline builds really boot, independently of Hypertab.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Manifest } from "../../scripts/guests/pipeline.ts";

export interface QemuSession {
  /** Resolves with the ms since start when `text` has appeared on COM1; rejects on timeout or exit. */
  waitFor(text: string, timeoutMs: number): Promise<number>;
  send(text: string): void;
  /** Runs one human-monitor command and returns its output. */
  monitor(command: string): Promise<string>;
  serial(): string;
  exited: Promise<number | null>;
  kill(): void;
}

export function startQemu(args: string[]): QemuSession {
  const dir = mkdtempSync(join(tmpdir(), "qemu-guest-"));
  const socket = join(dir, "monitor.sock");
  const child = spawn("qemu-system-i386", ["-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", `unix:${socket},server,nowait`, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const t0 = performance.now();
  let out = "";
  let err = "";
  const waiters = new Set<{ text: string; resolve: (t: number) => void }>();
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("latin1");
    for (const w of waiters)
      if (out.includes(w.text)) {
        waiters.delete(w);
        w.resolve(performance.now() - t0);
      }
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code) => {
      rmSync(dir, { recursive: true, force: true });
      r(code);
    }),
  );
  const tail = () => `serial tail:\n${out.slice(-800)}\nqemu stderr: ${err.slice(-300)}`;
  return {
    waitFor(text, timeoutMs) {
      if (out.includes(text)) return Promise.resolve(performance.now() - t0);
      return new Promise((resolve, reject) => {
        const w = {
          text,
          resolve: (t: number) => {
            clearTimeout(timer);
            resolve(t);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`"${text}" not seen on serial within ${timeoutMs} ms; ${tail()}`));
        }, timeoutMs);
        waiters.add(w);
        void exited.then((code) => {
          if (waiters.delete(w)) {
            clearTimeout(timer);
            reject(new Error(`QEMU exited (${code}) before "${text}"; ${tail()}`));
          }
        });
      });
    },
    send(text) {
      child.stdin.write(text);
    },
    monitor(command) {
      return new Promise((resolve, reject) => {
        const conn = createConnection(socket);
        let reply = "";
        let sent = false;
        conn.on("data", (d) => {
          reply += d.toString("latin1");
          if (!sent && reply.includes("(qemu)")) {
            sent = true;
            reply = "";
            conn.write(`${command}\n`);
          } else if (sent && reply.includes("(qemu)")) {
            conn.end();
            // Drop the terminal escapes and the echoed command line.
            resolve(reply.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").split(/\r?\n/).slice(1).join("\n").replace(/\(qemu\)\s*$/, ""));
          }
        });
        conn.on("error", reject);
      });
    },
    serial: () => out,
    exited,
    kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

// ---- shared set-up for the guest-image boot tests ----


const repo = resolve(import.meta.dirname, "../..");
/** public/, or HYPERTAB_GUESTS: a folder with the same layout (`npm run guests -- --out DIR`). */
export const publicPath = (p: string) => join(process.env.HYPERTAB_GUESTS ? resolve(process.env.HYPERTAB_GUESTS) : join(repo, "public"), p);
const manifestFile = publicPath("guests/manifest.json");
/** The built manifest, or null when images or QEMU are missing (the tests then do not run). */
export const builtManifest: Manifest | null =
  existsSync(manifestFile) && spawnSync("sh", ["-c", "command -v qemu-system-i386"]).status === 0
    ? (JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest)
    : null;
/** Generous: QEMU's TCG on two shared cores boots the kernel in ~10 s idle, far slower under load. */
export const BOOT_MS = 120_000;
