// The GDB remote serial protocol's framing: `$payload#cs` packets (cs = payload bytes summed mod
// 256, two hex digits), `+`/`-` acknowledgements, the 0x03 break-in byte outside packets, and the
// `}` escape (next byte XOR 0x20) for `$`, `#`, `}` and `*` in binary data. Payloads are handled
// as latin1 strings: one char per byte.

/** Largest packet payload we accept and announce (qSupported PacketSize). */
export const MAX_PACKET = 0x4000;

export const BREAK_IN = 0x03;

export function checksum(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum;
}

/** `$payload#cs` as bytes; `payload` must already be escaped where it carries binary data. */
export function framePacket(payload: string): Uint8Array {
  const text = `$${payload}#${checksum(payload).toString(16).padStart(2, "0")}`;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Escapes binary data (one char per byte) for a reply such as qXfer's. */
export function escapeBinary(data: string): string {
  let out = "";
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    out += c === 0x23 || c === 0x24 || c === 0x7d || c === 0x2a ? "}" + String.fromCharCode(c ^ 0x20) : data[i];
  }
  return out;
}

/** Undoes escapeBinary (the data of an `X` packet); null when the data ends inside an escape. */
export function unescapeBinary(data: string): Uint8Array | null {
  const out = new Uint8Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    let c = data.charCodeAt(i);
    if (c === 0x7d) {
      if (++i >= data.length) return null;
      c = data.charCodeAt(i) ^ 0x20;
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

export function toHex(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] & 0xff).toString(16).padStart(2, "0");
  return s;
}

/** Hex digits to bytes; null when not an even number of hex digits. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** A hex number of 1..8 digits (an address, length or register number); null otherwise. */
export function parseHex32(s: string): number | null {
  return /^[0-9a-fA-F]{1,8}$/.test(s) ? parseInt(s, 16) >>> 0 : null;
}

export type PacketEvent =
  | { kind: "packet"; payload: string }
  | { kind: "ack" }
  | { kind: "nack" }
  | { kind: "break-in" }
  /** A packet whose checksum did not match (ack mode replies `-`), or longer than MAX_PACKET. */
  | { kind: "bad-checksum" }
  | { kind: "too-long" };

const enum State { Idle, Payload, Check1, Check2 }

/** Splits the incoming byte stream into events. Bytes outside packets other than `+`, `-`, 0x03
 *  and `$` are ignored (as gdbserver does); an over-long packet is dropped whole and reported. */
export class PacketReader {
  private state = State.Idle;
  private payload: number[] = [];
  private overflow = false;
  private sum = 0;
  private check = 0;

  feed(bytes: Uint8Array, emit: (e: PacketEvent) => void): void {
    for (const b of bytes) {
      switch (this.state) {
        case State.Idle:
          if (b === 0x24) {
            this.state = State.Payload;
            this.payload = [];
            this.overflow = false;
            this.sum = 0;
          } else if (b === 0x2b) emit({ kind: "ack" });
          else if (b === 0x2d) emit({ kind: "nack" });
          else if (b === BREAK_IN) emit({ kind: "break-in" });
          break;
        case State.Payload:
          if (b === 0x23) this.state = State.Check1;
          else {
            this.sum = (this.sum + b) & 0xff;
            if (this.payload.length < MAX_PACKET) this.payload.push(b);
            else this.overflow = true;
          }
          break;
        case State.Check1:
          this.check = hexDigit(b) << 4;
          this.state = State.Check2;
          break;
        case State.Check2: {
          this.state = State.Idle;
          const check = this.check | hexDigit(b);
          if (this.overflow) emit({ kind: "too-long" });
          else if (check !== this.sum) emit({ kind: "bad-checksum" });
          else emit({ kind: "packet", payload: String.fromCharCode(...this.payload) });
          this.payload = [];
          break;
        }
      }
    }
  }
}

/** Value of a hex digit, or 0x100 (never matches a checksum) for anything else. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return 0x100;
}
