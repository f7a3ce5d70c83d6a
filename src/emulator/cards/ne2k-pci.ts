// A Realtek RTL8029 PCI NE2000 network card (Linux ne2k-pci, DOS NE2000 packet drivers).

import { Ne2kPci } from "../devices/net/ne2k-pci.ts";
import { nicBuilder, nicCardType, type NicFields } from "./nic.ts";

export type Ne2kPciCard = NicFields & { type: "ne2k-pci" };

export const ne2kPciCard = nicCardType("ne2k-pci", "NE2000 PCI network card");

export const buildNe2kPci = nicBuilder("ne2k-pci", (ctx, s) => new Ne2kPci(ctx, s));
