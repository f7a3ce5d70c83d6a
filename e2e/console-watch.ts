// Collects what a page and its workers write to the console during an e2e run, and tells React's
// own complaints apart: the e2e serves a development build (harness.ts), where React checks keys,
// hooks and state updates and reports problems with console.error / console.warn. A run in which
// React complained fails, with the messages.

import type { ConsoleMessage, Page, Worker } from "playwright-core";

export interface ConsoleLine {
  /** "page", "worker <script>" or "uncaught" (an exception nothing caught). */
  from: string;
  type: string;
  text: string;
}

/** React's dev messages: printf-style formats (Playwright shows the format, then the arguments),
 *  its names for what it checks, and its documentation links. Our own code logs none of these. */
const REACT_SIGNS = /Encountered two children with the same key|unique "key" prop|\bReact\b|react\.dev|react-dom|\bhooks?\b|\bcomponents?\b|^Warning: |%[sodfOc]/i;

/** True for an error or warning React wrote on the page's main thread (React runs nowhere else). */
export function isReactProblem(line: ConsoleLine): boolean {
  return (line.from === "page" || line.from === "uncaught") && (line.type === "error" || line.type === "warning") && REACT_SIGNS.test(line.text);
}

/** Keeps every error and warning; other messages only up to a bound (guests can be chatty). */
const MAX_OTHER_LINES = 2000;

export class ConsoleWatch {
  readonly lines: ConsoleLine[] = [];
  private others = 0;

  /** Starts collecting the page's console, its uncaught exceptions and its workers' consoles. */
  watch(page: Page): void {
    page.on("console", (m) => this.add("page", m));
    page.on("pageerror", (e) => this.lines.push({ from: "uncaught", type: "error", text: e.stack ?? e.message }));
    page.on("worker", (w: Worker) => {
      const from = `worker ${w.url().split("/").pop() ?? w.url()}`;
      w.on("console", (m) => this.add(from, m));
    });
  }

  private add(from: string, m: ConsoleMessage): void {
    const type = m.type();
    if (type !== "error" && type !== "warning" && ++this.others > MAX_OTHER_LINES) return;
    this.lines.push({ from, type, text: m.text() });
  }

  reactProblems(): ConsoleLine[] {
    return this.lines.filter(isReactProblem);
  }

  /** Every error and warning, one per line, repeated ones counted (for the run's log). */
  summary(): string {
    const counts = new Map<string, number>();
    for (const l of this.lines) {
      if (l.type !== "error" && l.type !== "warning") continue;
      const key = `${l.from} ${l.type}: ${l.text.slice(0, 400)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => (n > 1 ? `${n}× ${k}` : k)).join("\n") || "no errors or warnings";
  }
}
