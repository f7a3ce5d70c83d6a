// `npm run vm -- --nic MODEL,...,net=NAME`: which virtual network each card plugs into, and the
// plugs the switch side makes of the cards (vm-nic-option.test.ts covers the cards themselves).

import { describe, expect, it } from "vitest";
import { parseVmArgs } from "../../scripts/vm/options.ts";
import { formatMac } from "../../src/hypervisor/net/ethernet.ts";
import { nicPlugsOf } from "../../src/hypervisor/net/nic-plugs.ts";

const K = ["--kernel", "k"];

describe("--nic net=", () => {
  it("puts each card on its network (default lan), and the plugs carry the cards' MACs", () => {
    const o = parseVmArgs([...K, "--nic", "virtio-net", "--nic=ne2k-pci,mac=52:54:00:aa:bb:cc,net=Lab-2"]);
    expect(o.nicNetworks).toEqual(["lan", "lab-2"]);
    const plugs = nicPlugsOf({ memoryMiB: 16, boot: { kind: "firmware", order: [] }, cards: [{ type: "serial", index: 0 }, ...o.nics!] }, (i) => o.nicNetworks![i]!);
    expect(plugs.map((p) => p.network)).toEqual(["lan", "lab-2"]);
    expect(formatMac(plugs[1]!.mac!)).toBe("52:54:00:aa:bb:cc");
    // The first card's default MAC: locally administered, QEMU's 52:54:00 range.
    expect(formatMac(plugs[0]!.mac!)).toMatch(/^52:54:00:/);
  });

  it("refuses a network name that is not one", () => {
    expect(() => parseVmArgs([...K, "--nic", "virtio-net,net=no spaces"])).toThrow(/--nic net: network name must be 1-32 letters/);
    expect(() => parseVmArgs([...K, "--nic", "virtio-net,net="])).toThrow(/--nic net: network name/);
  });
});
