// What the e2e harness counts as React complaining on the console.

import { describe, expect, it } from "vitest";
import { isReactProblem } from "../../e2e/console-watch.ts";

describe("isReactProblem", () => {
  it("recognises React's duplicate-key warning as Playwright shows it (format, then arguments)", () => {
    const text = "Encountered two children with the same key, `%s`. Keys should be unique so that components maintain their identity across updates. 1";
    expect(isReactProblem({ from: "page", type: "error", text })).toBe(true);
  });

  it("recognises other React checks", () => {
    expect(isReactProblem({ from: "page", type: "error", text: 'Each child in a list should have a unique "key" prop.%s%s' })).toBe(true);
    expect(isReactProblem({ from: "page", type: "error", text: "Cannot update a component (`%s`) while rendering a different component (`%s`). App VmPanel" })).toBe(true);
    expect(isReactProblem({ from: "page", type: "warning", text: "Detected a large number of updates inside startTransition. %s" })).toBe(true);
  });

  it("leaves other messages alone: the browser's, workers', informational ones", () => {
    expect(isReactProblem({ from: "page", type: "error", text: "Failed to load resource: the server responded with a status of 404 (Not Found)" })).toBe(false);
    expect(isReactProblem({ from: "worker guest-worker.js", type: "error", text: "React-like text in a worker %s" })).toBe(false);
    expect(isReactProblem({ from: "page", type: "info", text: "Download the React DevTools for a better development experience" })).toBe(false);
  });
});
