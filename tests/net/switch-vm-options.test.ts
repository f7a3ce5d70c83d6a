// `npm run vm -- --nic MODEL[,mac=..][,net=NAME]`: parsing, and the cards it adds.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildMachineConfig, parseVmArgs } from "../../scripts/vm/options.ts";
import { nicPlugsOf } from "../../src/hypervisor/net/nic-plugs.ts";
import { formatMac } from "../../src/hypervisor/net/ethernet.ts";

const work = mkdtempSync(join(tmpdir(), "vm-nic-options-"));
/** The smallest file the runner takes for a bzImage (boot sector signature and "HdrS"). */
const bzImage = join(work, "bzImage");
writeFileSync(bzImage, Uint8Array.from({ length: 1024 }, (_, i) => (i === 0x1fe ? 0x55 : i === 0x1ff ? 0xaa : i >= 0x202 && i < 0x206 ? "HdrS".charCodeAt(i - 0x202) : 0)));
const kernel = ["--kernel", bzImage];

describe("--nic", () => {
  it("adds network cards in order, on their networks, with their MACs", () => {
    const o = parseVmArgs([...kernel, "--nic", "virtio-net", "--nic=ne2k-pci,mac=52:54:00:aa:bb:cc,net=Lab-2"]);
    expect(o.nics).toEqual([
      { model: "virtio-net", net: "lan" },
      { model: "ne2k-pci", mac: "52:54:00:aa:bb:cc", net: "lab-2" },
    ]);
    const cards = buildMachineConfig(o, work).cards;
    expect(cards.filter((c) => c.type === "virtio-net" || c.type === "ne2k-pci")).toEqual([{ type: "virtio-net", pciSlot: 3 }, { type: "ne2k-pci", pciSlot: 4, mac: "52:54:00:aa:bb:cc" }]);
    const plugs = nicPlugsOf({ memoryMiB: 16, boot: { kind: "firmware", order: [] }, cards: [{ type: "virtio-net", pciSlot: 3 }, { type: "ne2k-pci", pciSlot: 4, mac: "52:54:00:aa:bb:cc" }] }, (i) => ["lan", "lab-2"][i]!);
    expect(plugs.map((p) => [p.network, formatMac(p.mac!)])).toEqual([
      ["lan", formatMac(plugs[0]!.mac!)],
      ["lab-2", "52:54:00:aa:bb:cc"],
    ]);
    expect(plugs[0]!.mac![0]).toBe(0x52);
  });

  it("refuses what it cannot use, naming it", () => {
    expect(() => parseVmArgs([...kernel, "--nic", "e1000"])).toThrow(/--nic: the model must be ne2k-pci or virtio-net, got "e1000"/);
    expect(() => parseVmArgs([...kernel, "--nic", "virtio-net,mac=01:00:00:00:00:01"])).toThrow(/--nic mac: .*multicast/);
    expect(() => parseVmArgs([...kernel, "--nic", "virtio-net,net=no spaces"])).toThrow(/--nic net: network name/);
    expect(() => parseVmArgs([...kernel, "--nic", "virtio-net,speed=10"])).toThrow(/unknown property "speed=10"/);
    expect(() => parseVmArgs([...kernel, ...Array.from({ length: 9 }, () => ["--nic", "virtio-net"]).flat()])).toThrow(/at most 8/);
  });
});
