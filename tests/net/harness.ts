// A NIC on a test bench: the device context of tests/devices with a PCI bus that records each
// function's INTx level, the I/O BAR placed where a guest would put it, and frame helpers.

import type { DeviceContext, PciFunction } from "../../src/emulator/device.ts";
import type { NicWire } from "../../src/emulator/devices/net/nic-port.ts";
import { makeTestContext, type TestContext } from "../devices/fake-context.ts";

export const IO_BASE = 0xc000;
export const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const PEER = Uint8Array.of(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc);

export interface Bench {
  ctx: DeviceContext & TestContext;
  /** INTx level of the (single) PCI function. */
  intx(): boolean;
  /** Frames the device put on the wire. */
  sent: Uint8Array[];
}

/** Builds `make(ctx)`'s device, maps its BAR0 at IO_BASE and collects its transmitted frames. */
export function bench<D extends { pci: PciFunction; wire: NicWire }>(make: (ctx: DeviceContext) => D): Bench & { dev: D } {
  const t = makeTestContext(4);
  let level = false;
  const ctx = Object.assign(t, {
    pci: {
      addFunction: (fn: PciFunction) => void t.pciFunctions.push(fn),
      setIntx: (_fn: PciFunction, l: boolean) => void (level = l),
    },
  });
  const dev = make(ctx);
  dev.pci.bars![0]!.onMap(IO_BASE);
  const sent: Uint8Array[] = [];
  dev.wire.onTransmit = (f) => void sent.push(f);
  return { ctx, dev, intx: () => level, sent };
}

/** An Ethernet frame: destination, source, EtherType 0x0800, then `payload` bytes counting up from `seed`. */
export function frame(dst: Uint8Array, src: Uint8Array, payload: number, seed = 0): Uint8Array {
  const f = new Uint8Array(14 + payload);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  for (let i = 0; i < payload; i++) f[14 + i] = (seed + i) & 0xff;
  return f;
}

/** `f` padded with zeros to `n` bytes (what a runt looks like after the NIC padded it). */
export function padded(f: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(Math.max(n, f.length));
  out.set(f);
  return out;
}
