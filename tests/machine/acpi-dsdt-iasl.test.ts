// Our hand-encoded DSDT, read by an independent AML implementation: Debian's `iasl` (acpica-tools,
// fetched with apt-get download + dpkg-deb -x into .cache, nothing installed) disassembles it
// without errors into the objects the hot-plug path needs, and the disassembly compiles again.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchPackage } from "../../scripts/guests/debian.ts";
import { floppyCard } from "../../src/emulator/cards/floppy.ts";
import { ps2Card } from "../../src/emulator/cards/ps2.ts";
import { serialCard } from "../../src/emulator/cards/serial.ts";
import { buildAcpiTables, placeAcpiTables } from "../../src/emulator/devices/firmware/acpi-tables.ts";

const CACHE = join(import.meta.dirname, "..", "..", ".cache", "debs");
let iasl = "";
let work = "";

beforeAll(() => {
  iasl = join(fetchPackage("acpica-tools", CACHE, () => {}).root, "usr", "bin", "iasl");
  work = mkdtempSync(join(tmpdir(), "hypertab-dsdt-"));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function dsdtBytes(): Uint8Array {
  const isaDevices = [...ps2Card.isaDevices!({ type: "ps2" }), ...floppyCard.isaDevices!({ type: "floppy", drive: 0, image: null }), ...serialCard.isaDevices!({ type: "serial", index: 0 })];
  const placed = placeAcpiTables(buildAcpiTables({ apic: true, pciWindow: { memBase: 0x10000000, memLimit: 0xfebfffff }, isaDevices }), 0);
  const t = placed.tables;
  const u32 = (o: number) => (t[o] | (t[o + 1] << 8) | (t[o + 2] << 16) | (t[o + 3] << 24)) >>> 0;
  const r = placed.rsdp;
  const rsdtAt = (r[16] | (r[17] << 8) | (r[18] << 16) | (r[19] << 24)) >>> 0;
  const fadt = u32(rsdtAt + 36);
  const dsdt = u32(fadt + 40);
  return t.slice(dsdt, dsdt + u32(dsdt + 4));
}

function run(args: string[]): string {
  // iasl prints its findings on stdout; a failure exits non-zero (execFileSync throws with the output).
  return execFileSync(iasl, args, { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("the DSDT, read by Debian's iasl", () => {
  it("disassembles without errors into the root bridge, interrupt links, hot-plug slots and GPE handler", () => {
    writeFileSync(join(work, "dsdt.aml"), dsdtBytes());
    const log = run(["-d", "dsdt.aml"]);
    expect(log).not.toMatch(/Error|Invalid|Unknown opcode/i);
    const dsl = readFileSync(join(work, "dsdt.dsl"), "utf8");
    expect(dsl).toContain('Name (_HID, EisaId ("PNP0A03")');
    expect(dsl).toMatch(/Name \(_PRT, Package \(0x7C\)/); // slots 1-31 × INTA-D
    expect(dsl).toMatch(/0x0003FFFF,\s*Zero,\s*\\_SB\.LNKD,/); // slot 3 INTA → PIRQ D, as the bus wires it
    expect(dsl).toMatch(/OperationRegion \(PIRQ, PCI_Config, 0x60, 0x04\)/);
    expect(dsl).toMatch(/Device \(LNKA\)[\s\S]*?Method \(_SRS, 1/);
    expect(dsl).toMatch(/OperationRegion \(PCHP, SystemIO, 0xAE00, 0x14\)/);
    expect(dsl).toMatch(/Device \(S1F\)\s*\{\s*Name \(_ADR, 0x001F0000\)[\s\S]*?\\_SB\.PCI0\.B0EJ = 0x80000000/);
    expect(dsl).toMatch(/Scope \(\\_GPE\)\s*\{\s*Method \(_E01, 0/);
    expect(dsl).toContain("Notify (\\_SB.PCI0.S03, 0x03) // Eject Request");
  });

  it("compiles the disassembly again with no errors", () => {
    const log = run(["-p", "again", "dsdt.dsl"]);
    expect(log).toMatch(/Compilation successful\. 0 Errors/);
  });
});
