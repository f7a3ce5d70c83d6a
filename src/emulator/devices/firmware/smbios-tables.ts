// SMBIOS 2.8 (DMTF DSP0134) for firmwareless boots: a 32-bit entry point ("_SM_" with the "_DMI_"
// anchor) and the structures SeaBIOS offers a QEMU `-kernel` guest, with the same types, formatted
// lengths, handles and string counts (BIOS, system, chassis, processor, memory array, memory
// device, array mapped address, boot status, end), the strings naming Hypertab instead.

import { acpiChecksum, le16, le32 } from "./acpi-tables.ts";

export interface SmbiosOptions {
  ramBytes: number;
  /** CPUID leaf 1 EAX and EDX (the processor ID field). */
  cpuSignature: number;
  cpuFeatures: number;
}

const ENTRY_POINT_BYTES = 0x1f;
const VENDOR = "Hypertab";
const PRODUCT = "Standard PC (i440FX + PIIX, 1996)";
const MACHINE = "hypertab-pc";
const BIOS_DATE = "01/01/2014";
const UNKNOWN_HANDLE = 0xfffe;
const NO_CACHE = 0xffff;

/** One structure: type, handle, the formatted area after the 4-byte header, and its strings. */
function structure(type: number, handle: number, body: number[], strings: string[]): number[] {
  const out = [type, 4 + body.length, ...le16(handle), ...body];
  if (strings.length === 0) return [...out, 0, 0];
  for (const s of strings) out.push(...[...s].map((c) => c.charCodeAt(0) & 0x7f), 0);
  return [...out, 0];
}

/** Entry point and structure table; `tableAddr` is where the table will be copied. */
export function buildSmbiosTables(o: SmbiosOptions, tableAddr: number): { entryPoint: Uint8Array; table: Uint8Array } {
  const ramKiB = Math.floor(o.ramBytes / 1024);
  const ramMiB = Math.floor(o.ramBytes / 1048576);
  const structures = [
    // BIOS: vendor, version, segment 0xE800, date, 64 KiB ROM, "characteristics not supported",
    // extension byte 2 bit 4 = virtual machine, release 0.0, no embedded controller.
    // The date is before 2023 on purpose: Linux stops honouring E820 reservations for PCI host
    // bridge windows on newer BIOSes, and it honours them under QEMU's SeaBIOS (dated 2014).
    structure(0, 0x0000, [1, 2, ...le16(0xe800), 3, 0, ...le32(0x08), ...le32(0), 0, 0x10, 0, 0, 0xff, 0xff], [VENDOR, "direct boot", BIOS_DATE]),
    // System: manufacturer, product, version, no serial, zero UUID, woken by the power switch.
    structure(1, 0x0100, [1, 2, 3, 0, ...new Array(16).fill(0), 6, 0, 0], [VENDOR, PRODUCT, MACHINE]),
    // Chassis: "other", states safe, security unknown, no contained elements, no SKU.
    structure(3, 0x0300, [1, 1, 2, 0, 0, 3, 3, 3, 2, ...le32(0), 0, 0, 0, 3, 0], [VENDOR, MACHINE]),
    // Processor: central processor, family "other", ID from CPUID, 2000 MHz, populated and enabled,
    // no caches listed, one core, one thread.
    structure(4, 0x0400, [
      1, 3, 1, 2, ...le32(o.cpuSignature), ...le32(o.cpuFeatures), 3, 0, ...le16(0), ...le16(2000), ...le16(2000), 0x41, 1,
      ...le16(NO_CACHE), ...le16(NO_CACHE), ...le16(NO_CACHE), 0, 0, 0, 1, 1, 1, ...le16(0x02), ...le16(0x01),
    ], ["CPU 0", VENDOR, MACHINE]),
    // Physical memory array: system board, system memory, multi-bit ECC, capacity, one device.
    structure(16, 0x1000, [1, 3, 6, ...le32(ramKiB), ...le16(UNKNOWN_HANDLE), ...le16(1), ...le32(0), ...le32(0)], []),
    // Memory device: in array 0x1000, widths unknown, size in MiB, DIMM, RAM, "other".
    structure(17, 0x1100, [
      ...le16(0x1000), ...le16(UNKNOWN_HANDLE), ...le16(0xffff), ...le16(0xffff), ...le16(ramMiB), 9, 0, 1, 0, 7, ...le16(2), ...le16(0),
      2, 0, 0, 0, 0, ...le32(0), ...le16(0), ...le16(0), ...le16(0), ...le16(0),
    ], ["DIMM 0", VENDOR]),
    // Memory array mapped address: all RAM from 0, in array 0x1000, one device wide.
    structure(19, 0x1300, [...le32(0), ...le32(ramKiB - 1), ...le16(0x1000), 1, ...le32(0), ...le32(0), ...le32(0), ...le32(0)], []),
    // System boot information: no errors.
    structure(32, 0x2000, [0, 0, 0, 0, 0, 0, 0], []),
    structure(127, 0x7f00, [], []),
  ];
  const table = Uint8Array.from(structures.flat());
  const largest = Math.max(...structures.map((s) => s.length));

  const ep = new Uint8Array(ENTRY_POINT_BYTES);
  ep.set([0x5f, 0x53, 0x4d, 0x5f], 0); // "_SM_"
  ep[5] = ENTRY_POINT_BYTES;
  ep[6] = 2;
  ep[7] = 8;
  ep.set(le16(largest), 8);
  ep.set([0x5f, 0x44, 0x4d, 0x49, 0x5f], 0x10); // "_DMI_"
  ep.set(le16(table.length), 0x16);
  ep.set(le32(tableAddr), 0x18);
  ep.set(le16(structures.length), 0x1c);
  ep[0x1e] = 0x28; // BCD revision 2.8
  ep[0x15] = -acpiChecksum(ep, 0x10, 0x0f) & 0xff; // intermediate checksum over "_DMI_" onwards
  ep[4] = -acpiChecksum(ep) & 0xff;
  return { entryPoint: ep, table };
}
