// Acceptance (issue 11, item 3): ACPI PCI hot-plug with Debian's 686 kernel (acpiphp built in),
// booted directly with ACPI. The DSDT's root bridge, interrupt links and slots keep the boot as
// clean as before; a NIC plugged into the running machine appears in /sys/bus/pci/devices with its
// BAR assigned from the root bridge's window; asked to give it back, the guest ejects it and the
// machine takes it off the bus. The console (serial and VGA) keeps working throughout.

import { beforeAll, describe, expect, it } from "vitest";
import { createMachine, type PcMachineType } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import { FIRST_HOTPLUG_SLOT, LAST_HOTPLUG_SLOT } from "../../src/emulator/devices/chipset/pci-hotplug.ts";
import { PROMPT, SerialTranscript, linuxDirectConfig } from "./linux-guest.ts";

const BOOT_SECONDS = 1500;
const SLOT_PATH = "/sys/bus/pci/devices/0000:00:03.0";
/** Kernel messages that would mean our ACPI tables or the hot-plug path are wrong. */
const ACPI_OR_PCI_TROUBLE = /ACPI (BIOS )?(Error|Exception|Warning)|AE_[A-Z_]{3,}|acpiphp.*(fail|error)|pci .*(conflict|can't claim|failed to assign|no space)|Oops|BUG:|WARNING:|Call Trace|irq \d+: nobody cared/i;

let m: Machine & PcMachineType;
let serial: SerialTranscript;
const removed: string[] = [];

beforeAll(() => {
  m = createMachine(linuxDirectConfig());
  m.onCardRemoved((card, slot, why) => removed.push(`${card.type}@${slot}: ${why}`));
  serial = new SerialTranscript(m);
  serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
}, BOOT_SECONDS * 1000 + 60_000);

/** Polls in the guest (acpiphp works from a workqueue) until `test` holds, at most ~20 s of guest time. */
function waitInGuest(test: string, marker: string): string {
  return serial.command(`i=0; while ! ${test} && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; echo ${marker}-$((i*0+42))`, `${marker}-42`, 600);
}

describe("ACPI PCI hot-plug with Debian's 686 kernel", () => {
  it("boots with the PCI root bridge, its interrupt links and the hot-plug slots, and no ACPI or PCI errors", () => {
    const out = serial.command("dmesg; echo boot-$((40+2))", "boot-42");
    expect(out).toContain("ACPI: PCI Root Bridge [PCI0]");
    expect(out).toMatch(/ACPI: PCI: Interrupt link LNKA configured|ACPI: PCI: Interrupt link LNKA disabled/);
    expect(out.split("\n").filter((l) => ACPI_OR_PCI_TROUBLE.test(l))).toEqual([]);
    // acpiphp registered one slot per hot-plug slot object (named by _SUN).
    const listing = serial.command("echo SLOTS:$(ls /sys/bus/pci/slots | sort -n | tr '\\n' ' '); echo slots-$((40+2))", "slots-42");
    const slots = /SLOTS:((?: ?\d+)+)\s*$/m.exec(listing)?.[1].trim().split(" ") ?? [];
    const expected = Array.from({ length: LAST_HOTPLUG_SLOT - FIRST_HOTPLUG_SLOT + 1 }, (_, i) => String(FIRST_HOTPLUG_SLOT + i));
    expect(slots).toEqual(expected);
  });

  it("shows a hot-plugged NIC in /sys/bus/pci/devices with its BAR in the root bridge's I/O window", () => {
    const before = serial.text.length;
    expect(m.hotplugCard({ type: "virtio-net", mac: "52:54:00:12:34:77" })).toBe(3);
    const out = waitInGuest(`[ -e ${SLOT_PATH} ]`, "plugged");
    expect(out).not.toContain("No such file");
    const ids = serial.command(`cat ${SLOT_PATH}/vendor ${SLOT_PATH}/device ${SLOT_PATH}/class; cat /sys/bus/pci/devices/*/vendor | wc -l; echo ids-$((40+2))`, "ids-42");
    expect(ids).toMatch(/0x1af4\s+0x1000\s+0x020000\s+6\s/); // host bridge, PIIX3 ×3, VGA and the NIC
    const dmesg = serial.command("dmesg | tail -n 30; echo tail-$((40+2))", "tail-42");
    expect(dmesg).toMatch(/pci 0000:00:03\.0: \[1af4:1000\] type 00 class 0x020000/);
    expect(dmesg).toMatch(/pci 0000:00:03\.0: BAR 0 \[io\s+0x[0-9a-f]+-0x[0-9a-f]+\]: assigned/);
    expect(serial.text.slice(before).split("\n").filter((l) => ACPI_OR_PCI_TROUBLE.test(l))).toEqual([]);
  });

  it("ejects the NIC when asked: the guest lets go, the machine takes it off the bus", () => {
    m.requestUnplug(3);
    const out = waitInGuest(`[ ! -e ${SLOT_PATH} ]`, "unplugged");
    expect(out).not.toContain("No such file");
    serial.runUntil(() => removed.length > 0, 120, "the guest's eject");
    expect(removed).toEqual(["virtio-net@3: ejected by the guest"]);
    expect(m.pciCards()).toEqual([]);
    expect(m.config.cards.map((c) => c.type)).toEqual(["serial", "vga", "ps2"]);
    const left = serial.command("ls /sys/bus/pci/devices; dmesg | tail -n 20; echo left-$((40+2))", "left-42");
    expect(left).not.toContain("0000:00:03.0\n");
    expect(left.split("\n").filter((l) => ACPI_OR_PCI_TROUBLE.test(l))).toEqual([]);
  });

  it("plugs a card again into the freed slot, and the console still answers on serial and VGA", () => {
    expect(m.hotplugCard({ type: "ne2k-pci", mac: "52:54:00:12:34:78" })).toBe(3);
    waitInGuest(`[ -e ${SLOT_PATH} ]`, "again");
    expect(serial.command(`cat ${SLOT_PATH}/vendor ${SLOT_PATH}/device; echo vga-$((40+2)) > /dev/tty0; echo ok-$((40+2))`, "ok-42")).toMatch(/0x10ec\s+0x8029/);
    expect(m.vga!.textLines().join("\n")).toContain("vga-42");
  });
});
