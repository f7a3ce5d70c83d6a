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
  /** Throws StateError when the state does not fit (wrong type, version or field). */
  loadState(state: SavedState): void;
}

export class StateError extends Error {
  override name = "StateError";
}

/** Validates the envelope and returns the fields; the message names what was wrong. */
export function expectState(state: unknown, type: string, version: number): SavedState["fields"] {
  if (typeof state !== "object" || state === null) throw new StateError(`${type}: state is not an object`);
  const s = state as Partial<SavedState>;
  if (s.type !== type) throw new StateError(`${type}: state is for "${String(s.type)}"`);
  if (s.version !== version) throw new StateError(`${type}: state version ${String(s.version)} is not supported (expected ${version})`);
  if (typeof s.fields !== "object" || s.fields === null) throw new StateError(`${type}: state has no fields`);
  return s.fields;
}

export function numberField(fields: SavedState["fields"], owner: string, name: string): number {
  const v = fields[name];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new StateError(`${owner}: field "${name}" must be a finite number`);
  return v;
}

export function booleanField(fields: SavedState["fields"], owner: string, name: string): boolean {
  const v = fields[name];
  if (typeof v !== "boolean") throw new StateError(`${owner}: field "${name}" must be a boolean`);
  return v;
}

export function stringField(fields: SavedState["fields"], owner: string, name: string): string {
  const v = fields[name];
  if (typeof v !== "string") throw new StateError(`${owner}: field "${name}" must be a string`);
  return v;
}

type TypedArrayCtor<T> = { new (length: number): T; name: string };

/** Copies a saved typed array into `into`, checking its kind and exact length. */
export function typedField<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
  fields: SavedState["fields"],
  owner: string,
  name: string,
  into: T,
): T {
  const v = fields[name];
  const ctor = into.constructor as TypedArrayCtor<T>;
  if (!(v instanceof (ctor as unknown as Function))) throw new StateError(`${owner}: field "${name}" must be a ${ctor.name}`);
  const arr = v as T;
  if (arr.length !== into.length) throw new StateError(`${owner}: field "${name}" has length ${arr.length}, expected ${into.length}`);
  (into as Uint8Array).set(arr as Uint8Array);
  return into;
}
