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
});
