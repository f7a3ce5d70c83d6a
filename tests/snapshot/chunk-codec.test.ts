// Both inflaters a reader may use (the platform's DecompressionStream, fflate where there is none)
// produce exactly the declared size or say why not, and never more than that size.

import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { inflateFflate, inflateNative, packChunk, sha256Hex, unpackChunk } from "../../src/hypervisor/snapshot/chunk-codec.ts";
import { SnapshotFormatError } from "../../src/hypervisor/snapshot/index.ts";
import { xorshift32 } from "../xorshift.ts";

const text = new TextEncoder().encode("snapshot chunk ".repeat(3000)); // 45000 bytes

describe.each([
  ["DecompressionStream", inflateNative],
  ["fflate", inflateFflate],
] as const)("inflate with %s", (_, inflate) => {
  it("gives exactly the declared bytes", async () => {
    expect(await inflate(deflateRawSync(text), text.length)).toEqual(text);
  });

  it("stops at the declared size instead of producing more", async () => {
    const bomb = deflateRawSync(new Uint8Array(60 * 1024 * 1024)); // 60 MiB of zeros in about 60 KiB
    expect(await inflate(bomb, 65536)).toBe("decompresses to more than 65536 bytes, expected 65536");
    expect(await inflate(deflateRawSync(text), text.length + 1)).toBe(`decompresses to ${text.length} bytes, expected ${text.length + 1}`);
  });

  it("names a stream that is not deflate", async () => {
    expect(await inflate(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 100)).toMatch(/^does not decompress: /);
  });
});

describe("stored chunks", () => {
  it("round-trip, and a chunk deflate cannot shrink is stored raw", async () => {
    const next = xorshift32(12345);
    const noise = Uint8Array.from({ length: 4096 }, () => next() & 0xff);
    for (const raw of [text, noise]) {
      const stored = await packChunk(raw);
      expect(stored[0]).toBe(raw === text ? 1 : 0);
      expect(await unpackChunk(await sha256Hex(raw), stored, raw.length)).toEqual(raw);
    }
    await expect(unpackChunk(await sha256Hex(text), Uint8Array.of(7, 1, 2), 2)).rejects.toThrow(SnapshotFormatError);
    await expect(unpackChunk(await sha256Hex(text), Uint8Array.of(7, 1, 2), 2)).rejects.toThrow(/has unknown codec 7$/);
  });
});
