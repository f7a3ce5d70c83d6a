// PCI hot-plug on a whole machine, from the host's side (hotplugCard, requestUnplug, forceUnplug)
// and the guest's (config cycles, the eject register its _EJ0 writes): a NIC appears in a free slot
// with working BARs and in the machine's config, a snapshot taken after the hot-plug restores into a
// machine built from that config, and removal leaves no trace on the PCI bus, the ports or `nics`.

import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import { PCI_HOTPLUG_IO_BASE } from "../../src/emulator/devices/chipset/pci-hotplug.ts";
import { pciRead, pciWrite } from "./helpers.ts";
import { linuxDirectConfig } from "./linux-guest.ts";

const EJECT = PCI_HOTPLUG_IO_BASE + 8;
const NIC_IO = 0xc100;

function machine() {
  const m = createMachine(linuxDirectConfig());
  const removed: string[] = [];
  m.onCardRemoved((card, slot, why) => removed.push(`${card.type}@${slot}: ${why}`));
  return { m, removed };
}

/** What firmware or the OS does with a new function: place BAR0 and enable I/O decoding. */
function enableIoBar(m: ReturnType<typeof machine>["m"], slot: number, base: number): void {
  pciWrite(m.io, slot, 0, 0x10, base);
  pciWrite(m.io, slot, 0, 0x04, 0x0001, 2);
}

describe("PCI hot-plug on a machine", () => {
  it("plugs a NIC into the first free slot, lists it in the config with its slot, and the guest ejects it cleanly", () => {
    const { m, removed } = machine();
    const fingerprint = m.fingerprint;
    const cardsBefore = m.config.cards.length;
    expect(pciRead(m.io, 3, 0, 0)).toBe(0xffffffff);

    const slot = m.hotplugCard({ type: "ne2k-pci", mac: "52:54:00:aa:bb:01" });
    expect(slot).toBe(3);
    expect(pciRead(m.io, 3, 0, 0)).toBe(0x802910ec); // RTL8029
    expect(m.config.cards.at(-1)).toEqual({ type: "ne2k-pci", mac: "52:54:00:aa:bb:01", pciSlot: 3 });
    expect(m.fingerprint).not.toBe(fingerprint);
    expect(m.nics.map((n) => n.model)).toEqual(["ne2k-pci"]);
    expect(m.pciCards()).toEqual([{ slot: 3, card: m.config.cards.at(-1) }]);
    enableIoBar(m, 3, NIC_IO);
    expect(m.io.ownerOf(NIC_IO)).toBeDefined();

    m.requestUnplug(3);
    expect(m.unplugPending(3)).toBe(true);
    expect(m.io.in32(PCI_HOTPLUG_IO_BASE + 4) >>> 0).toBe(1 << 3);
    expect(pciRead(m.io, 3, 0, 0)).toBe(0x802910ec); // still there until the guest lets go

    m.io.out32(EJECT, 1 << 3); // the slot's _EJ0
    expect(removed).toEqual(["ne2k-pci@3: ejected by the guest"]);
    expect(pciRead(m.io, 3, 0, 0)).toBe(0xffffffff);
    expect(m.io.ownerOf(NIC_IO)).toBeUndefined();
    expect(m.nics).toEqual([]);
    expect(m.pciCards()).toEqual([]);
    expect(m.config.cards.length).toBe(cardsBefore);
    expect(m.fingerprint).toBe(fingerprint);
    expect(m.io.in32(PCI_HOTPLUG_IO_BASE + 4)).toBe(0);
    expect(() => m.requestUnplug(3)).toThrow(/PCI slot 3 holds no removable card/);
  });

  it("restores a snapshot taken after a hot-plug into a machine built from the updated config", () => {
    const { m } = machine();
    m.hotplugCard({ type: "virtio-net", mac: "52:54:00:aa:bb:02" });
    enableIoBar(m, 3, NIC_IO);
    const snap = m.saveState();

    expect(() => createMachine(linuxDirectConfig()).loadState(snap)).toThrow(/different machine configuration/);
    const copy = createMachine(m.config);
    copy.loadState(snap);
    expect(pciRead(copy.io, 3, 0, 0)).toBe(0x10001af4); // virtio-net, legacy
    expect(copy.io.ownerOf(NIC_IO)).toBeDefined(); // its BAR decodes where the guest put it
    expect(copy.pciCards().map((c) => c.slot)).toEqual([3]);
    // And it can leave the copy too.
    copy.forceUnplug(3);
    expect(pciRead(copy.io, 3, 0, 0)).toBe(0xffffffff);
  });

  it("forces a card out without the guest, keeps slots apart, and offers a forced-empty slot again after a reset", () => {
    const { m, removed } = machine();
    const a = m.hotplugCard({ type: "ne2k-pci", mac: "52:54:00:aa:bb:03" });
    const b = m.hotplugCard({ type: "virtio-net", mac: "52:54:00:aa:bb:04" });
    expect([a, b]).toEqual([3, 4]);
    enableIoBar(m, 4, NIC_IO);
    m.forceUnplug(m.config.cards.find((c) => c.type === "virtio-net")!);
    expect(removed).toEqual(["virtio-net@4: forced removal"]);
    expect(m.io.ownerOf(NIC_IO)).toBeUndefined();
    expect(pciRead(m.io, 3, 0, 0)).toBe(0x802910ec);
    expect(m.nics.map((n) => n.model)).toEqual(["ne2k-pci"]);
    // The guest may still list the card pulled from slot 4: the next card goes elsewhere until a reset.
    expect(m.hotplugCard({ type: "virtio-net", mac: "52:54:00:aa:bb:05" })).toBe(5);
    m.forceUnplug(5);
    m.reset();
    expect(m.hotplugCard({ type: "virtio-net", mac: "52:54:00:aa:bb:05" })).toBe(4);
  });

  it("refuses cards that are not PCI cards, slots that are taken and invalid cards, leaving nothing behind", () => {
    const { m } = machine();
    const fingerprint = m.fingerprint;
    expect(() => m.hotplugCard({ type: "serial", index: 1 })).toThrow(/card type "serial" is not a PCI card/);
    expect(m.io.ownerOf(0x2f8)).toBeUndefined();
    expect(m.serial.length).toBe(1);
    expect(() => m.hotplugCard({ type: "ne2k-pci", mac: "01:00:00:00:00:00" })).toThrow(/mac/);
    m.hotplugCard({ type: "ne2k-pci", mac: "52:54:00:aa:bb:06", pciSlot: 9 });
    expect(() => m.hotplugCard({ type: "virtio-net", mac: "52:54:00:aa:bb:07", pciSlot: 9 })).toThrow(/PCI slot 9/);
    expect(m.pciCards().map((c) => c.slot)).toEqual([9]);
    m.forceUnplug(9);
    expect(m.fingerprint).toBe(fingerprint);
    // A guest writing every eject bit with nothing plugged changes nothing.
    m.io.out32(EJECT, -1);
    expect(pciRead(m.io, 1, 0, 0)).toBe(0x70008086);
    expect(pciRead(m.io, 2, 0, 0)).toBe(0x11111234);
  });
});
