// Reads a Chromium trace written by `e2e/long-task-profile.ts --trace FILE` and lists each main-thread
// task of the page longer than the threshold: wall time, thread (CPU) time — a task with much less
// CPU than wall time was descheduled, not busy — and its heaviest nested events (script, style,
// layout, paint, GC). A diagnostic tool:  npx tsx e2e/long-task-trace.ts FILE [threshold-ms]

import { readFile } from "node:fs/promises";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown>; [k: string]: unknown };
}

const [file, thresholdArg] = process.argv.slice(2);
const threshold = Number(thresholdArg ?? 30) * 1000;
const raw = JSON.parse(await readFile(file, "utf8")) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(raw) ? raw : raw.traceEvents;

// The page's renderer main thread: the CrRendererMain that ran the navigation.
const mains = events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain");
// The last navigation: the page may start in one renderer (about:blank) and move to another.
const navStart = events.filter((e) => e.name === "navigationStart" && mains.some((m) => m.pid === e.pid)).sort((a, b) => a.ts - b.ts).pop();
const main = mains.find((m) => m.pid === navStart?.pid) ?? mains[0];
const origin = navStart?.ts ?? 0;
const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.dur !== undefined).sort((a, b) => a.ts - b.ts);

const describe = (e: TraceEvent): string => {
  const d = e.args?.data ?? {};
  const what = [d.functionName, d.url ? String(d.url).split("/").pop() : "", d.type, d.frame ? "" : ""].filter(Boolean).join(" ");
  return `${e.name}${what ? ` (${what})` : ""}`;
};

for (const task of onMain.filter((e) => e.name === "RunTask" && e.dur! >= threshold)) {
  const end = task.ts + task.dur!;
  console.log(`task at ${((task.ts - origin) / 1000).toFixed(0)} ms: wall ${(task.dur! / 1000).toFixed(1)} ms, thread ${((task.tdur ?? 0) / 1000).toFixed(1)} ms`);
  const inner = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= end && e.dur! >= 2000);
  // Depth by containment, to print a small tree.
  const stack: TraceEvent[] = [];
  for (const e of inner) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! <= e.ts) stack.pop();
    console.log(`  ${"  ".repeat(stack.length)}${(e.dur! / 1000).toFixed(1)} ms (cpu ${((e.tdur ?? 0) / 1000).toFixed(1)}) ${describe(e)}`);
    stack.push(e);
  }
}
