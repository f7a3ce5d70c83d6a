// The GDB remote protocol's framing (src/emulator/debug/gdb-packet.ts): checksums, acks, break-in,
// escaping, and what happens to broken input.

import { describe, expect, test } from "vitest";
import {
  MAX_PACKET, PacketReader, checksum, escapeBinary, framePacket, fromHex, parseHex32, toHex, unescapeBinary, type PacketEvent,
} from "../../src/emulator/debug/gdb-packet.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function events(...chunks: string[]): PacketEvent[] {
  const reader = new PacketReader();
  const out: PacketEvent[] = [];
  for (const c of chunks) reader.feed(bytes(c), (e) => out.push(e));
  return out;
}

describe("gdb packet framing", () => {
  test("checksums are the payload's byte sum mod 256, as gdb computes them", () => {
    // Values from real gdb sessions: "$OK#9a", "$g#67", "$?#3f", "$qC#b4".
    expect(text(framePacket("OK"))).toBe("$OK#9a");
    expect(checksum("g")).toBe(0x67);
    expect(checksum("?")).toBe(0x3f);
    expect(checksum("qC")).toBe(0xb4);
    expect(checksum("")).toBe(0);
  });

  test("the reader splits acks, packets and the break-in byte, across chunk boundaries", () => {
    expect(events("+$g#67", "-\x03$m10", "0000,4#", "e", "e")).toEqual([
      { kind: "ack" },
      { kind: "packet", payload: "g" },
      { kind: "nack" },
      { kind: "break-in" },
      { kind: "packet", payload: "m100000,4" },
    ]);
  });

  test("uppercase checksum digits are accepted; a wrong or non-hex checksum is reported, not delivered", () => {
    expect(events("$qC#B4")).toEqual([{ kind: "packet", payload: "qC" }]);
    expect(events("$qC#b5")).toEqual([{ kind: "bad-checksum" }]);
    expect(events("$qC#zz")).toEqual([{ kind: "bad-checksum" }]);
  });

  test("noise between packets is ignored and the next packet still parses", () => {
    expect(events("garbage\r\n$?#3f")).toEqual([{ kind: "packet", payload: "?" }]);
  });

  test("a packet longer than MAX_PACKET is dropped whole and reported", () => {
    const long = "M" + "0".repeat(MAX_PACKET + 10);
    const got = events(`$${long}#${checksum(long).toString(16).padStart(2, "0")}`, "$g#67");
    expect(got).toEqual([{ kind: "too-long" }, { kind: "packet", payload: "g" }]);
  });

  test("binary escaping covers $ # } * and round-trips every byte value", () => {
    expect(escapeBinary("a$b#c}d*e")).toBe("a}\x04b}\x03c}]d}\x0ae");
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expect(text(unescapeBinary(escapeBinary(all))!)).toBe(all);
    expect(unescapeBinary("abc}")).toBeNull(); // ends inside an escape
  });

  test("hex helpers refuse malformed input instead of guessing", () => {
    expect(toHex([0, 0x7f, 0xff])).toBe("007fff");
    expect(Array.from(fromHex("00fF10")!)).toEqual([0, 255, 16]);
    expect(fromHex("abc")).toBeNull();
    expect(fromHex("zz")).toBeNull();
    expect(parseHex32("100051")).toBe(0x100051);
    expect(parseHex32("ffffffff")).toBe(0xffffffff);
    expect(parseHex32("123456789")).toBeNull();
    expect(parseHex32("")).toBeNull();
    expect(parseHex32("-1")).toBeNull();
  });
});
