// What SeaBIOS leaves in low memory before QEMU's linuxboot/multiboot option ROM jumps to a `-kernel`,
// written directly for Hypertab's firmwareless boots: the BIOS data area fields kernels read (EBDA
// segment, base memory size), the ACPI tables with the RSDP, and the MP floating pointer and table,
// all in the reserved 0x9FC00-0xFFFFF range the E820 map hides from the kernel.

import { placeAcpiTables, type AcpiBlobs } from "./devices/firmware/acpi-tables.ts";
import { buildMpTable, type MpTableOptions } from "./devices/firmware/mp-table.ts";
import { buildSmbiosTables, type SmbiosOptions } from "./devices/firmware/smbios-tables.ts";
import { LOW_RAM_END } from "./linux-boot.ts";
import type { PhysicalMemory } from "./memory.ts";

/** ACPI tables go here, inside the 0xE0000-0xFFFFF area where Linux scans for the RSDP. */
const ACPI_TABLES = 0xe0000;
export const DIRECT_ACPI_RSDP = 0xf0000;
/** The MP floating pointer and its table follow the 20-byte RSDP in the F segment (16-byte aligned, as
 *  the specification requires, where a kernel's scan of 0xF0000-0xFFFFF finds it). */
const MP_FLOATING_POINTER = 0xf0020;
const MP_TABLE = 0xf0030;
const MP_AREA_END = 0xf1000;
/** SMBIOS entry point (16-byte aligned in 0xF0000-0xFFFFF, where kernels scan) and its structures. */
const SMBIOS_ENTRY_POINT = 0xf1000;
const SMBIOS_TABLE = 0xf1020;
const SMBIOS_AREA_END = 0xf2000;
/** BIOS data area: EBDA segment and base memory size in KiB (the EBDA takes the last KiB). */
const BDA_EBDA_SEGMENT = 0x40e;
const BDA_BASE_MEMORY_KIB = 0x413;

export interface DirectBootTables {
  acpi: AcpiBlobs;
  /** null on machines without an APIC (no MP table then, as QEMU's firmware builds none). */
  mp: MpTableOptions | null;
  smbios: SmbiosOptions;
}

export function writeDirectBootTables(memory: PhysicalMemory, t: DirectBootTables): void {
  memory.write16(BDA_EBDA_SEGMENT, LOW_RAM_END >>> 4);
  memory.write16(BDA_BASE_MEMORY_KIB, LOW_RAM_END >>> 10);
  memory.writeBytes(LOW_RAM_END, new Uint8Array(1024));
  memory.write8(LOW_RAM_END, 1); // EBDA size in KiB

  const placed = placeAcpiTables(t.acpi, ACPI_TABLES);
  if (placed.tables.length > DIRECT_ACPI_RSDP - ACPI_TABLES) throw new Error("ACPI tables too large for the direct-boot area");
  memory.writeBytes(ACPI_TABLES, placed.tables);
  memory.writeBytes(DIRECT_ACPI_RSDP, placed.rsdp);

  if (t.mp) {
    const mp = buildMpTable(t.mp, MP_TABLE);
    if (MP_TABLE + mp.table.length > MP_AREA_END) throw new Error("MP table too large for the direct-boot area");
    memory.writeBytes(MP_FLOATING_POINTER, mp.floatingPointer);
    memory.writeBytes(MP_TABLE, mp.table);
  }

  const smbios = buildSmbiosTables(t.smbios, SMBIOS_TABLE);
  if (SMBIOS_TABLE + smbios.table.length > SMBIOS_AREA_END) throw new Error("SMBIOS tables too large for the direct-boot area");
  memory.writeBytes(SMBIOS_ENTRY_POINT, smbios.entryPoint);
  memory.writeBytes(SMBIOS_TABLE, smbios.table);
}
