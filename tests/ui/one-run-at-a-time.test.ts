import { describe, expect, it } from "vitest";
import { oneRunAtATime } from "../../src/ui/one-run-at-a-time.ts";

/** A job whose runs finish only when the test says so, recording how many overlap. */
function gatedJob() {
  const gates: (() => void)[] = [];
  let active = 0;
  const state = { runs: 0, maxActive: 0 };
  const job = async () => {
    state.runs++;
    active++;
    state.maxActive = Math.max(state.maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
  };
  const finishNext = async () => {
    for (let i = 0; i < 10 && gates.length === 0; i++) await Promise.resolve();
    gates.shift()!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { job, state, finishNext };
}

describe("oneRunAtATime", () => {
  it("never overlaps runs; calls made during a run share one follow-up run", async () => {
    const { job, state, finishNext } = gatedJob();
    const refresh = oneRunAtATime(job);
    const first = refresh();
    const second = refresh();
    const third = refresh();
    expect(state.runs).toBe(1);
    await finishNext();
    await first;
    expect(state.runs).toBe(2); // the follow-up began only after the first run ended
    await finishNext();
    await Promise.all([second, third]);
    expect(state.runs).toBe(2);
    expect(state.maxActive).toBe(1);
  });

  it("runs again for a call made after the previous run ended", async () => {
    const { job, state, finishNext } = gatedJob();
    const refresh = oneRunAtATime(job);
    const first = refresh();
    await finishNext();
    await first;
    const again = refresh();
    await finishNext();
    await again;
    expect(state.runs).toBe(2);
  });

  it("hands a failure to the callers of that run and still serves later calls", async () => {
    let calls = 0;
    const refresh = oneRunAtATime(async () => {
      calls++;
      if (calls === 1) throw new Error("hypervisor busy");
    });
    await expect(refresh()).rejects.toThrow("hypervisor busy");
    await expect(refresh()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
