// Drives one Hypertab page in an e2e test through its debug surface (window.__hypertab,
// src/ui/debug-hooks.ts): the VM list, polling with a deadline, and shell commands on a Linux
// guest's serial console whose output is read back between two markers.

import type { Page } from "playwright-core";
// window.__hypertab, the page's debug surface (declared there).
import type {} from "../src/ui/debug-hooks.ts";

export interface VmRow {
  id: string;
  name: string;
  state: string;
  reason: string;
  guestId: string | null;
  generation: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serial output as a terminal displays it: CSI sequences (cursor queries, colours) removed. */
export const withoutControlSequences = (text: string) => text.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, "");

export class HypertabPage {
  private commands = 0;
  /** Failed operations a test expected (they stay listed for a minute). */
  private readonly expectedFailures = new Set<string>();

  constructor(readonly page: Page) {}

  /** Waits until the app's debug surface is there (after a load or a reload). A reload starts a
   *  new hypervisor, whose operation ids start again: failures expected before mean nothing now. */
  async ready(): Promise<void> {
    this.expectedFailures.clear();
    await this.page.waitForFunction(() => window.__hypertab !== undefined, null, { timeout: 60_000 });
  }

  vms(): Promise<VmRow[]> {
    return this.page.evaluate(async () => {
      const list = await window.__hypertab!.hv.list();
      return list.map((v) => ({ id: v.id, name: v.name, state: v.state as string, reason: v.reason, guestId: v.guestId, generation: v.generation }));
    });
  }

  async vm(id: string): Promise<VmRow> {
    const list = await this.vms();
    const row = list.find((v) => v.id === id);
    if (!row) throw new Error(`VM ${id} is not listed (VMs: ${list.map((v) => `${v.id} ${v.name} ${v.state}`).join(", ") || "none"})`);
    return row;
  }

  /** Polls `probe` until it returns true; fails early if a VM in `watch` crashes or powers off.
   *  On a timeout the error carries what `detail` says of the situation. */
  async until(what: string, timeoutMs: number, probe: () => Promise<boolean>, watch: string[] = [], detail?: () => Promise<string>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await probe()) return;
      for (const id of watch) {
        const v = await this.vm(id);
        if (v.state === "crashed" || v.state === "powered-off") throw new Error(`${what}: VM ${id} (${v.name}) is ${v.state}: ${v.reason}`);
      }
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${detail ? `\n${await detail()}` : ""}`);
      await sleep(500);
    }
  }

  serialText(id: string): Promise<string> {
    return this.page.evaluate((i) => window.__hypertab!.serialText(i), id);
  }

  /** The end of the serial output (copying the whole transcript on every poll loads the page). */
  serialTail(id: string, chars = 8192): Promise<string> {
    return this.page.evaluate(([i, n]) => window.__hypertab!.serialText(i).slice(-n), [id, chars] as const);
  }

  screenText(id: string): Promise<string> {
    return this.page.evaluate((i) => window.__hypertab!.screenText(i), id);
  }

  /** Waits until the VM runs and the page holds the console channels of its current guest worker. */
  async consoleReady(id: string, timeoutMs = 60_000): Promise<void> {
    await this.until(`VM ${id} running with its console`, timeoutMs, async () => {
      const v = await this.vm(id);
      const held = await this.page.evaluate((i) => window.__hypertab!.consoleGeneration(i), id);
      return v.state === "running" && held === v.generation;
    }, [id]);
  }

  /** Waits for the Linux guest's shell prompt on the serial console (panics fail at once). */
  async linuxPrompt(id: string, prompt: string, timeoutMs: number): Promise<void> {
    await this.until(`Linux shell prompt "${prompt}" on VM ${id}`, timeoutMs, async () => {
      const text = await this.serialTail(id);
      const panic = /Kernel panic[^\n]*/.exec(text);
      if (panic) throw new Error(`the Linux guest panicked: ${panic[0]}\n${text.slice(-1500)}`);
      // busybox's line editor follows its prompt with a cursor position query (ESC [6n).
      return withoutControlSequences(text).trimEnd().endsWith(prompt);
    }, [id], async () => (await this.serialTail(id, 1500)));
  }

  /**
   * Types `command` on the VM's serial console and returns what it printed (trimmed), read between
   * two markers echoed around it: the command line's own echo holds each marker followed by ";",
   * the output followed by a line end, so only the output matches.
   */
  async shell(id: string, command: string, timeoutMs = 60_000): Promise<string> {
    await this.consoleReady(id);
    const n = ++this.commands;
    const begin = `BEGIN${n}X`;
    const end = `END${n}X`;
    const output = new RegExp(`${begin}\\r?\\n([\\s\\S]*?)${end}\\r?\\n`);
    await this.page.evaluate(([i, text]) => window.__hypertab!.typeSerial(i, text), [id, `echo ${begin}; ${command}; echo ${end}\r`] as const);
    let found = "";
    await this.until(`output of "${command}" on VM ${id}`, timeoutMs, async () => {
      const m = output.exec(withoutControlSequences(await this.serialTail(id)));
      if (m) found = m[1];
      return m !== null;
    }, [id], async () => `serial console ends with:\n${await this.serialTail(id, 1500)}`);
    return found.replace(/\r/g, "").trim();
  }

  /** Marks the operations that have failed so far as expected: operationsIdle() passes over them. */
  async expectFailures(): Promise<void> {
    const ops = await this.page.evaluate(() => window.__hypertab!.hv.operations());
    for (const o of ops) if (o.error !== null) this.expectedFailures.add(o.id);
  }

  /** Waits until no operation (snapshot, revert, suspend, ...) runs; fails on one that failed. */
  async operationsIdle(what: string, timeoutMs = 120_000): Promise<void> {
    await this.until(`${what}: operations finished`, timeoutMs, async () => {
      const ops = await this.page.evaluate(() => window.__hypertab!.hv.operations());
      const failed = ops.find((o) => o.error !== null && !this.expectedFailures.has(o.id));
      if (failed) throw new Error(`${what}: operation ${failed.kind} failed: ${failed.error}`);
      return ops.every((o) => o.done);
    });
  }
}
