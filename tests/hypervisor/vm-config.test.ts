import { describe, expect, it } from "vitest";
import { validateMachineConfig } from "../../src/emulator/machine-config-validate.ts";
import { defaultHostCards } from "../../src/hypervisor/resource-ledger.ts";
import { buildMachineConfig, validateVmConfig, type VmConfig } from "../../src/hypervisor/vm-config.ts";

function bios(): Uint8Array {
  const b = new Uint8Array(128 * 1024);
  b[b.length - 16] = 0xea;
  return b;
}

function upload(fileName: string, media: "floppy" | "cdrom" | "disk", size: number): VmConfig {
  return { name: "u", guest: { kind: "upload", fileName, media, bytes: new Uint8Array(size) }, memoryMiB: 16, share: 100, capPercent: 100, cards: [] };
}

describe("VM config → machine config", () => {
  it("turns host cards and an uploaded image into the machine cards the emulator accepts", () => {
    const host = defaultHostCards();
    const pick = (...ids: string[]) => ids.map((id) => host.find((c) => c.id === id)!);
    const config = upload("dos.img", "floppy", 1474560);
    const machine = buildMachineConfig(config, pick("com-2", "vga-1", "ps2-3", "debugcon-1"), { bios: bios(), vgaBios: new Uint8Array([0x55, 0xaa, ...new Array(510).fill(0)]), catalogGuest: null, files: new Map() });
    expect(machine.cards.map((c) => c.type)).toEqual(["serial", "vga", "ps2", "debugcon", "floppy"]);
    expect(machine.cards[0]).toEqual({ type: "serial", index: 0 }); // every host serial console is the VM's COM1
    expect(machine.boot).toEqual({ kind: "firmware", order: ["floppy"] });
    expect(validateMachineConfig(machine)).toBe(machine);
    const cd = buildMachineConfig(upload("x.iso", "cdrom", 2048 * 4), [], { bios: bios(), catalogGuest: null, files: new Map() });
    expect(cd.cards).toEqual([expect.objectContaining({ type: "ide-cdrom", channel: 1, slave: false })]);
  });

  it("refuses an uploaded image its card would not take, naming the file", () => {
    expect(() => validateVmConfig(upload("big.img", "floppy", 3_000_000))).toThrow(/floppy image "big\.img".*3000000 bytes is not a floppy size/);
    expect(() => validateVmConfig(upload("odd.img", "disk", 1000))).toThrow(/disk image "odd\.img".*1000 bytes is not a non-empty multiple of 512/);
    expect(() => validateVmConfig(upload("x.tape", "tape" as never, 512))).toThrow(/media must be floppy, disk, cdrom, got tape/);
    expect(validateVmConfig(upload("ok.iso", "cdrom", 2048))).toBeTruthy();
  });

  it("adds a blank data disk in the first free IDE place, and refuses sizes out of range", () => {
    const linux = { id: "l", name: "L", os: "", description: "", memoryMiB: 16, boot: { kind: "linux" as const, kernel: "k", cmdline: "" } };
    const direct: VmConfig = { name: "d", guest: { kind: "catalog", guestId: "l" }, memoryMiB: 16, share: 100, capPercent: 100, cards: [], dataDiskMiB: 2 };
    const m = buildMachineConfig(direct, [], { catalogGuest: linux, files: new Map([["k", new Uint8Array(16)]]) });
    expect(m.cards).toEqual([{ type: "ide-disk", channel: 0, slave: false, image: new Uint8Array(2 << 20) }]); // /dev/sda
    const disk = buildMachineConfig({ ...upload("hd.img", "disk", 4096), dataDiskMiB: 1 }, [], { bios: bios(), catalogGuest: null, files: new Map() });
    expect(disk.cards.map((c) => c.type === "ide-disk" && [c.channel, c.slave, c.image.length])).toEqual([
      [0, false, 4096],
      [0, true, 1 << 20],
    ]);
    expect(() => validateVmConfig({ ...direct, dataDiskMiB: 0 })).toThrow("data disk must be a whole number of MiB from 1 to 1024, got 0");
    expect(() => validateVmConfig({ ...direct, dataDiskMiB: 1.5 })).toThrow(/got 1\.5/);
  });
});
