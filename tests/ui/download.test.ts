import { describe, expect, it } from "vitest";
import { blobInSlices, safeFileName } from "../../src/ui/download.ts";

describe("blobInSlices", () => {
  it("holds the bytes in order, whatever the number of slices", async () => {
    const bytes = new Uint8Array(2.5 * 2 ** 20 + 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 20)) & 0xff;
    const blob = await blobInSlices(bytes, "application/octet-stream");
    expect(blob.type).toBe("application/octet-stream");
    // Buffer.compare: a deep equality over megabytes of elements would take minutes.
    expect(Buffer.compare(new Uint8Array(await blob.arrayBuffer()), bytes)).toBe(0);
    expect(blob.size).toBe(bytes.length);
    expect((await blobInSlices(new Uint8Array(0), "x/y")).size).toBe(0);
  });
});

describe("safeFileName", () => {
  it("keeps a VM's name readable and drops what a file system refuses", () => {
    expect(safeFileName("Debian 12 Linux 6.1.0-57-686")).toBe("Debian 12 Linux 6.1.0-57-686");
    expect(safeFileName('a/b\\c:d*e?"f<g>h|i')).toBe("a_b_c_d_e_f_g_h_i");
    expect(safeFileName("  ")).toBe("vm");
  });
});
