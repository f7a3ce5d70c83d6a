import { describe, expect, it } from "vitest";
import { USAGE, UsageError, parseVmArgs } from "../../scripts/vm/options.ts";

const K = ["--kernel", "k"];

describe("npm run vm --nic", () => {
  it("turns each --nic into a card, slots 3, 4... unless given", () => {
    const o = parseVmArgs([...K, "--nic", "virtio-net", "--nic=ne2k-pci,mac=52:54:00:01:02:03,link=down", "--nic", "virtio-net,slot=9"]);
    expect(o.nics).toEqual([
      { type: "virtio-net", pciSlot: 3 },
      { type: "ne2k-pci", pciSlot: 4, mac: "52:54:00:01:02:03", linkUp: false },
      { type: "virtio-net", pciSlot: 9 },
    ]);
    expect(USAGE).toContain("--nic MODEL");
  });

  it("names what is wrong", () => {
    expect(() => parseVmArgs([...K, "--nic", "e1000"])).toThrow(UsageError);
    expect(() => parseVmArgs([...K, "--nic", "e1000"])).toThrow(/model must be ne2k-pci or virtio-net, got "e1000"/);
    expect(() => parseVmArgs([...K, "--nic", "virtio-net,speed=10"])).toThrow(/"speed=10"/);
  });
});
