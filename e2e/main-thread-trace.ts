// Records a Chromium trace of the page while an e2e run goes on and lists every task of the page's
// main thread with its wall time and its own CPU time (thread time). On a busy 2-core host a task's
// wall time is mostly waiting for a core; its thread time is what the page itself spent. Only the
// `toplevel` category (one event per task on every thread) and user timing (two marks that name
// the main thread and line the trace clock up with the page's) are recorded, streamed to Node and
// reduced to the main thread's tasks as they arrive.

import { StringDecoder } from "node:string_decoder";
import type { CDPSession, Page } from "playwright-core";

export interface MainThreadTask {
  /** Page time (performance.now) at which the task began, ms. */
  start: number;
  wallMs: number;
  /** The main thread's CPU time in the task. */
  cpuMs: number;
}

const START_MARK = "hypertab-trace-start";
const END_MARK = "hypertab-trace-end";
const TASK = "ThreadControllerImpl::RunTask";
/** Large enough for a whole e2e run (about 15 MB of events a minute with two guests running).
 *  Chromium turns the recorded trace into JSON when it ends: about a quarter of the traced time
 *  on a busy 2-core host. */
const BUFFER_KB = 768 * 1024;

interface TaskEvent {
  pid: number;
  tid: number;
  ts: number;
  dur: number;
  tdur: number | undefined;
}

interface Mark {
  pid: number;
  tid: number;
  ts: number;
  pageMs: number;
}

/** Reduces a trace, given as its lines (Chromium writes one event a line), to the main-thread
 *  tasks between the two marks. Throws when the trace cannot answer (no marks, no thread time). */
export class MainThreadTaskReader {
  private readonly tasks: TaskEvent[] = [];
  private start: Mark | null = null;
  private end: Mark | null = null;

  line(raw: string): void {
    const isTask = raw.includes(TASK);
    if (!isTask && !raw.includes(START_MARK) && !raw.includes(END_MARK)) return;
    const text = raw.trim().replace(/,$/, "");
    if (!text.startsWith("{")) return;
    const e = JSON.parse(text) as { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { data?: { startTime?: number } } };
    if (isTask && e.name === TASK && e.ph === "X" && e.dur !== undefined) {
      this.tasks.push({ pid: e.pid, tid: e.tid, ts: e.ts, dur: e.dur, tdur: e.tdur });
    } else if (e.name === START_MARK || e.name === END_MARK) {
      const mark = { pid: e.pid, tid: e.tid, ts: e.ts, pageMs: e.args?.data?.startTime ?? NaN };
      if (e.name === START_MARK) this.start = mark;
      else this.end = mark;
    }
  }

  result(): MainThreadTask[] {
    const { start, end } = this;
    if (!start) throw new Error(`main-thread trace: no "${START_MARK}" mark: the page's main thread is unknown`);
    if (!end) throw new Error(`main-thread trace: no "${END_MARK}" mark: the trace buffer filled up and later tasks were not recorded`);
    if (!Number.isFinite(start.pageMs)) throw new Error("main-thread trace: the start mark carries no page time");
    const mine = this.tasks.filter((t) => t.pid === start.pid && t.tid === start.tid && t.ts >= start.ts && t.ts <= end.ts).sort((a, b) => a.ts - b.ts);
    if (mine.length && mine.every((t) => t.tdur === undefined)) throw new Error("main-thread trace: tasks carry no thread time (tdur)");
    const out: MainThreadTask[] = [];
    let outerEnd = -Infinity;
    for (const t of mine) {
      if (t.ts < outerEnd) continue; // a task run inside another (nested run loop): counted there
      outerEnd = t.ts + t.dur;
      out.push({ start: start.pageMs + (t.ts - start.ts) / 1000, wallMs: t.dur / 1000, cpuMs: (t.tdur ?? t.dur) / 1000 });
    }
    return out;
  }
}

export class MainThreadTrace {
  private constructor(
    private readonly page: Page,
    private readonly cdp: CDPSession,
  ) {}

  /** Starts tracing (the page must be open on the app) and marks its main thread. */
  static async start(page: Page): Promise<MainThreadTrace> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Tracing.start", {
      transferMode: "ReturnAsStream",
      traceConfig: { recordMode: "recordUntilFull", traceBufferSizeInKb: BUFFER_KB, includedCategories: ["toplevel", "blink.user_timing"] },
    });
    await page.evaluate((name) => void performance.mark(name), START_MARK);
    return new MainThreadTrace(page, cdp);
  }

  /** Ends the trace and returns the main thread's tasks since start(). */
  async stop(): Promise<MainThreadTask[]> {
    await this.page.evaluate((name) => void performance.mark(name), END_MARK);
    const complete = new Promise<{ stream?: string }>((resolve) => this.cdp.once("Tracing.tracingComplete", resolve));
    await this.cdp.send("Tracing.end");
    const { stream } = await complete;
    if (!stream) throw new Error("main-thread trace: Chromium returned no trace stream");
    const reader = new MainThreadTaskReader();
    const utf8 = new StringDecoder("utf8"); // a character may straddle two chunks
    let rest = "";
    for (;;) {
      const chunk = await this.cdp.send("IO.read", { handle: stream, size: 4 << 20 });
      const text = chunk.base64Encoded ? utf8.write(Buffer.from(chunk.data, "base64")) : chunk.data;
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) reader.line(l);
      if (chunk.eof) break;
    }
    reader.line(rest);
    await this.cdp.send("IO.close", { handle: stream });
    await this.cdp.detach();
    return reader.result();
  }
}
