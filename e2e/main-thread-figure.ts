// The main thread's figure for a browser run: how many of its tasks took over 50 ms of wall-clock
// time (what the Long Tasks API counts: on a busy host mostly waiting for a core) and how many took
// over 50 ms of the thread's own CPU time (work the page did). Printed, and joined to the browser
// section of bench/results.json when a browser benchmark has written one.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { MainThreadTask } from "./main-thread-trace.ts";

export const LONG_TASK_MS = 50;

export interface MainThreadFigure {
  tracedSeconds: number;
  tasks: number;
  /** Tasks over 50 ms of wall-clock time. */
  longTasksWall: number;
  /** Tasks over 50 ms of the main thread's CPU time. */
  longTasksCpu: number;
  longestWallMs: number;
  longestCpuMs: number;
}

export function mainThreadFigure(tasks: readonly MainThreadTask[]): MainThreadFigure {
  const last = tasks.at(-1);
  return {
    tracedSeconds: tasks.length && last ? Math.round((last.start + last.wallMs - tasks[0].start) / 100) / 10 : 0,
    tasks: tasks.length,
    longTasksWall: tasks.filter((t) => t.wallMs > LONG_TASK_MS).length,
    longTasksCpu: tasks.filter((t) => t.cpuMs > LONG_TASK_MS).length,
    longestWallMs: Math.round(Math.max(0, ...tasks.map((t) => t.wallMs))),
    longestCpuMs: Math.round(Math.max(0, ...tasks.map((t) => t.cpuMs))),
  };
}

const RESULTS = resolve(import.meta.dirname, "..", "bench", "results.json");

/** Prints the figure under `label`; adds it to bench/results.json's browser section if there is one. */
export function reportMainThreadFigure(label: string, figure: MainThreadFigure, resultsFile = RESULTS): void {
  console.log(
    `${label}: main thread ${figure.tasks} tasks in ${figure.tracedSeconds} s; over ${LONG_TASK_MS} ms wall-clock ${figure.longTasksWall} (longest ${figure.longestWallMs} ms), over ${LONG_TASK_MS} ms own CPU ${figure.longTasksCpu} (longest ${figure.longestCpuMs} ms)`,
  );
  if (!existsSync(resultsFile)) return;
  const results = JSON.parse(readFileSync(resultsFile, "utf8")) as { browser?: Record<string, unknown> };
  if (typeof results.browser !== "object" || results.browser === null) return;
  results.browser.mainThread = { ...(results.browser.mainThread as Record<string, unknown> | undefined), [label]: figure };
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
  console.log(`${label}: main-thread figure written to ${join("bench", "results.json")} (browser.mainThread)`);
}
