// The e2e's check 8 reads a Chromium trace: the page's main-thread tasks, with wall and CPU time,
// between the two marks the harness places (a trace in Chromium's one-event-a-line JSON layout).

import { describe, expect, it } from "vitest";
import { MainThreadTaskReader } from "../../e2e/main-thread-trace.ts";
import { mainThreadFigure } from "../../e2e/main-thread-figure.ts";

const MAIN = { pid: 10, tid: 10 };
const WORKER = { pid: 10, tid: 17 };

const task = (where: { pid: number; tid: number }, tsUs: number, durUs: number, tdurUs?: number) =>
  JSON.stringify({ args: {}, cat: "toplevel", dur: durUs, name: "ThreadControllerImpl::RunTask", ph: "X", ...where, ...(tdurUs === undefined ? {} : { tdur: tdurUs }), ts: tsUs }) + ",";
const mark = (name: string, tsUs: number, pageMs: number) =>
  JSON.stringify({ args: { data: { startTime: pageMs } }, cat: "blink.user_timing", name, ph: "I", ...MAIN, s: "t", ts: tsUs }) + ",";

function read(lines: string[]) {
  const reader = new MainThreadTaskReader();
  for (const l of ['{"traceEvents":[', ...lines, '{"name":"last"}],', '"metadata":{}}']) reader.line(l);
  return reader.result();
}

describe("main-thread trace reader", () => {
  it("lists the main thread's tasks between the marks, in page time, with wall and CPU time", () => {
    const tasks = read([
      task(MAIN, 500, 90_000, 80_000), // before the start mark
      mark("hypertab-trace-start", 1_000, 2_000),
      task(MAIN, 2_000, 120_000, 4_000), // long on the wall clock, short on the CPU: waiting for a core
      task(WORKER, 3_000, 500_000, 500_000), // a worker's task is not the page's
      task(MAIN, 200_000, 60_000, 55_000),
      task(MAIN, 210_000, 1_000, 1_000), // nested in the one before: counted there
      mark("hypertab-trace-end", 400_000, 2_399),
      task(MAIN, 500_000, 90_000, 80_000), // after the end mark
    ]);
    expect(tasks).toEqual([
      { start: 2_001, wallMs: 120, cpuMs: 4 },
      { start: 2_199, wallMs: 60, cpuMs: 55 },
    ]);
    expect(mainThreadFigure(tasks)).toMatchObject({ tasks: 2, longTasksWall: 2, longTasksCpu: 1, longestWallMs: 120, longestCpuMs: 55 });
  });

  it("fails when the trace buffer filled up before the end mark", () => {
    expect(() => read([mark("hypertab-trace-start", 1_000, 2_000), task(MAIN, 2_000, 1_000, 900)])).toThrow(/buffer filled up/);
  });

  it("fails when tasks carry no thread time", () => {
    expect(() => read([mark("hypertab-trace-start", 1_000, 2_000), task(MAIN, 2_000, 1_000), mark("hypertab-trace-end", 9_000, 2_008)])).toThrow(/no thread time/);
  });
});
