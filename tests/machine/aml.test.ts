// The AML encoder's byte forms (ACPI 6.x §20.2): package lengths of 1-3 bytes, name strings,
// integers, EISA ids, field units, and refusals of what AML cannot encode.

import { describe, expect, it } from "vitest";
import { eisaId, field, FieldAccess, FieldUpdate, ifThen, int, method, nameString, pkgLength, store, local } from "../../src/emulator/devices/firmware/aml.ts";

describe("AML encoder", () => {
  it("encodes package lengths in 1, 2 and 3 bytes, counting their own bytes", () => {
    expect(pkgLength(0x3e)).toEqual([0x3f]);
    expect(pkgLength(0x3f)).toEqual([0x41, 0x04]); // 0x3f + 2 = 0x41
    expect(pkgLength(0xffd)).toEqual([0x4f, 0xff]); // 0xfff, the largest 2-byte length
    expect(pkgLength(0xffe)).toEqual([0x81, 0x00, 0x01]); // 0x1001 needs 3 bytes
  });

  it("encodes root, parent, single, dual and multi-segment names", () => {
    const seg = (s: string) => [...s].map((c) => c.charCodeAt(0));
    expect(nameString("_S5")).toEqual(seg("_S5_"));
    expect(nameString("\\_SB")).toEqual([0x5c, ...seg("_SB_")]);
    expect(nameString("^ISA")).toEqual([0x5e, ...seg("ISA_")]);
    expect(nameString("PCI0.ISA")).toEqual([0x2e, ...seg("PCI0"), ...seg("ISA_")]);
    expect(nameString("\\_SB.PCI0.S1F")).toEqual([0x5c, 0x2f, 3, ...seg("_SB_"), ...seg("PCI0"), ...seg("S1F_")]);
    expect(() => nameString("\\_SB.pci0")).toThrow(/"pci0" is not a valid name segment/);
  });

  it("encodes integers in their shortest form and EISA ids as SeaBIOS and Linux compare them", () => {
    expect([int(0), int(1), int(0xff), int(0x1ff), int(0x80000000)]).toEqual([[0x00], [0x01], [0x0a, 0xff], [0x0b, 0xff, 0x01], [0x0c, 0, 0, 0, 0x80]]);
    expect(() => int(-1)).toThrow(/not a 32-bit unsigned value/);
    expect(eisaId("PNP0A03")).toEqual([0x0c, 0x41, 0xd0, 0x0a, 0x03]);
    expect(eisaId("PNP0C0F")).toEqual([0x0c, 0x41, 0xd0, 0x0c, 0x0f]);
  });

  it("encodes fields, methods and conditionals with their package lengths", () => {
    expect(field("PCHP", FieldAccess.DWord, FieldUpdate.WriteAsZeros, [["PCIU", 32], ["B0EJ", 0x40]])).toEqual([
      0x5b, 0x81, 0x11, ...nameString("PCHP"), 0x43, ...nameString("PCIU"), 32, ...nameString("B0EJ"), 0x40, 0x04,
    ]);
    expect(method("_E01", 0, ifThen(local(0), store(int(1), local(1))))).toEqual([0x14, 0x0c, ...nameString("_E01"), 0x00, 0xa0, 0x05, 0x60, 0x70, 0x01, 0x61]);
    expect(() => method("_SRS", 8)).toThrow(/8 arguments/);
  });
});
