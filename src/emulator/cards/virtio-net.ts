// A virtio-net network card on the legacy/transitional virtio PCI interface (Linux virtio_net).

import { VirtioNet } from "../devices/net/virtio-net.ts";
import { nicBuilder, nicCardType, type NicFields } from "./nic.ts";

export type VirtioNetCard = NicFields & { type: "virtio-net" };

export const virtioNetCard = nicCardType("virtio-net", "virtio network card");

export const buildVirtioNet = nicBuilder("virtio-net", (ctx, s) => new VirtioNet(ctx, s));
