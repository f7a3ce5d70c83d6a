// The PCI face both network cards share: an Ethernet-class function with INTA# and one I/O BAR,
// whose ports follow the BAR wherever the guest places it.

import type { IOBus, PortHandlers } from "../../io-bus.ts";
import type { PciFunction } from "../../device.ts";
import { pciConfigHeader } from "../chipset/pci-bus.ts";

export interface NicPciIds {
  vendor: number;
  device: number;
  subsystemVendor: number;
  subsystem: number;
}

/** A network controller function (class 02 00 00) at `device`.0 with INTA# and BAR0 = `ioBytes` I/O
 *  ports, claimed through `handlers(base)` at each placement (and released when it moves). */
export function nicPciFunction(io: IOBus, name: string, device: number, ids: NicPciIds, ioBytes: number, handlers: (base: number) => [offset: number, count: number, PortHandlers][]): PciFunction {
  let mapped = -1;
  const onMap = (base: number) => {
    if (mapped >= 0) io.unregister(mapped, ioBytes, name);
    mapped = base;
    if (base >= 0) for (const [offset, count, h] of handlers(base)) io.register(base + offset, count, h, name);
  };
  return {
    name,
    device,
    fn: 0,
    config: pciConfigHeader({ ...ids, classCode: 0x020000, interruptPin: 1 }),
    bars: [{ size: ioBytes, kind: "io", onMap }],
  };
}
