// Port I/O instructions IN/OUT (immediate and DX forms) with the IOPL and TSS I/O permission
// bitmap checks of protected and virtual-8086 mode, and I/O breakpoints (debug.ts).

import type { CPU } from "./cpu.ts";
import type { Handler } from "./decoder.ts";
import { EAX, EDX } from "./constants.ts";
import { IOPL, VM } from "./flags.ts";
import { checkIoBreakpoints } from "./debug.ts";

/** #GP(0) unless the current privilege may access `size` bytes at `port`. */
export function checkIoPermission(c: CPU, port: number, size: number): void {
  if ((c.cr0 & 1) === 0) return;
  if ((c.flags & VM) === 0 && c.cpl <= (c.flags & IOPL) >>> 12) return;
  // Only a 32-bit TSS has a bitmap.
  if ((c.trAttr & 0x8) === 0 || c.trLimit >>> 0 < 0x67) c.gp(0);
  const base = c.sysRd16((c.trBase + 0x66) | 0);
  const byteOff = base + (port >>> 3);
  if (byteOff + 1 > c.trLimit >>> 0) c.gp(0);
  const bits = c.sysRd16((c.trBase + byteOff) | 0);
  if (((bits >>> (port & 7)) & ((1 << size) - 1)) !== 0) c.gp(0);
}

export function portIn(c: CPU, port: number, size: number): number {
  checkIoPermission(c, port, size);
  if (c.ioWatchActive) checkIoBreakpoints(c, port, size);
  if (size === 1) return c.io.in8(port);
  if (size === 2) return c.io.in16(port);
  return c.io.in32(port);
}

export function portOut(c: CPU, port: number, size: number, v: number): void {
  checkIoPermission(c, port, size);
  if (c.ioWatchActive) checkIoBreakpoints(c, port, size);
  if (size === 1) c.io.out8(port, v & 0xff);
  else if (size === 2) c.io.out16(port, v & 0xffff);
  else c.io.out32(port, v);
}

export function installPortIo(t: Handler[]): void {
  t[0xe4] = (c) => { c.r8[0] = portIn(c, c.fetch8(), 1); };
  t[0xe5] = (c) => {
    const port = c.fetch8();
    if (c.o32) c.r32[EAX] = portIn(c, port, 4);
    else c.r16[0] = portIn(c, port, 2);
  };
  t[0xe6] = (c) => portOut(c, c.fetch8(), 1, c.r8[0]);
  t[0xe7] = (c) => {
    const port = c.fetch8();
    if (c.o32) portOut(c, port, 4, c.r32[EAX]);
    else portOut(c, port, 2, c.r16[0]);
  };
  t[0xec] = (c) => { c.r8[0] = portIn(c, c.r16[EDX << 1], 1); };
  t[0xed] = (c) => {
    if (c.o32) c.r32[EAX] = portIn(c, c.r16[EDX << 1], 4);
    else c.r16[0] = portIn(c, c.r16[EDX << 1], 2);
  };
  t[0xee] = (c) => portOut(c, c.r16[EDX << 1], 1, c.r8[0]);
  t[0xef] = (c) => {
    if (c.o32) portOut(c, c.r16[EDX << 1], 4, c.r32[EAX]);
    else portOut(c, c.r16[EDX << 1], 2, c.r16[0]);
  };
}
