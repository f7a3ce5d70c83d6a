// The workstation must be cross-origin isolated: guest RAM and device rings are SharedArrayBuffers
// shared between the page, the hypervisor worker and guest workers.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { ConsoleWatch } from "./console-watch.ts";
import { launchBrowser, startServer, type RunningServer } from "./harness.ts";

let server: RunningServer;
let browser: Browser;
/** The app's console on every page these tests open. */
const consoleWatch = new ConsoleWatch();

beforeAll(async () => {
  server = await startServer("development");
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("cross-origin isolation", () => {
  test("every response carries COOP, COEP and CORP", async () => {
    const page = await fetch(server.url);
    const html = await page.text();
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    // The scripts the page loads (and workers are built from) carry the headers too.
    const scriptPath = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(scriptPath, "index.html references a script").toBeTruthy();
    const script = await fetch(new URL(scriptPath!, server.url));
    expect(script.ok).toBe(true);
    expect(script.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(script.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  test("the page is crossOriginIsolated and can create a SharedArrayBuffer", async () => {
    const page = await browser.newPage();
    consoleWatch.watch(page);
    await page.goto(server.url);
    const result = await page.evaluate(() => {
      const sab = new SharedArrayBuffer(16);
      new Int32Array(sab)[0] = 42;
      return { isolated: globalThis.crossOriginIsolated, value: Atomics.load(new Int32Array(sab), 0) };
    });
    expect(result).toEqual({ isolated: true, value: 42 });
    await page.close();
  });

  test("a worker is crossOriginIsolated and shares memory with the page", async () => {
    const page = await browser.newPage();
    consoleWatch.watch(page);
    await page.goto(server.url);
    const result = await page.evaluate(async () => {
      const source = `onmessage = (e) => {
        const view = new Int32Array(e.data);
        Atomics.store(view, 0, 7);
        const own = new SharedArrayBuffer(8);
        postMessage({ isolated: self.crossOriginIsolated, ownBytes: own.byteLength });
      };`;
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      const worker = new Worker(url);
      const sab = new SharedArrayBuffer(4);
      const reply = await new Promise<{ isolated: boolean; ownBytes: number }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage(sab);
      });
      worker.terminate();
      return { ...reply, written: Atomics.load(new Int32Array(sab), 0) };
    });
    expect(result).toEqual({ isolated: true, ownBytes: 8, written: 7 });
    await page.close();
  });

  test("React reported no problem on these pages", () => {
    const problems = consoleWatch.reactProblems().map((l) => `${l.from} ${l.type}: ${l.text}`);
    expect(problems, `React reported:\n${problems.join("\n")}`).toEqual([]);
  });
});
