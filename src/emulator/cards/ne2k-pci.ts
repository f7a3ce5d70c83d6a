// A Realtek RTL8029 PCI NE2000 network card (Linux ne2k-pci, DOS NE2000 packet drivers).

import { Ne2kPci } from "../devices/net/ne2k-pci.ts";
import type { CardBuilder, CardType } from "./card-type.ts";
import { nicSetup, nicSlot, validateNic, type NicFields } from "./nic.ts";

export type Ne2kPciCard = NicFields & { type: "ne2k-pci" };

export const ne2kPciCard: CardType<Ne2kPciCard> = {
  type: "ne2k-pci",
  name: "NE2000 PCI network card",
  validate: (card, at) => validateNic(card, at),
  slot: (card) => nicSlot(card, "ne2k-pci"),
};

export const buildNe2kPci: CardBuilder<Ne2kPciCard> = (site, card) => {
  const s = nicSetup(card, "ne2k-pci");
  const nic = new Ne2kPci(site.ctx, s);
  site.addDevice(nic);
  site.addNic({ card: s.id, model: "ne2k-pci", port: nic.wire });
};
