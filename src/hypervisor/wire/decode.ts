// Messages between threads, declared as schemas: each message kind is one row naming its fields and
// a decoder for each. The kind's TypeScript type and the validating decoder both come from that row,
// so adding a message kind is a one-row change (plus its handler, which the compiler asks for).
// A decoder never trusts what arrives: a value of the wrong shape is refused with a WireError that
// names the channel, the field and what was wrong, and the decoded message is built from the checked
// fields only (nothing unchecked passes through).

export class WireError extends Error {
  override name = "WireError";
}

/** Checks one value and returns it typed; throws WireError naming `path` and what was wrong. */
export type Decoder<T> = (value: unknown, path: string) => T;

type Fields = Record<string, Decoder<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F extends Fields> = { [K in keyof F]: undefined extends ReturnType<F[K]> ? K : never }[keyof F];
/** The object type a row of field decoders describes (fields whose decoder may give undefined are optional). */
export type FieldsOf<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: ReturnType<F[K]> } & { [K in OptionalKeys<F>]?: ReturnType<F[K]> }
>;

/** One row per message kind: the kind's name and its fields (besides `type`). */
export type MessageSchema = Record<string, Fields>;
/** The discriminated union of a schema's messages, discriminated by `type`. */
export type MessageOf<S extends MessageSchema> = { [K in keyof S & string]: Simplify<{ type: K } & FieldsOf<S[K]>> }[keyof S & string];
/** One handler per message kind: a receiver that misses a kind does not compile. */
export type MessageHandlers<M extends { type: string }> = { [K in M["type"]]: (message: Extract<M, { type: K }>) => void };

/** How a refused value is described in a message. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value === "undefined" ? "" : "a "}${typeof value}${typeof value === "number" ? ` (${value})` : ""}`;
}

function refuse(path: string, expected: string, value: unknown): never {
  throw new WireError(`${path}: expected ${expected}, got ${describe(value)}`);
}

/** A plain object (not null, not an array): the shape every message and record has. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function text(maxLength: number): Decoder<string> {
  return (v, path) => (typeof v === "string" && v.length <= maxLength ? v : refuse(path, `a string of at most ${maxLength} characters`, v));
}

export const positiveNumber: Decoder<number> = (v, path) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : refuse(path, "a finite number above 0", v));

export const positiveInteger: Decoder<number> = (v, path) => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : refuse(path, "a whole number above 0", v));

export const boolean: Decoder<boolean> = (v, path) => (typeof v === "boolean" ? v : refuse(path, "true or false", v));

/** A typed array of one kind (`name` as in messages, e.g. "Uint8Array") of at most `maxLength` elements. */
export function typedArray<T extends ArrayBufferView & { length: number }>(name: string, constructor: abstract new (...args: never[]) => T, maxLength: number): Decoder<T> {
  return (v, path) => (v instanceof constructor && v.length <= maxLength ? v : refuse(path, `a ${name} of at most ${maxLength} elements`, v));
}

/** An array of at most `maxLength` values, each checked by `decoder`. */
export function list<T>(decoder: Decoder<T>, maxLength: number): Decoder<T[]> {
  return (v, path) => {
    if (!Array.isArray(v) || v.length > maxLength) refuse(path, `an array of at most ${maxLength} entries`, v);
    return v.map((x, i) => decoder(x, `${path}[${i}]`));
  };
}

export const sharedBuffer: Decoder<SharedArrayBuffer> = (v, path) =>
  typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer ? v : refuse(path, "a SharedArrayBuffer", v);

/** An instance of a host class that may be missing on some hosts (e.g. OffscreenCanvas in Node). */
export function instanceOf<T>(name: string, constructor: () => (abstract new (...args: never[]) => T) | undefined): Decoder<T> {
  return (v, path) => {
    const c = constructor();
    return c !== undefined && v instanceof c ? (v as T) : refuse(path, `an ${name}`, v);
  };
}

/** A value checked only for being an object here, because its owner validates it fully on use
 *  (`what` says who, for the reader of a refusal). */
export function objectValidatedBy<T extends object>(what: string): Decoder<T> {
  return (v, path) => (isObject(v) ? (v as T) : refuse(path, `an object (${what})`, v));
}

export function optional<T>(decoder: Decoder<T>): Decoder<T | undefined> {
  return (v, path) => (v === undefined ? undefined : decoder(v, path));
}

function decodeFields<F extends Fields>(value: Record<string, unknown>, fields: F, path: string, ignore?: string): FieldsOf<F> {
  for (const key of Object.keys(value)) if (key !== ignore && !Object.hasOwn(fields, key)) throw new WireError(`${path}: unexpected field "${key}"`);
  const out: Record<string, unknown> = {};
  for (const [key, decode] of Object.entries(fields)) {
    const v = decode(value[key], `${path}.${key}`);
    if (v !== undefined) out[key] = v;
  }
  return out as FieldsOf<F>;
}

/** A nested object with exactly these fields. */
export function record<F extends Fields>(fields: F): Decoder<FieldsOf<F>> {
  return (v, path) => (isObject(v) ? decodeFields(v, fields, path) : refuse(path, "an object", v));
}

/** A channel's message kinds, with their decoder and dispatcher. */
export interface MessageKinds<S extends MessageSchema> {
  /** Names the channel in refusals, e.g. "guest worker message". */
  readonly channel: string;
  readonly schema: S;
  /** The message, checked field by field; throws WireError naming what was wrong. */
  decode(data: unknown): MessageOf<S>;
  /** Decodes `data` and hands it to its kind's handler; a malformed message goes to `refused`
   *  with the reason instead (handlers' own exceptions are not caught). */
  dispatch(data: unknown, handlers: MessageHandlers<MessageOf<S>>, refused: (problem: string) => void): void;
}

export function defineMessages<const S extends MessageSchema>(channel: string, schema: S): MessageKinds<S> {
  const kinds = Object.keys(schema).map((k) => `"${k}"`).join(", ");
  const decode = (data: unknown): MessageOf<S> => {
    if (!isObject(data)) refuse(channel, "an object", data);
    const type = data.type;
    if (typeof type !== "string" || !Object.hasOwn(schema, type)) {
      throw new WireError(`${channel}: unknown type ${typeof type === "string" ? `"${type.slice(0, 64)}"` : describe(type)} (expected one of ${kinds})`);
    }
    return { type, ...decodeFields(data, schema[type], `${channel} "${type}"`, "type") } as MessageOf<S>;
  };
  return {
    channel,
    schema,
    decode,
    dispatch(data, handlers, refused) {
      let message: MessageOf<S>;
      try {
        message = decode(data);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        refused(e.message);
        return;
      }
      (handlers[message.type as keyof typeof handlers] as (m: MessageOf<S>) => void)(message);
    },
  };
}
