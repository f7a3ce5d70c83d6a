// QEMU's debugcon at port 0xE9: bytes the guest writes there go to the host's listeners.

import { Debugcon } from "../devices/debug/debugcon.ts";
import { type CardBuilder, type PlainCard, plainCardType } from "./card-type.ts";

export type DebugconCard = PlainCard<"debugcon">;

export const debugconCard = plainCardType("debugcon", "debug console", {
  host: {
    idPrefix: "debugcon",
    perHost: 1,
    label: () => "Debug console (port 0xE9)",
    card: { type: "debugcon" },
    byDefault: false,
  },
});

export const buildDebugcon: CardBuilder<DebugconCard> = (site) => {
  const dc = new Debugcon(site.ctx);
  site.addDevice(dc);
  site.addDebugcon((emit) => dc.onByte(emit));
};
