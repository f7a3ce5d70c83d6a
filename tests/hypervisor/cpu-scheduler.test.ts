import { describe, expect, it } from "vitest";
import { CpuScheduler, type SchedulerVm } from "../../src/hypervisor/cpu-scheduler.ts";

const vm = (id: string, share: number, extra: Partial<SchedulerVm> = {}): SchedulerVm => ({
  id, share, capPercent: 100, active: true, idleFraction: 0, ...extra,
});

describe("CpuScheduler (CPU-time budgets, microseconds per period)", () => {
  it("leaves a VM that runs alone unlimited", () => {
    const s = new CpuScheduler();
    expect(s.plan([vm("a", 3), vm("b", 1, { active: false })]).get("a")).toBe(0);
  });

  it("gives competing VMs CPU time in the ratio of their shares, never more than one core each", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    const plan = s.plan([vm("a", 300), vm("b", 100)]);
    // 3:1 within 1.5 cores would be 1.125 : 0.375 core; one core is the most a thread can use,
    // so both scale down to keep the ratio: 1 : 1/3 core (a = unlimited, a whole period).
    expect(plan.get("b")!).toBe(Math.round((50_000 * 1) / 3));
    expect(s.fractions([vm("a", 300), vm("b", 100)]).get("a")).toBeCloseTo(1, 6);
    const even = s.plan([vm("a", 1), vm("b", 1)]);
    expect(even.get("a")).toBe(0.75 * 50_000);
    expect(even.get("b")).toBe(0.75 * 50_000);
    const three = s.plan([vm("a", 2), vm("b", 1), vm("c", 1)]);
    expect(three.get("a")! / three.get("b")!).toBeCloseTo(2, 6);
    expect(three.get("a")! + three.get("b")! + three.get("c")!).toBe(1.5 * 50_000);
  });

  it("ignores idle and stopped guests", () => {
    const s = new CpuScheduler();
    expect(s.plan([vm("a", 1), vm("b", 1, { idleFraction: 0.9 })]).get("a")).toBe(0);
    expect(s.plan([vm("a", 1), vm("b", 1, { active: false })]).get("a")).toBe(0);
  });

  it("caps a VM to a percentage of one core, alone or competing", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1.5 });
    expect(s.plan([vm("a", 1, { capPercent: 25 })]).get("a")).toBe(0.25 * 50_000);
    const plan = s.plan([vm("a", 1, { capPercent: 10 }), vm("b", 1)]);
    expect(plan.get("a")).toBe(0.1 * 50_000);
    expect(plan.get("b")).toBe(0.75 * 50_000);
  });

  it("never hands out a budget too small to run a slice", () => {
    const s = new CpuScheduler({ periodMs: 50, guestCores: 1 });
    const plan = s.plan([vm("a", 1000), vm("b", 1)]);
    expect(plan.get("b")!).toBeGreaterThanOrEqual(500);
  });
});
