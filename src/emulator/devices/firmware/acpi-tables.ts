// ACPI 1.0 tables for this board: RSDP → RSDT → FADT (+ FACS, DSDT with \_S5) and MADT (one local
// APIC, the I/O APIC, ISA overrides IRQ0 → GSI2 and level-triggered IRQ9/10/11).
//
// The tables are built position-independent: every pointer field holds an offset into the "tables"
// blob and is listed in `pointers`, every checksum in `checksums`. SeaBIOS's table loader (fw_cfg
// etc/table-loader) patches them where it placed the blobs; `placeAcpiTables` does the same for
// direct kernel boot without firmware. One description, two consumers.

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

/** AML PkgLength encoding for a package whose body (after the PkgLength) is `body` bytes. */
function pkgLength(body: number): number[] {
  if (body + 1 <= 0x3f) return [body + 1];
  const total = body + 2;
  if (total > 0xfff) throw new Error(`AML package of ${body} bytes is too large for this builder`);
  return [0x40 | (total & 0x0f), total >>> 4];
}

function nameSeg(name: string): number[] {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(name)) throw new Error(`AML name "${name}" is not a valid name segment`);
  return [...name.padEnd(4, "_")].map((c) => c.charCodeAt(0));
}

/** EisaId("PNPxxxx") as a DWordConst: SeaBIOS and Linux match on these bytes. */
function eisaId(pnp: number): number[] {
  return [0x0c, 0x41, 0xd0, (pnp >>> 8) & 0xff, pnp & 0xff];
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

function isaDeviceAml(d: AcpiIsaDevice): number[] {
  const crs: number[] = [];
  for (const r of d.io) crs.push(0x47, 0x01, r.port & 0xff, r.port >>> 8, r.port & 0xff, r.port >>> 8, 0x01, r.length);
  if (d.irq !== undefined) crs.push(0x22, (1 << d.irq) & 0xff, (1 << d.irq) >>> 8);
  crs.push(0x79, 0x00);
  const buffer = [0x0a, crs.length, ...crs];
  const crsName = [0x08, ...nameSeg("_CRS"), 0x11, ...pkgLength(buffer.length), ...buffer];
  const hid = [0x08, ...nameSeg("_HID"), ...eisaId(d.pnpId)];
  const body = [...nameSeg(d.name), ...hid, ...crsName];
  return [0x5b, 0x82, ...pkgLength(body.length), ...body];
}

const u16le = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Word address space descriptor (bus numbers or I/O), producer, fixed min/max. */
function wordSpace(type: 1 | 2, min: number, max: number): number[] {
  return [0x88, 0x0d, 0x00, type, 0x0c, type === 1 ? 0x03 : 0x00, ...u16le(0), ...u16le(min), ...u16le(max), ...u16le(0), ...u16le(max - min + 1)];
}

/** DWord memory descriptor (read/write, non-cacheable), producer, fixed min/max. */
function dwordMemory(min: number, max: number): number[] {
  return [0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, ...u32le(0), ...u32le(min), ...u32le(max), ...u32le(0), ...u32le(max - min + 1)];
}

/** Where PCI memory BARs may go: above RAM up to the I/O APIC. */
export interface PciWindow {
  memBase: number;
  memLimit: number;
}

/** \_SB.PCI0, the PCI root bridge (PNP0A03) with its bus, I/O and memory windows, so an ACPI OS
 *  enumerates bus 0 (without it Linux's ACPI PCI init never scans the bus). */
function pciRootAml(w: PciWindow): number[] {
  const crs = [
    ...wordSpace(2, 0x00, 0xff),
    0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08, // config ports 0xCF8-0xCFF
    ...wordSpace(1, 0x0000, 0x0cf7),
    ...wordSpace(1, 0x0d00, 0xffff),
    ...dwordMemory(0x000a0000, 0x000bffff), // legacy VGA window
    ...dwordMemory(w.memBase, w.memLimit),
    0x79, 0x00,
  ];
  const buffer = [0x0a, crs.length, ...crs];
  const body = [
    ...nameSeg("PCI0"),
    0x08, ...nameSeg("_HID"), ...eisaId(0x0a03),
    0x08, ...nameSeg("_ADR"), 0x00,
    0x08, ...nameSeg("_UID"), 0x00,
    0x08, ...nameSeg("_CRS"), 0x11, ...pkgLength(buffer.length), ...buffer,
  ];
  return [0x5b, 0x82, ...pkgLength(body.length), ...body];
}

/** The DSDT body: Name(\_S5, Package(4){S5, S5, 0, 0}) and Scope(\_SB) with the PCI root bridge
 *  and the ISA devices. */
function dsdtAml(devices: AcpiIsaDevice[], pci: PciWindow | undefined): number[] {
  const elements: number[] = [];
  for (const v of [S5_SLP_TYP, S5_SLP_TYP, 0, 0]) {
    if (v === 0) elements.push(0x00);
    else if (v === 1) elements.push(0x01);
    else elements.push(0x0a, v);
  }
  const pkg = [0x04, ...elements]; // NumElements, elements
  const s5 = [0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, ...pkgLength(pkg.length), ...pkg];
  if (devices.length === 0 && !pci) return s5;
  const scopeBody = [0x5c, ...nameSeg("_SB"), ...(pci ? pciRootAml(pci) : []), ...devices.flatMap(isaDeviceAml)];
  return [...s5, 0x10, ...pkgLength(scopeBody.length), ...scopeBody];
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
      [2, 10, 0, 9, ...le32(9), 0x0d, 0], // IRQ9 (SCI): level, active high
      [2, 10, 0, 10, ...le32(10), 0x0d, 0], // IRQ10/11: PCI interrupts after SeaBIOS's PIRQ routing
      [2, 10, 0, 11, ...le32(11), 0x0d, 0],
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
