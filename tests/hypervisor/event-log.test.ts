import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/hypervisor/event-log.ts";

describe("EventLog", () => {
  it("timestamps entries, returns what a poller has not seen, and stays bounded", () => {
    let t = 1000;
    const log = new EventLog(3, () => t++);
    log.add("vm1", "lifecycle", "created");
    log.add("vm1", "error", "crashed: triple fault");
    log.add(null, "resource", "refused");
    log.add("vm2", "config", "share 100 → 300");
    expect(log.since(0).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(log.since(3).map((e) => e.message)).toEqual(["share 100 → 300"]);
    expect(log.since(2)[0]).toMatchObject({ level: "info", time: 1002, kind: "resource" });
    expect(log.forVm("vm1")[0]).toMatchObject({ level: "error", message: "crashed: triple fault" });
  });
});
