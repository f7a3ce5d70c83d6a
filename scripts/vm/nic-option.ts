// `npm run vm -- --nic MODEL[,mac=52:54:00:12:34:56][,link=up|down][,slot=N]`: a network card.
// Repeatable; cards without slot= take PCI slots 3, 4, 5... in the order given.

import type { NicFields, NicModel } from "../../src/emulator/cards/nic.ts";
import type { CardConfig } from "../../src/emulator/machine-config.ts";

const MODELS: readonly NicModel[] = ["ne2k-pci", "virtio-net"];

export const NIC_USAGE = `  --nic MODEL[,mac=M][,link=up|down][,slot=N]  network card (ne2k-pci or virtio-net; repeatable;
                      not plugged into any network: npm run vm has no switch yet)`;

/** The card for the `index`-th --nic value, or an error message naming what is wrong. */
export function parseNicOption(value: string, index: number): CardConfig | string {
  const [model, ...params] = value.split(",");
  if (!MODELS.includes(model as NicModel)) return `--nic: model must be ${MODELS.join(" or ")}, got "${model}"`;
  const card: NicFields = { pciSlot: 3 + index };
  for (const p of params) {
    const [key, v] = p.split("=", 2);
    if (key === "mac" && v) card.mac = v;
    else if (key === "link" && (v === "up" || v === "down")) card.linkUp = v === "up";
    else if (key === "slot" && v && /^\d+$/.test(v)) card.pciSlot = Number(v);
    else return `--nic: unknown or malformed parameter "${p}" (mac=M, link=up|down, slot=N)`;
  }
  return { type: model as NicModel, ...card };
}
