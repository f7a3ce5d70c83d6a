// Page-walk rules the QEMU differential suite cannot check (QEMU 7.2 reports a reserved-bit #PF
// without its P bit): a 4 MiB page-directory entry with a reserved bit set is invalid.

import { describe, expect, it } from "vitest";
import { faultOf, makeMachine } from "./harness.ts";


describe("4 MiB pages without PSE-36", () => {
  it("a set reserved bit (21:13) in the PDE raises #PF with P|RSVD (and W/U), CR2 = the address", () => {
    const m = makeMachine(16);
    const pd = 0x20000;
    m.memory.ram32[(pd >> 2) + 2] = 0x00800087 | 0x200000; // 8-12 MiB: user, writable, bit 21 set
    m.memory.ram32[(pd >> 2) + 3] = 0x00c00087; // 12-16 MiB: the same without the reserved bit
    m.cpu.cr4 |= 0x10;
    m.cpu.cr3 = pd;
    m.cpu.cr0 |= 0x80000001 | 0;
    m.cpu.flushTlb(false);
    expect(faultOf(() => m.cpu.rd32(0x800010))).toEqual({ vector: 14, errorCode: 1 | 8 });
    expect(m.cpu.cr2 >>> 0).toBe(0x800010);
    expect(faultOf(() => m.cpu.wr32(0x9ffffc, 1))).toEqual({ vector: 14, errorCode: 1 | 2 | 8 });
    expect(m.cpu.cr2 >>> 0).toBe(0x9ffffc);
    expect(faultOf(() => m.cpu.wr32(0xc00010, 0x1234))).toBeNull();
    expect(m.cpu.rd32(0xc00010)).toBe(0x1234);
  });
});
