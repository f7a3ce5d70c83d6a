// A virtio-net network card on the legacy/transitional virtio PCI interface (Linux virtio_net).

import { VirtioNet } from "../devices/net/virtio-net.ts";
import type { CardBuilder, CardType } from "./card-type.ts";
import { nicSetup, nicSlot, validateNic, type NicFields } from "./nic.ts";

export type VirtioNetCard = NicFields & { type: "virtio-net" };

export const virtioNetCard: CardType<VirtioNetCard> = {
  type: "virtio-net",
  name: "virtio network card",
  validate: (card, at) => validateNic(card, at),
  slot: (card) => nicSlot(card, "virtio-net"),
};

export const buildVirtioNet: CardBuilder<VirtioNetCard> = (site, card) => {
  const s = nicSetup(card, "virtio-net");
  const nic = new VirtioNet(site.ctx, s);
  site.addDevice(nic);
  site.addNic({ card: s.id, model: "virtio-net", port: nic.wire });
};
