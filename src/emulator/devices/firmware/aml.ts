// A small ACPI Machine Language encoder (ACPI 6.x, chapter 20 "ACPI Machine Language
// Specification"; resource descriptors: chapter 6.4), so the DSDT reads as a tree of calls in
// acpi-tables.ts instead of byte lists. Every function returns the encoded bytes of one term;
// terms are concatenated by the functions that take a body (`...terms`).

export type Aml = number[];

// ---- lengths and names ----

/** PkgLength for a body of `body` bytes: the encoding counts its own 1-4 bytes. */
export function pkgLength(body: number): Aml {
  if (body + 1 <= 0x3f) return [body + 1];
  for (let extra = 1; extra <= 3; extra++) {
    const total = body + 1 + extra;
    if (total < 1 << (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push((total >>> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new RangeError(`AML package of ${body} bytes is too large`);
}

/** One 4-character name segment ("_SB" is padded to "_SB_"). */
export function nameSeg(name: string): Aml {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(name)) throw new Error(`AML name "${name}" is not a valid name segment`);
  return [...name.padEnd(4, "_")].map((c) => c.charCodeAt(0));
}

/** A NameString: "\\_SB.PCI0.S03" (absolute), "^ISA" (parent scope), "_CRS" (relative). */
export function nameString(path: string): Aml {
  const out: Aml = [];
  let rest = path;
  if (rest.startsWith("\\")) {
    out.push(0x5c);
    rest = rest.slice(1);
  }
  while (rest.startsWith("^")) {
    out.push(0x5e);
    rest = rest.slice(1);
  }
  const segs = rest === "" ? [] : rest.split(".");
  if (segs.length === 0) out.push(0x00);
  else if (segs.length === 2) out.push(0x2e);
  else if (segs.length > 2) {
    if (segs.length > 255) throw new RangeError(`AML name path "${path}" has too many segments`);
    out.push(0x2f, segs.length);
  }
  for (const s of segs) out.push(...nameSeg(s));
  return out;
}

// ---- data ----

/** An integer constant in its shortest form (Zero, One, Byte/Word/DWord prefix). */
export function int(value: number): Aml {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`AML integer ${value} is not a 32-bit unsigned value`);
  if (value === 0) return [0x00];
  if (value === 1) return [0x01];
  if (value <= 0xff) return [0x0a, value];
  if (value <= 0xffff) return [0x0b, value & 0xff, value >>> 8];
  return [0x0c, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** EisaId("PNP0A03") as the DWord ACPI and SeaBIOS match on: compressed vendor letters + product. */
export function eisaId(id: string): Aml {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new Error(`EISA id "${id}" must be three letters and four hex digits`);
  const letter = (i: number) => id.charCodeAt(i) - 0x40;
  const vendor = (letter(0) << 10) | (letter(1) << 5) | letter(2);
  const product = parseInt(id.slice(3), 16);
  return [0x0c, vendor >>> 8, vendor & 0xff, product >>> 8, product & 0xff];
}

export function buffer(bytes: readonly number[]): Aml {
  const body = [...int(bytes.length), ...bytes];
  return [0x11, ...pkgLength(body.length), ...body];
}

export function pkg(...elements: Aml[]): Aml {
  if (elements.length > 255) throw new RangeError(`AML package of ${elements.length} elements needs VarPackage`);
  const body = [elements.length, ...elements.flat()];
  return [0x12, ...pkgLength(body.length), ...body];
}

/** A name used as a value (a reference inside a package, a source or target operand). */
export const ref = nameString;

// ---- named objects ----

export function scope(path: string, ...terms: Aml[]): Aml {
  const body = [...nameString(path), ...terms.flat()];
  return [0x10, ...pkgLength(body.length), ...body];
}

export function device(path: string, ...terms: Aml[]): Aml {
  const body = [...nameString(path), ...terms.flat()];
  return [0x5b, 0x82, ...pkgLength(body.length), ...body];
}

export function name(path: string, value: Aml): Aml {
  return [0x08, ...nameString(path), ...value];
}

export function method(path: string, argCount: number, ...terms: Aml[]): Aml {
  if (!Number.isInteger(argCount) || argCount < 0 || argCount > 7) throw new RangeError(`AML method ${path}: ${argCount} arguments`);
  const body = [...nameString(path), argCount, ...terms.flat()];
  return [0x14, ...pkgLength(body.length), ...body];
}

export const enum RegionSpace {
  SystemMemory = 0,
  SystemIO = 1,
  PciConfig = 2,
}

export function opRegion(path: string, space: RegionSpace, offset: number, length: number): Aml {
  return [0x5b, 0x80, ...nameString(path), space, ...int(offset), ...int(length)];
}

export const enum FieldAccess {
  Any = 0,
  Byte = 1,
  Word = 2,
  DWord = 3,
}

export const enum FieldUpdate {
  Preserve = 0,
  WriteAsOnes = 1,
  WriteAsZeros = 2,
}

/** Field(region, access, NoLock, update) { name, bits, ... } with consecutive named fields. */
export function field(region: string, access: FieldAccess, update: FieldUpdate, units: readonly (readonly [string, number])[]): Aml {
  const list = units.flatMap(([n, bits]) => [...nameSeg(n), ...bitLength(bits)]);
  const body = [...nameString(region), access | (update << 5), ...list];
  return [0x5b, 0x81, ...pkgLength(body.length), ...body];
}

/** A field unit's bit length, in PkgLength's byte layout but holding the value itself. */
function bitLength(bits: number): Aml {
  if (!Number.isInteger(bits) || bits < 1 || bits > 0xfffffff) throw new RangeError(`AML field of ${bits} bits`);
  if (bits <= 0x3f) return [bits];
  if (bits <= 0xfff) return [0x40 | (bits & 0x0f), bits >>> 4];
  return [0x80 | (bits & 0x0f), (bits >>> 4) & 0xff, bits >>> 12];
}

// ---- statements and expressions ----

export const local = (n: number): Aml => [0x60 + checkIndex(n, 7, "Local")];
export const arg = (n: number): Aml => [0x68 + checkIndex(n, 6, "Arg")];

function checkIndex(n: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`AML ${what}${n} does not exist`);
  return n;
}

/** No target: the result is only the expression's value. */
const NO_TARGET: Aml = [0x00];

export const store = (value: Aml, target: Aml): Aml => [0x70, ...value, ...target];
export const and = (a: Aml, b: Aml, target: Aml = NO_TARGET): Aml => [0x7b, ...a, ...b, ...target];
export const or = (a: Aml, b: Aml, target: Aml = NO_TARGET): Aml => [0x7d, ...a, ...b, ...target];
export const shiftLeft = (a: Aml, count: Aml, target: Aml = NO_TARGET): Aml => [0x79, ...a, ...count, ...target];
export const shiftRight = (a: Aml, count: Aml, target: Aml = NO_TARGET): Aml => [0x7a, ...a, ...count, ...target];
export const lEqual = (a: Aml, b: Aml): Aml => [0x93, ...a, ...b];
export const lNot = (a: Aml): Aml => [0x92, ...a];
/** Index(source, index): a reference to one element (a byte of a buffer). */
export const index = (source: Aml, i: Aml, target: Aml = NO_TARGET): Aml => [0x88, ...source, ...i, ...target];
export const derefOf = (reference: Aml): Aml => [0x83, ...reference];
export const notify = (target: Aml, value: Aml): Aml => [0x86, ...target, ...value];
export const ret = (value: Aml): Aml => [0xa4, ...value];

export function ifThen(predicate: Aml, ...terms: Aml[]): Aml {
  const body = [...predicate, ...terms.flat()];
  return [0xa0, ...pkgLength(body.length), ...body];
}

export function elseDo(...terms: Aml[]): Aml {
  const body = terms.flat();
  return [0xa1, ...pkgLength(body.length), ...body];
}

// ---- resource templates (the bytes of a Buffer named _CRS/_PRS) ----

const u16le = (v: number): Aml => [v & 0xff, (v >>> 8) & 0xff];
const u32le = (v: number): Aml => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** IO(Decode16, min, min, 1, length): a fixed ISA port range. */
export const ioPorts = (port: number, length: number): Aml => [0x47, 0x01, ...u16le(port), ...u16le(port), 0x01, length];

/** IRQNoFlags(){irq}: an edge-triggered, active-high ISA interrupt. */
export const isaIrq = (irq: number): Aml => [0x22, ...u16le(1 << irq)];

/** Word address space descriptor (bus numbers or I/O), producer, fixed min/max. */
export function wordSpace(kind: "bus" | "io", min: number, max: number): Aml {
  const type = kind === "io" ? 1 : 2;
  return [0x88, 0x0d, 0x00, type, 0x0c, kind === "io" ? 0x03 : 0x00, ...u16le(0), ...u16le(min), ...u16le(max), ...u16le(0), ...u16le(max - min + 1)];
}

/** DWord memory descriptor (read/write, non-cacheable), producer, fixed min/max. */
export function dwordMemory(min: number, max: number): Aml {
  return [0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, ...u32le(0), ...u32le(min), ...u32le(max), ...u32le(0), ...u32le(max - min + 1)];
}

/** Interrupt(ResourceConsumer, Level, ActiveHigh, Shared){irqs}: the extended interrupt descriptor
 *  (the first interrupt number starts at byte 5). */
export function levelInterrupts(irqs: readonly number[]): Aml {
  return [0x89, ...u16le(2 + 4 * irqs.length), 0x09, irqs.length, ...irqs.flatMap(u32le)];
}

/** Byte offset of the first interrupt number in a `levelInterrupts` descriptor. */
export const INTERRUPT_NUMBER_OFFSET = 5;

/** ResourceTemplate(){...}: the descriptors plus the end tag, as a Buffer. */
export function resourceTemplate(...descriptors: Aml[]): Aml {
  return buffer([...descriptors.flat(), 0x79, 0x00]);
}
