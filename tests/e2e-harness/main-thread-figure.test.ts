// The main-thread figure joins a browser benchmark's results, and only those.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mainThreadFigure, reportMainThreadFigure } from "../../e2e/main-thread-figure.ts";

const figure = mainThreadFigure([
  { start: 0, wallMs: 120, cpuMs: 4 },
  { start: 1000, wallMs: 10, cpuMs: 9 },
]);

describe("reportMainThreadFigure", () => {
  it("adds the figure to the browser section of bench/results.json", () => {
    const file = join(mkdtempSync(join(tmpdir(), "figure-")), "results.json");
    writeFileSync(file, JSON.stringify({ node: { bootSeconds: 30 }, browser: { linuxPromptSeconds: 80 } }));
    reportMainThreadFigure("e2e workstation", figure, file);
    const results = JSON.parse(readFileSync(file, "utf8"));
    expect(results.node).toEqual({ bootSeconds: 30 });
    expect(results.browser.linuxPromptSeconds).toBe(80);
    expect(results.browser.mainThread["e2e workstation"]).toEqual({ tracedSeconds: 1, tasks: 2, longTasksWall: 1, longTasksCpu: 0, longestWallMs: 120, longestCpuMs: 9 });
  });

  it("leaves results without a browser section as they are", () => {
    const file = join(mkdtempSync(join(tmpdir(), "figure-")), "results.json");
    const before = JSON.stringify({ node: { bootSeconds: 30 } });
    writeFileSync(file, before);
    reportMainThreadFigure("e2e workstation", figure, file);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
