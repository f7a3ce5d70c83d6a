// `npm run vm -- --nic MODEL[,mac=52:54:00:12:34:56][,link=up|down][,slot=N][,net=NAME]`: a network
// card on virtual network NAME (default lan). Repeatable; cards without slot= take PCI slots 3, 4,
// 5... in the order given.

import type { NicFields, NicModel } from "../../src/emulator/cards/nic.ts";
import type { CardConfig } from "../../src/emulator/machine-config.ts";
import { checkNetworkName, DEFAULT_NETWORK } from "../../src/hypervisor/net/network-hub.ts";

const MODELS: readonly NicModel[] = ["ne2k-pci", "virtio-net"];

export const NIC_USAGE = `  --nic MODEL[,mac=M][,link=up|down][,slot=N][,net=NAME]  network card (ne2k-pci or virtio-net;
                      repeatable) on virtual switch NAME in this process (default lan:
                      10.0.2.0/24, DHCP, DNS and ping at 10.0.2.2)`;

/** The card for the `index`-th --nic value and its network, or an error message naming what is wrong. */
export function parseNicOption(value: string, index: number): { card: CardConfig; net: string } | string {
  const [model, ...params] = value.split(",");
  if (!MODELS.includes(model as NicModel)) return `--nic: model must be ${MODELS.join(" or ")}, got "${model}"`;
  const card: NicFields = { pciSlot: 3 + index };
  let net = DEFAULT_NETWORK;
  for (const p of params) {
    const [key, v] = p.split("=", 2);
    if (key === "mac" && v) card.mac = v;
    else if (key === "link" && (v === "up" || v === "down")) card.linkUp = v === "up";
    else if (key === "slot" && v && /^\d+$/.test(v)) card.pciSlot = Number(v);
    else if (key === "net" && v !== undefined) {
      try {
        net = checkNetworkName(v);
      } catch (e) {
        return `--nic net: ${(e as Error).message}`;
      }
    } else return `--nic: unknown or malformed parameter "${p}" (mac=M, link=up|down, slot=N, net=NAME)`;
  }
  return { card: { type: model as NicModel, ...card }, net };
}
