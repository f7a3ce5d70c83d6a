// ACPI 1.0 tables for this board: RSDP → RSDT → FADT (+ FACS, DSDT) and MADT (one local APIC, the
// I/O APIC, ISA overrides IRQ0 → GSI2 and level-triggered SCI and PCI link IRQs). The DSDT (\_S5,
// the PCI root bridge with its interrupt links and hot-plug slots, the ISA devices, the hot-plug GPE
// handler) is written with the AML encoder in aml.ts.
//
// The tables are built position-independent: every pointer field holds an offset into the "tables"
// blob and is listed in `pointers`, every checksum in `checksums`. SeaBIOS's table loader (fw_cfg
// etc/table-loader) patches them where it placed the blobs; `placeAcpiTables` does the same for
// direct kernel boot without firmware. One description, two consumers.

import {
  type Aml, and, derefOf, device, dwordMemory, eisaId, field, FieldAccess, FieldUpdate, index, int, INTERRUPT_NUMBER_OFFSET, ioPorts, isaIrq,
  levelInterrupts, lNot, local, method, name, notify, opRegion, or, pkg, ref, RegionSpace, resourceTemplate, ret, scope, store, ifThen, arg, wordSpace,
} from "./aml.ts";
import { PciHostBus } from "../chipset/pci-bus.ts";
import { FIRST_HOTPLUG_SLOT, LAST_HOTPLUG_SLOT, PCI_HOTPLUG_GPE, PCI_HOTPLUG_IO_BASE, PCI_HOTPLUG_IO_LENGTH } from "../chipset/pci-hotplug.ts";
import { PIIX3_DEVICE, PIIX3_FUNCTION, PIRQ_ROUTE_DISABLED, PIRQ_ROUTE_REGISTERS } from "../chipset/piix3-isa.ts";

export const PM_IO_BASE = 0x600;
export const SCI_IRQ = 9;
export const SMI_CMD_PORT = 0xb2;
export const ACPI_ENABLE_VALUE = 0xf1;
export const ACPI_DISABLE_VALUE = 0xf0;
/** SLP_TYP value \_S5 declares and the PM device treats as power-off (QEMU's PIIX4 convention). */
export const S5_SLP_TYP = 0;
export const LAPIC_BASE = 0xfee00000;
export const IOAPIC_BASE = 0xfec00000;

export type AcpiFile = "rsdp" | "tables";

export interface AcpiPointer {
  /** Blob holding the pointer field. */
  file: AcpiFile;
  offset: number;
  size: 4;
}

export interface AcpiChecksum {
  file: AcpiFile;
  /** The checksum byte. */
  offset: number;
  start: number;
  length: number;
}

export interface AcpiBlobs {
  rsdp: Uint8Array;
  tables: Uint8Array;
  /** Pointer fields (each currently holds an offset into `tables`). */
  pointers: AcpiPointer[];
  /** Checksums to compute after the pointers are patched (in this order). */
  checksums: AcpiChecksum[];
}

export interface AcpiOptions {
  /** Local APIC + I/O APIC present (adds the MADT). */
  apic: boolean;
  pmIoBase?: number;
  /** ISA devices present (listed in the DSDT). */
  isaDevices?: AcpiIsaDevice[];
  /** PCI root bridge memory window (adds \_SB.PCI0). */
  pciWindow?: PciWindow;
}

const OEM_ID = "HYPTAB";
const OEM_TABLE_ID = "HYPERTAB";

class Blob {
  bytes = new Uint8Array(4096);
  length = 0;
  align(n: number): void {
    this.length = Math.ceil(this.length / n) * n;
  }
  reserve(n: number): number {
    const at = this.length;
    this.length += n;
    if (this.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return at;
  }
  u8(at: number, v: number): void {
    this.bytes[at] = v;
  }
  u16(at: number, v: number): void {
    this.bytes[at] = v;
    this.bytes[at + 1] = v >>> 8;
  }
  u32(at: number, v: number): void {
    this.u16(at, v & 0xffff);
    this.u16(at + 2, v >>> 16);
  }
  ascii(at: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.bytes[at + i] = s.charCodeAt(i);
  }
  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Writes a standard 36-byte SDT header at `at`; returns nothing, length filled by caller. */
function sdtHeader(b: Blob, at: number, signature: string, length: number, revision: number): void {
  b.ascii(at, signature);
  b.u32(at + 4, length);
  b.u8(at + 8, revision);
  b.u8(at + 9, 0); // checksum, computed later
  b.ascii(at + 10, OEM_ID);
  b.ascii(at + 16, OEM_TABLE_ID);
  b.u32(at + 24, 1);
  b.ascii(at + 28, "HTAB");
  b.u32(at + 32, 1);
}

export interface LegacyIoResource {
  port: number;
  length: number;
}

/** An ISA device for the DSDT: firmware (SeaBIOS probes PS/2 and floppy only when the DSDT lists
 *  them) and the OS's PnP layer find it by its EISA id. */
export interface AcpiIsaDevice {
  name: string;
  pnpId: number;
  io: LegacyIoResource[];
  irq?: number;
}

function isaDeviceAml(d: AcpiIsaDevice): Aml {
  const crs = d.io.map((r) => ioPorts(r.port, r.length));
  if (d.irq !== undefined) crs.push(isaIrq(d.irq));
  return device(d.name, name("_HID", eisaId(`PNP${d.pnpId.toString(16).toUpperCase().padStart(4, "0")}`)), name("_CRS", resourceTemplate(...crs)));
}

/** Where PCI memory BARs may go: above RAM up to the I/O APIC. */
export interface PciWindow {
  memBase: number;
  memLimit: number;
}

/** ISA IRQs the PCI interrupt links may use (SeaBIOS routes PIRQ A-D to these too); the MADT marks
 *  them level-triggered. */
export const PCI_LINK_IRQS = [10, 11] as const;
const LINKS = ["LNKA", "LNKB", "LNKC", "LNKD"];
/** The PIIX3's PIRQ route registers, as fields of \_SB.PCI0.ISA's config space. */
const PIRQ_FIELDS = ["PRQA", "PRQB", "PRQC", "PRQD"];

const slotName = (slot: number) => `S${slot.toString(16).toUpperCase().padStart(2, "0")}`;

/** \_SB.PCI0, the PCI root bridge (PNP0A03): bus, I/O and memory windows (without it Linux's ACPI
 *  PCI init never scans the bus), the interrupt routing of every slot's INTA-D to the PIRQ links, the
 *  PIIX3 route registers the links program, and the hot-plug slots with the controller's registers. */
function pciRootAml(w: PciWindow): Aml {
  const prt: Aml[] = [];
  for (let slot = 1; slot < 32; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      prt.push(pkg(int(((slot << 16) | 0xffff) >>> 0), int(pin), ref(`\\_SB.${LINKS[PciHostBus.pirqOf(slot, pin + 1)]}`), int(0)));
    }
  }
  const slots: Aml[] = [];
  for (let slot = FIRST_HOTPLUG_SLOT; slot <= LAST_HOTPLUG_SLOT; slot++) {
    slots.push(device(slotName(slot),
      name("_ADR", int(slot << 16)),
      name("_SUN", int(slot)),
      method("_EJ0", 1, store(int((1 << slot) >>> 0), ref("\\_SB.PCI0.B0EJ"))),
    ));
  }
  return device("PCI0",
    name("_HID", eisaId("PNP0A03")),
    name("_ADR", int(0)),
    name("_UID", int(0)),
    name("_BBN", int(0)),
    name("_CRS", resourceTemplate(
      wordSpace("bus", 0x00, 0xff),
      ioPorts(0xcf8, 8), // configuration mechanism #1
      wordSpace("io", 0x0000, 0x0cf7),
      wordSpace("io", 0x0d00, 0xffff),
      dwordMemory(0x000a0000, 0x000bffff), // legacy VGA window
      dwordMemory(w.memBase, w.memLimit),
    )),
    name("_PRT", pkg(...prt)),
    device("ISA",
      name("_ADR", int((PIIX3_DEVICE << 16) | PIIX3_FUNCTION)),
      opRegion("PIRQ", RegionSpace.PciConfig, PIRQ_ROUTE_REGISTERS, 4),
      field("PIRQ", FieldAccess.Byte, FieldUpdate.Preserve, PIRQ_FIELDS.map((f) => [f, 8] as const)),
    ),
    opRegion("PCHP", RegionSpace.SystemIO, PCI_HOTPLUG_IO_BASE, PCI_HOTPLUG_IO_LENGTH),
    field("PCHP", FieldAccess.DWord, FieldUpdate.WriteAsZeros, [["PCIU", 32], ["PCID", 32], ["B0EJ", 32]]),
    ...slots,
  );
}

/** \_SB.LNKx: PCI interrupt link x (PNP0C0F) over PIIX3 PIRQ route register x. The OS reads the
 *  routing SeaBIOS chose (_CRS), or picks one of PCI_LINK_IRQS and programs it (_SRS). */
function pirqLinkAml(pirq: number): Aml {
  const route = ref(`\\_SB.PCI0.ISA.${PIRQ_FIELDS[pirq]}`);
  const disabled = and(route, int(PIRQ_ROUTE_DISABLED));
  const irqOf = (buf: Aml) => index(buf, int(INTERRUPT_NUMBER_OFFSET));
  return device(LINKS[pirq],
    name("_HID", eisaId("PNP0C0F")),
    name("_UID", int(pirq + 1)),
    name("_PRS", resourceTemplate(levelInterrupts(PCI_LINK_IRQS))),
    name("RES", resourceTemplate(levelInterrupts([0]))),
    method("_STA", 0, ifThen(disabled, ret(int(0x09))), ret(int(0x0b))), // present, enabled when routed
    method("_DIS", 0, or(route, int(PIRQ_ROUTE_DISABLED), route)),
    method("_CRS", 0,
      store(int(0), irqOf(ref("RES"))),
      ifThen(lNot(disabled), store(and(route, int(0x0f)), irqOf(ref("RES")))),
      ret(ref("RES")),
    ),
    method("_SRS", 1, store(derefOf(irqOf(arg(0))), route)),
  );
}

/** \_GPE._E01: the hot-plug controller's event. Each slot with a new card gets a device check
 *  (Notify 1), each slot the host wants back an eject request (Notify 3). */
function hotplugEventAml(): Aml {
  const checks: Aml[] = [];
  for (let slot = FIRST_HOTPLUG_SLOT; slot <= LAST_HOTPLUG_SLOT; slot++) {
    const bit = int((1 << slot) >>> 0);
    const path = ref(`\\_SB.PCI0.${slotName(slot)}`);
    checks.push(ifThen(and(local(0), bit), notify(path, int(1))), ifThen(and(local(1), bit), notify(path, int(3))));
  }
  return scope("\\_GPE", method(`_E${PCI_HOTPLUG_GPE.toString(16).toUpperCase().padStart(2, "0")}`, 0,
    store(ref("\\_SB.PCI0.PCIU"), local(0)),
    store(ref("\\_SB.PCI0.PCID"), local(1)),
    ...checks,
  ));
}

/** The hot-plug controller's ports, claimed as motherboard resources so the OS never gives them to a
 *  PCI BAR from the root bridge's I/O window. */
const HOTPLUG_PORTS: AcpiIsaDevice = { name: "PHPR", pnpId: 0x0c02, io: [{ port: PCI_HOTPLUG_IO_BASE, length: PCI_HOTPLUG_IO_LENGTH }] };

/** The DSDT body: \_S5, and with a PCI window the root bridge, its interrupt links, the ISA devices
 *  and the hot-plug event. */
export function dsdtAml(devices: AcpiIsaDevice[], pci: PciWindow | undefined): Aml {
  const s5 = name("_S5", pkg(int(S5_SLP_TYP), int(S5_SLP_TYP), int(0), int(0)));
  if (devices.length === 0 && !pci) return s5;
  const sb = scope("\\_SB",
    ...(pci ? [pciRootAml(pci), ...[0, 1, 2, 3].map(pirqLinkAml), isaDeviceAml(HOTPLUG_PORTS)] : []),
    ...devices.map(isaDeviceAml),
  );
  return [...s5, ...sb, ...(pci ? hotplugEventAml() : [])];
}

export function buildAcpiTables(options: AcpiOptions): AcpiBlobs {
  const pm = options.pmIoBase ?? PM_IO_BASE;
  const t = new Blob();
  const pointers: AcpiPointer[] = [];
  const checksums: AcpiChecksum[] = [];
  const tableSum = (at: number, length: number) => checksums.push({ file: "tables", offset: at + 9, start: at, length });
  const pointer = (file: AcpiFile, offset: number) => pointers.push({ file, offset, size: 4 });

  // FACS first: it must be 64-byte aligned and the blob is allocated with that alignment.
  const facs = t.reserve(64);
  t.ascii(facs, "FACS");
  t.u32(facs + 4, 64);

  const aml = dsdtAml(options.isaDevices ?? [], options.pciWindow);
  const dsdt = t.reserve(36 + aml.length);
  sdtHeader(t, dsdt, "DSDT", 36 + aml.length, 1);
  t.bytes.set(aml, dsdt + 36);
  tableSum(dsdt, 36 + aml.length);

  t.align(4);
  const fadt = t.reserve(116);
  sdtHeader(t, fadt, "FACP", 116, 1);
  t.u32(fadt + 36, facs);
  pointer("tables", fadt + 36);
  t.u32(fadt + 40, dsdt);
  pointer("tables", fadt + 40);
  t.u8(fadt + 44, options.apic ? 1 : 0); // INT_MODEL
  t.u16(fadt + 46, SCI_IRQ);
  t.u32(fadt + 48, SMI_CMD_PORT);
  t.u8(fadt + 52, ACPI_ENABLE_VALUE);
  t.u8(fadt + 53, ACPI_DISABLE_VALUE);
  t.u32(fadt + 56, pm); // PM1a_EVT_BLK
  t.u32(fadt + 64, pm + 4); // PM1a_CNT_BLK
  t.u32(fadt + 76, pm + 8); // PM_TMR_BLK
  t.u32(fadt + 80, pm + 0x0c); // GPE0_BLK
  t.u8(fadt + 88, 4); // PM1_EVT_LEN
  t.u8(fadt + 89, 2); // PM1_CNT_LEN
  t.u8(fadt + 91, 4); // PM_TMR_LEN
  t.u8(fadt + 92, 4); // GPE0_BLK_LEN
  t.u16(fadt + 96, 0xfff); // P_LVL2_LAT > 100: no C2
  t.u16(fadt + 98, 0xfff); // P_LVL3_LAT > 1000: no C3
  t.u8(fadt + 108, 0x32); // CENTURY index in CMOS
  // Flags: WBINVD, PROC_C1, SLP_BUTTON (no sleep button); power button is a fixed feature; 24-bit timer.
  t.u32(fadt + 112, (1 << 0) | (1 << 2) | (1 << 5));
  tableSum(fadt, 116);

  const entries = [fadt];
  if (options.apic) {
    const items: number[][] = [
      [0, 8, 0, 0, 1, 0, 0, 0], // processor local APIC: ACPI id 0, APIC id 0, enabled
      [1, 12, 0, 0, ...le32(IOAPIC_BASE), ...le32(0)], // I/O APIC id 0 at 0xFEC00000, GSI base 0
      [2, 10, 0, 0, ...le32(2), 0, 0], // ISA IRQ0 → GSI 2, bus-conforming
      // SCI and the PCI link IRQs: level, active high.
      ...[SCI_IRQ, ...PCI_LINK_IRQS].map((irq) => [2, 10, 0, irq, ...le32(irq), 0x0d, 0]),
      [4, 6, 0xff, 0, 0, 1], // local APIC NMI on LINT1 for all processors
    ];
    const length = 44 + items.reduce((n, i) => n + i.length, 0);
    t.align(4);
    const madt = t.reserve(length);
    sdtHeader(t, madt, "APIC", length, 1);
    t.u32(madt + 36, LAPIC_BASE);
    t.u32(madt + 40, 1); // PCAT_COMPAT: the 8259 pair is present too
    let at = madt + 44;
    for (const item of items) {
      t.bytes.set(item, at);
      at += item.length;
    }
    tableSum(madt, length);
    entries.push(madt);
  }

  t.align(4);
  const rsdtLength = 36 + 4 * entries.length;
  const rsdt = t.reserve(rsdtLength);
  sdtHeader(t, rsdt, "RSDT", rsdtLength, 1);
  entries.forEach((e, i) => {
    t.u32(rsdt + 36 + 4 * i, e);
    pointer("tables", rsdt + 36 + 4 * i);
  });
  tableSum(rsdt, rsdtLength);

  const r = new Blob();
  r.reserve(20);
  r.ascii(0, "RSD PTR ");
  r.ascii(9, OEM_ID);
  r.u8(15, 0); // revision 0 = ACPI 1.0
  r.u32(16, rsdt);
  pointer("rsdp", 16);
  checksums.push({ file: "rsdp", offset: 8, start: 0, length: 20 });

  return { rsdp: r.done(), tables: t.done(), pointers, checksums };
}

/** Little-endian bytes of a 16-bit value (for the MP and SMBIOS builders). */
export function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

/** Little-endian bytes of a 32-bit value (also used by the MP and SMBIOS builders). */
export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Does what the firmware's table loader does: patches pointers for `tablesBase` and fixes checksums.
 *  Returns new arrays; the inputs are left position-independent. */
export function placeAcpiTables(blobs: AcpiBlobs, tablesBase: number): { rsdp: Uint8Array; tables: Uint8Array } {
  const files = { rsdp: blobs.rsdp.slice(), tables: blobs.tables.slice() };
  for (const p of blobs.pointers) {
    const a = files[p.file];
    const v = (a[p.offset] | (a[p.offset + 1] << 8) | (a[p.offset + 2] << 16) | (a[p.offset + 3] << 24)) + tablesBase;
    a[p.offset] = v;
    a[p.offset + 1] = v >>> 8;
    a[p.offset + 2] = v >>> 16;
    a[p.offset + 3] = v >>> 24;
  }
  for (const c of blobs.checksums) {
    const a = files[c.file];
    let sum = 0;
    for (let i = c.start; i < c.start + c.length; i++) sum += a[i];
    a[c.offset] = (a[c.offset] - sum) & 0xff;
  }
  return files;
}

/** Sum of bytes mod 256 (0 for a valid ACPI checksum). */
export function acpiChecksum(bytes: Uint8Array, start = 0, length = bytes.length): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += bytes[i];
  return sum & 0xff;
}
