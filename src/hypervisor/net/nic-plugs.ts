// Which networks a machine's cards plug into: one plug per network card of the MachineConfig, in
// card order (the order of machine.nics), each with the MAC the card will have.

import { nicSetup } from "../../emulator/cards/nic.ts";
import type { MachineConfig } from "../../emulator/machine-config.ts";
import { DEFAULT_NETWORK, type NicPlug } from "./network-hub.ts";

/** `networkOf(i)`: the network of the i-th card (default: every card on DEFAULT_NETWORK). */
export function nicPlugsOf(machine: MachineConfig, networkOf: (index: number) => string = () => DEFAULT_NETWORK): NicPlug[] {
  const plugs: NicPlug[] = [];
  for (const card of machine.cards) {
    if (card.type !== "ne2k-pci" && card.type !== "virtio-net") continue;
    plugs.push({ network: networkOf(plugs.length), mac: nicSetup(card, card.type).mac });
  }
  return plugs;
}
