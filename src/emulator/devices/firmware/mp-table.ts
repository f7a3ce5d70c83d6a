// The MultiProcessor Specification 1.4 tables a direct boot finds where SeaBIOS leaves them for QEMU's
// `-kernel`: the floating pointer ("_MP_", 16 bytes) and the configuration table ("PCMP") with one
// entry per CPU, the PCI and ISA buses, the I/O APIC, the PCI and ISA interrupt sources and the two
// local interrupts. Entry order, flags and skipped IRQs follow what SeaBIOS builds under QEMU (read
// from its tables by tests/machine/asm/mp-search.asm), so a kernel sees the same table under both.

import { acpiChecksum, IOAPIC_BASE, LAPIC_BASE, le16, le32 } from "./acpi-tables.ts";

export interface MpCpu {
  apicId: number;
  /** Local APIC version (low byte of its version register). */
  apicVersion: number;
  /** CPUID leaf 1 EAX and EDX. */
  signature: number;
  features: number;
}

export interface MpPciInterrupt {
  /** PCI device number on bus 0, its interrupt pin (1 = INTA#) and the IRQ its line register names. */
  device: number;
  pin: number;
  irq: number;
}

export interface MpTableOptions {
  cpus: MpCpu[];
  ioApicId: number;
  ioApicVersion: number;
  /** Bus 0 functions with an interrupt pin, in bus order (one entry per device and pin is kept). */
  pciInterrupts: MpPciInterrupt[];
}

/** ISA IRQs the PCI interrupt router may use: SeaBIOS lists no ISA source for them. */
const PCI_IRQS = (1 << 5) | (1 << 9) | (1 << 10) | (1 << 11);
const PCI_BUS = 0;
const ISA_BUS = 1;
const ENTRY_CPU = 0, ENTRY_BUS = 1, ENTRY_IOAPIC = 2, ENTRY_INT = 3, ENTRY_LINT = 4;
const INT_VECTORED = 0, INT_NMI = 1, INT_EXTINT = 3;
/** Interrupt entry flags: polarity active high, trigger conforming (as SeaBIOS marks PCI sources). */
const FLAGS_ACTIVE_HIGH = 0x0001;
const CPU_ENABLED = 0x01;
const CPU_BOOT_PROCESSOR = 0x02;
const SPEC_REV = 4;
const FLOATING_POINTER_BYTES = 16;
const TABLE_HEADER_BYTES = 44;

/** Floating pointer and configuration table; `tableAddr` is where the table will be copied. */
export function buildMpTable(o: MpTableOptions, tableAddr: number): { floatingPointer: Uint8Array; table: Uint8Array } {
  const entries: number[][] = [];
  o.cpus.forEach((c, i) => {
    const flags = CPU_ENABLED | (i === 0 ? CPU_BOOT_PROCESSOR : 0);
    entries.push([ENTRY_CPU, c.apicId, c.apicVersion, flags, ...le32(c.signature), ...le32(c.features), 0, 0, 0, 0, 0, 0, 0, 0]);
  });
  entries.push([ENTRY_BUS, PCI_BUS, ...ascii("PCI   ")]);
  entries.push([ENTRY_BUS, ISA_BUS, ...ascii("ISA   ")]);
  entries.push([ENTRY_IOAPIC, o.ioApicId, o.ioApicVersion, 0x01, ...le32(IOAPIC_BASE)]);
  const seen = new Set<number>();
  for (const p of o.pciInterrupts) {
    const key = (p.device << 3) | p.pin;
    if (p.pin < 1 || p.pin > 4 || seen.has(key)) continue;
    seen.add(key);
    entries.push(interrupt(ENTRY_INT, INT_VECTORED, FLAGS_ACTIVE_HIGH, PCI_BUS, (p.device << 2) | (p.pin - 1), o.ioApicId, p.irq));
  }
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2 || PCI_IRQS & (1 << irq)) continue; // IRQ2 is the cascade; IRQ0 arrives on pin 2
    entries.push(interrupt(ENTRY_INT, INT_VECTORED, 0, ISA_BUS, irq, o.ioApicId, irq === 0 ? 2 : irq));
  }
  entries.push(interrupt(ENTRY_LINT, INT_EXTINT, 0, ISA_BUS, 0, 0, 0)); // 8259 output on the BSP's LINT0
  entries.push(interrupt(ENTRY_LINT, INT_NMI, 0, ISA_BUS, 0, 0xff, 1)); // NMI on every CPU's LINT1

  const length = TABLE_HEADER_BYTES + entries.reduce((n, e) => n + e.length, 0);
  const table = new Uint8Array(length);
  table.set(ascii("PCMP"), 0);
  table.set(le16(length), 4);
  table[6] = SPEC_REV;
  table.set(ascii("BOCHSCPU"), 8);
  table.set(ascii("0.1         "), 16);
  table.set(le16(entries.length), 34);
  table.set(le32(LAPIC_BASE), 36);
  let at = TABLE_HEADER_BYTES;
  for (const e of entries) {
    table.set(e, at);
    at += e.length;
  }
  table[7] = checksum(table);

  const floatingPointer = new Uint8Array(FLOATING_POINTER_BYTES);
  floatingPointer.set(ascii("_MP_"), 0);
  floatingPointer.set(le32(tableAddr), 4);
  floatingPointer[8] = FLOATING_POINTER_BYTES / 16;
  floatingPointer[9] = SPEC_REV;
  // Bytes 11-15 (feature bytes) stay 0: a configuration table is present, no IMCR.
  floatingPointer[10] = checksum(floatingPointer);
  return { floatingPointer, table };
}

function interrupt(kind: number, type: number, flags: number, bus: number, busIrq: number, apic: number, pin: number): number[] {
  return [kind, type, ...le16(flags), bus, busIrq, apic, pin];
}

/** The byte that makes the sum of `bytes` 0 mod 256 (MP checksums work as ACPI's do). */
function checksum(bytes: Uint8Array): number {
  return -acpiChecksum(bytes) & 0xff;
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}
