// Named, versioned state for every CPU part and device, so a snapshot restores into a freshly built
// machine and continues exactly where it was.

export type StateValue =
  | number
  | boolean
  | string
  | null
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int32Array
  | Float64Array
  | StateValue[]
  | { [key: string]: StateValue };

export interface SavedState {
  /** What saved this, e.g. "cpu", "uart16550". Checked on load. */
  type: string;
  /** Bumped whenever the field set changes meaning. */
  version: number;
  fields: { [key: string]: StateValue };
}

export interface Stateful {
  saveState(): SavedState;
  /** Validates `state` completely without changing anything; throws StateError naming what is wrong.
   *  The machine checks every part before it loads any, so a bad snapshot changes nothing. */
  checkState(state: SavedState): void;
  /** Throws StateError when the state does not fit (wrong type, version or field). */
  loadState(state: SavedState): void;
}

export class StateError extends Error {
  override name = "StateError";
}

// ---- Declared state: each field named once, with its kind and the version it appeared in ----
//
// A StateLayout lists a part's fields. From it come save (read each field off the part), check
// (validate a saved tree completely, upgrading an older version, without touching the part) and
// apply (assign the checked values). `load` = check + apply, so a bad state never half-applies.

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;
type TypedArrayClass = { new (length: number): TypedArray; readonly name: string };
type Fields = SavedState["fields"];
/** A part whose fields the layout reads and assigns by name (private fields included). */
type Target = object;

interface FieldCommon {
  /** The layout version that added this field (default 1). */
  since?: number;
  /** The value a stream older than `since` loads with. */
  default?: StateValue;
  /** The part's property holding this field, when it is not on the part itself (e.g. "counters"). */
  in?: string;
  /** Reads the value to save when it is not the part's property of the same name. */
  get?: (target: never) => StateValue;
  /** Assigns a checked value when it is not the part's property of the same name. */
  set?: (target: never, value: never) => void;
}

export type FieldSpec = FieldCommon &
  (
    | { kind: "int"; min: number; max: number; wrap?: "i32" | "u32"; values?: readonly number[] }
    | { kind: "f64"; min?: number; max?: number }
    | { kind: "boolean" }
    | { kind: "string"; values?: readonly string[] }
    | { kind: "typed"; array: TypedArrayClass; length?: number; maxLength?: number; nullable?: boolean }
    | { kind: "record"; fields: Record<string, FieldSpec> }
    | { kind: "records"; fields: Record<string, FieldSpec>; length?: number; maxLength?: number; nullable?: boolean }
    | { kind: "nested"; layout: StateLayout<never>; optional?: boolean }
    | { kind: "part" }
    | { kind: "tuple"; length: number }
    | { kind: "map"; of: FieldSpec; entry?: string }
  );

const int = (min: number, max: number, extra?: FieldCommon): FieldSpec => ({ kind: "int", min, max, ...extra });
/** Field kinds, e.g. `{ ier: u8(), rx: typed(Uint8Array, 16), timeoutNs: f64({ min: -1 }) }`. */
export const u8 = (extra?: FieldCommon) => int(0, 0xff, extra);
export const u16 = (extra?: FieldCommon) => int(0, 0xffff, extra);
/** A 32-bit register: accepts either signedness, assigned as unsigned. */
export const u32 = (extra?: FieldCommon): FieldSpec => ({ kind: "int", min: -0x80000000, max: 0xffffffff, wrap: "u32", ...extra });
/** A 32-bit register: accepts either signedness, assigned as signed. */
export const i32 = (extra?: FieldCommon): FieldSpec => ({ kind: "int", min: -0x80000000, max: 0xffffffff, wrap: "i32", ...extra });
export const range = (min: number, max: number, extra?: FieldCommon) => int(min, max, extra);
/** An integer that is one of `values` (a numeric enum). */
export const choice = (values: readonly number[], extra?: FieldCommon): FieldSpec => ({ kind: "int", min: Math.min(...values), max: Math.max(...values), values, ...extra });
export const f64 = (extra?: FieldCommon & { min?: number; max?: number }): FieldSpec => ({ kind: "f64", ...extra });
export const bool = (extra?: FieldCommon): FieldSpec => ({ kind: "boolean", ...extra });
export const str = (extra?: FieldCommon): FieldSpec => ({ kind: "string", ...extra });
export const oneOf = (values: readonly string[], extra?: FieldCommon): FieldSpec => ({ kind: "string", values, ...extra });
export const typed = (array: TypedArrayClass, length: number, extra?: FieldCommon): FieldSpec => ({ kind: "typed", array, length, ...extra });
/** A typed array of at most `maxLength` elements (or null when `nullable`), assigned as a copy. */
export const typedUpTo = (array: TypedArrayClass, maxLength: number, extra?: FieldCommon & { nullable?: boolean }): FieldSpec => ({ kind: "typed", array, maxLength, ...extra });
/** A plain array of exactly `length` finite numbers. */
export const tuple = (length: number, extra?: FieldCommon): FieldSpec => ({ kind: "tuple", length, ...extra });
export const record = (fields: Record<string, FieldSpec>, extra?: FieldCommon): FieldSpec => ({ kind: "record", fields, ...extra });
/** A fixed-length array of records, applied into the part's array of objects; with `nullable`, an
 *  entry is null where the part's array has null (e.g. an empty drive position), and must match it. */
export const records = (fields: Record<string, FieldSpec>, length: number, extra?: FieldCommon & { nullable?: boolean }): FieldSpec => ({ kind: "records", fields, length, ...extra });
/** Another part's own {type, version, fields}; `optional` ones are saved only when the part exists. */
export const nested = (layout: StateLayout<never>, extra?: FieldCommon & { optional?: boolean }): FieldSpec => ({ kind: "nested", layout, ...extra });

/** The same fields, kept in the part's property `prop` (a sub-object whose fields the part's saved
 *  record lists flat, as the VGA does with its registers). */
export function fieldsIn(prop: string, fields: Record<string, FieldSpec>): Record<string, FieldSpec> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, { ...f, in: prop }]));
}

/** The part's property holding another Stateful whose kind is known only at run time (e.g. the
 *  CPU's x87 unit, real or absent): its own saveState/checkState/loadState do the work. */
export const part = (extra?: FieldCommon): FieldSpec => ({ kind: "part", ...extra });
/** A record keyed by names known only at run time (e.g. PCI slots), each value of kind `of`;
 *  needs `get`/`set`, and the part checks the keys. */
export const map = (of: FieldSpec, extra?: FieldCommon & { entry?: string }): FieldSpec => ({ kind: "map", of, ...extra });

interface Compiled {
  name: string;
  spec: FieldSpec;
  sub: Compiled[] | null;
}

function compile(fields: Record<string, FieldSpec>): Compiled[] {
  return Object.entries(fields).map(([name, spec]) => ({
    name,
    spec,
    sub: spec.kind === "record" || spec.kind === "records" ? compile(spec.fields) : spec.kind === "map" ? compile({ value: spec.of }) : null,
  }));
}

function isPlainObject(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  return typeof v === "object" ? "an object" : String(v);
}

export interface LayoutOptions {
  /** Oldest version this build still loads (default 1). */
  minVersion?: number;
  /** Steps that rewrite a version-`v` field set into version `v + 1`, keyed by `v`, applied in
   *  order before validation (for fields that changed meaning rather than just appeared). */
  upgrades?: Record<number, (fields: Fields) => void>;
  /** Cross-field rules on the checked fields; returns what is wrong, or null. */
  rule?: (fields: Fields) => string | null;
  /** Re-derives what is not saved (IRQ lines, mappings, timers) once every field is assigned. */
  afterLoad?: (target: never) => void;
}

export class StateLayout<T extends Target> {
  private readonly compiled: Compiled[];

  constructor(
    readonly type: string,
    readonly version: number,
    fields: Record<string, FieldSpec>,
    private readonly options: LayoutOptions = {},
  ) {
    this.compiled = compile(fields);
  }

  save(target: T): SavedState {
    return { type: this.type, version: this.version, fields: saveFields(this.compiled, target) };
  }

  /** Validates `state` completely (upgrading an older version) and returns fields of the current
   *  version; throws StateError naming the field. Changes nothing. */
  check(state: unknown, target?: T): Fields {
    const t = this.type;
    if (!isPlainObject(state)) throw new StateError(`${t}: state is not an object`);
    const s = state as Partial<SavedState>;
    if (s.type !== t) throw new StateError(`${t}: state is for "${String(s.type)}"`);
    const v = s.version;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new StateError(`${t}: state version ${describe(v)} is not a whole number`);
    if (v > this.version) throw new StateError(`${t}: version ${v} is newer than this build supports (${this.version})`);
    const min = this.options.minVersion ?? 1;
    if (v < min) throw new StateError(`${t}: version ${v} is older than this build still loads (${min})`);
    if (!isPlainObject(s.fields)) throw new StateError(`${t}: state has no fields`);
    let fields = s.fields;
    if (v < this.version) {
      fields = { ...fields };
      for (let from = v; from < this.version; from++) this.options.upgrades?.[from]?.(fields);
    }
    const out = checkFields(this.compiled, fields, v, t, "", target);
    const wrong = this.options.rule?.(out);
    if (wrong) throw new StateError(`${t}: ${wrong}`);
    return out;
  }

  /** Assigns fields returned by `check` to the part. */
  apply(target: T, checked: Fields): void {
    applyFields(this.compiled, target, checked);
    this.options.afterLoad?.(target as never);
  }

  load(target: T, state: unknown): void {
    this.apply(target, this.check(state, target));
  }
}

function envelope(s: SavedState): StateValue {
  return { type: s.type, version: s.version, fields: s.fields };
}

function saveFields(list: Compiled[], target: Target): Fields {
  const out: Fields = {};
  const t = target as Record<string, Record<string, unknown>>;
  for (let i = 0; i < list.length; i++) {
    const { name, spec, sub } = list[i];
    const raw = (spec.get ? spec.get(target as never) : spec.in ? t[spec.in][name] : t[name]) as StateValue;
    switch (spec.kind) {
      case "typed":
        out[name] = raw === null ? null : (raw as TypedArray).slice();
        break;
      case "record":
        out[name] = spec.get ? raw : saveFields(sub!, raw as Target);
        break;
      case "records":
        out[name] = spec.get ? raw : (raw as (Target | null)[]).map((r) => (r === null ? null : saveFields(sub!, r)));
        break;
      case "part":
        out[name] = envelope((raw as unknown as Stateful).saveState());
        break;
      case "map":
        if (spec.of.kind === "part" && !spec.get) {
          const parts: Fields = {};
          for (const [k, p] of Object.entries(raw as unknown as Record<string, Stateful>)) parts[k] = envelope(p.saveState());
          out[name] = parts;
        } else out[name] = raw;
        break;
      case "nested": {
        if (raw === null || raw === undefined) {
          out[name] = null; // an optional part this machine does not have
          break;
        }
        out[name] = envelope(spec.layout.save(raw as never));
        break;
      }
      default:
        out[name] = raw;
    }
  }
  return out;
}

function checkFields(list: Compiled[], fields: Fields, version: number, owner: string, prefix: string, target?: Target): Fields {
  const out: Fields = {};
  for (const key of Object.keys(fields)) {
    if (!list.some((c) => c.name === key)) throw new StateError(`${owner}: unknown field "${prefix}${key}"`);
  }
  for (const c of list) {
    const path = prefix + c.name;
    let v: unknown = fields[c.name];
    if ((v === undefined || v === null) && c.spec.kind === "nested" && c.spec.optional) {
      out[c.name] = null;
      continue;
    }
    if (v === undefined) {
      if ((c.spec.since ?? 1) > version && c.spec.default !== undefined) v = c.spec.default;
      else throw new StateError(`${owner}: field "${path}" is missing`);
    }
    out[c.name] = checkValue(c, v, version, owner, path, target);
  }
  return out;
}

function checkValue(c: Compiled, v: unknown, version: number, owner: string, path: string, target?: Target): StateValue {
  const spec = c.spec;
  const bad = (what: string) => new StateError(`${owner}: field "${path}" must be ${what}, got ${describe(v)}`);
  switch (spec.kind) {
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v) || v < spec.min || v > spec.max || (spec.values && !spec.values.includes(v))) {
        throw bad(spec.wrap ? "a 32-bit integer" : spec.values ? `one of ${spec.values.join(", ")}` : `an integer ${spec.min}..${spec.max}`);
      }
      return spec.wrap === "u32" ? v >>> 0 : spec.wrap === "i32" ? v | 0 : v;
    case "f64":
      if (typeof v !== "number" || Number.isNaN(v) || v < (spec.min ?? -Infinity) || v > (spec.max ?? Infinity)) {
        throw bad(`a number${spec.min !== undefined ? ` ≥ ${spec.min}` : ""}${spec.max !== undefined ? ` ≤ ${spec.max}` : ""}`);
      }
      return v;
    case "boolean":
      if (typeof v !== "boolean") throw bad("a boolean");
      return v;
    case "string":
      if (typeof v !== "string" || (spec.values && !spec.values.includes(v))) throw bad(spec.values ? `one of ${spec.values.join(", ")}` : "a string");
      return v;
    case "typed": {
      if (v === null && spec.nullable) return null;
      if (!(v instanceof spec.array)) throw bad(`a ${spec.array.name}${spec.nullable ? " or null" : ""}`);
      const n = (v as TypedArray).length;
      if (spec.length !== undefined && n !== spec.length) throw new StateError(`${owner}: field "${path}" has length ${n}, expected ${spec.length}`);
      if (spec.maxLength !== undefined && n > spec.maxLength) throw new StateError(`${owner}: field "${path}" has length ${n}, at most ${spec.maxLength} allowed`);
      return v as TypedArray;
    }
    case "record":
      if (!isPlainObject(v)) throw bad("a record");
      return checkFields(c.sub!, v, version, owner, `${path}.`, own(target, spec, c.name) as Target | undefined);
    case "records": {
      const targets = own(target, spec, c.name) as (Target | null)[] | undefined;
      if (!Array.isArray(v)) throw bad("an array of records");
      if (spec.length !== undefined && v.length !== spec.length) throw new StateError(`${owner}: field "${path}" has ${v.length} entries, expected ${spec.length}`);
      if (spec.maxLength !== undefined && v.length > spec.maxLength) throw new StateError(`${owner}: field "${path}" has ${v.length} entries, at most ${spec.maxLength} allowed`);
      return v.map((r, i) => {
        const into = targets?.[i];
        if (r === null && spec.nullable) {
          if (into) throw new StateError(`${owner}: field "${path}[${i}]": presence differs from this machine's configuration (saved empty, this machine has one)`);
          return null;
        }
        if (!isPlainObject(r)) throw new StateError(`${owner}: field "${path}[${i}]" must be a record, got ${describe(r)}`);
        if (into === null) throw new StateError(`${owner}: field "${path}[${i}]": presence differs from this machine's configuration (saved, this machine has none)`);
        return checkFields(c.sub!, r, version, owner, `${path}[${i}].`, into);
      });
    }
    case "nested":
      return spec.layout.check(v) as StateValue;
    case "part": {
      const p = own(target, spec, c.name) as Stateful | undefined;
      if (!p) throw new StateError(`${owner}: field "${path}" can only be checked against the part that loads it`);
      if (!isPlainObject(v)) throw bad("a saved state");
      p.checkState(v as unknown as SavedState);
      return v as StateValue;
    }
    case "tuple":
      if (!Array.isArray(v) || v.length !== spec.length || !v.every((x) => typeof x === "number" && Number.isFinite(x))) throw bad(`${spec.length} numbers`);
      return v as number[];
    case "map": {
      if (!isPlainObject(v)) throw bad("a record");
      const out: Fields = {};
      if (spec.of.kind === "part") {
        // One saved state per part of the part's own record of parts, by name, both ways.
        const parts = own(target, spec, c.name) as Record<string, Stateful> | undefined;
        if (!parts) throw new StateError(`${owner}: field "${path}" can only be checked against the parts that load it`);
        const what = spec.entry ?? "part";
        for (const k of Object.keys(parts)) if (!(k in v)) throw new StateError(`${owner}: snapshot has no state for ${what} "${k}" (field "${path}.${k}")`);
        for (const [k, x] of Object.entries(v)) {
          if (!Object.hasOwn(parts, k)) throw new StateError(`${owner}: snapshot has ${what} "${k}" that this machine does not have (field "${path}.${k}")`);
          if (!isPlainObject(x)) throw new StateError(`${owner}: field "${path}.${k}" must be a saved state, got ${describe(x)}`);
          parts[k].checkState(x as unknown as SavedState);
          out[k] = x;
        }
        return out;
      }
      for (const [k, x] of Object.entries(v)) out[k] = checkValue(c.sub![0], x, version, owner, `${path}.${k}`);
      return out;
    }
  }
}

/** The part's own value for a field (undefined when checking without a part). */
function own(target: Target | undefined, spec: FieldSpec, name: string): unknown {
  if (!target || spec.get) return undefined;
  const holder = (spec.in ? (target as Record<string, unknown>)[spec.in] : target) as Record<string, unknown>;
  return holder[name];
}

function applyFields(list: Compiled[], target: Target, fields: Fields): void {
  for (let i = 0; i < list.length; i++) {
    const { name, spec, sub } = list[i];
    const v = fields[name];
    if (spec.set) {
      spec.set(target as never, v as never);
      continue;
    }
    const t = (spec.in ? (target as Record<string, unknown>)[spec.in] : target) as Record<string, unknown>;
    switch (spec.kind) {
      case "typed": {
        // Into the part's own array when it has the same size; otherwise the part takes a copy.
        const cur = t[name];
        if (v !== null && cur instanceof spec.array && cur.length === (v as TypedArray).length) cur.set(v as TypedArray);
        else t[name] = v === null ? null : (v as TypedArray).slice();
        break;
      }
      case "record":
        applyFields(sub!, t[name] as Target, v as Fields);
        break;
      case "records": {
        const targets = t[name] as Target[];
        (v as (Fields | null)[]).forEach((r, j) => {
          if (r !== null) applyFields(sub!, targets[j], r);
        });
        break;
      }
      case "nested":
        if (v !== null) spec.layout.apply(t[name] as never, v as Fields);
        break;
      case "part":
        (t[name] as Stateful).loadState(v as unknown as SavedState);
        break;
      case "map":
        if (spec.of.kind === "part") {
          const parts = t[name] as Record<string, Stateful>;
          for (const [k, x] of Object.entries(v as Fields)) parts[k].loadState(x as unknown as SavedState);
        } else t[name] = v;
        break;
      default:
        t[name] = v;
    }
  }
}
