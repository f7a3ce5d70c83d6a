// A bare machine around the VGA for tests: real IOBus, PhysicalMemory and VirtualClock, a PCI bus
// stand-in that records the function and lets the test place BARs, and helpers that program
// registers through the ports the way a BIOS does.

import { VirtualClock } from "../../src/emulator/clock.ts";
import type { DeviceContext, PciBus, PciFunction } from "../../src/emulator/device.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";
import { VgaDevice, type VgaOptions } from "../../src/emulator/devices/vga/vga.ts";
import type { VgaModeRegisters } from "../../src/emulator/devices/vga/vga-modes.ts";

export interface VgaRig {
  vga: VgaDevice;
  io: IOBus;
  memory: PhysicalMemory;
  clock: VirtualClock;
  pciFunctions: PciFunction[];
}

export function makeVga(options: VgaOptions = {}, clock = new VirtualClock(() => 0)): VgaRig {
  const io = new IOBus();
  const memory = new PhysicalMemory(4 << 20, { shared: false });
  const pciFunctions: PciFunction[] = [];
  const pci: PciBus = { addFunction: (fn) => void pciFunctions.push(fn), setIntx: () => {} };
  const ctx: DeviceContext = {
    io,
    memory,
    irq: { setIrq: () => {} },
    clock,
    pci,
    log: () => {},
    addTimer: () => {},
    rescheduleTimer: () => {},
    requestReset: () => {},
    requestPowerOff: () => {},
  };
  const vga = new VgaDevice(ctx, options);
  return { vga, io, memory, clock, pciFunctions };
}

/** Programs a whole mode through the ports: misc, sequencer (under reset), CRTC (unprotected),
 *  graphics controller, attribute controller, then re-enables the display. */
export function programMode(io: IOBus, mode: VgaModeRegisters): void {
  io.out8(0x3c2, mode.misc);
  io.out16(0x3c4, 0x0100); // synchronous reset
  for (let i = 1; i < mode.seq.length; i++) io.out16(0x3c4, (mode.seq[i] << 8) | i);
  io.out16(0x3c4, 0x0300);
  io.out8(0x3d4, 0x11);
  io.out8(0x3d5, io.in8(0x3d5) & 0x7f);
  for (let i = 0; i < mode.crtc.length; i++) io.out16(0x3d4, (mode.crtc[i] << 8) | i);
  for (let i = 0; i < mode.gc.length; i++) io.out16(0x3ce, (mode.gc[i] << 8) | i);
  io.in8(0x3da);
  for (let i = 0; i < mode.attr.length; i++) {
    io.out8(0x3c0, i);
    io.out8(0x3c0, mode.attr[i]);
  }
  io.out8(0x3c0, 0x20);
}

export function setDac(io: IOBus, index: number, r: number, g: number, b: number): void {
  io.out8(0x3c8, index);
  io.out8(0x3c9, r);
  io.out8(0x3c9, g);
  io.out8(0x3c9, b);
}

/** RGBA of one pixel of a render() result. */
export function pixel(frame: { width: number; pixels: Uint8ClampedArray }, x: number, y: number): [number, number, number, number] {
  const i = (y * frame.width + x) * 4;
  const p = frame.pixels;
  return [p[i], p[i + 1], p[i + 2], p[i + 3]];
}
