// The i8042 keyboard controller with a PS/2 keyboard and mouse.

import { I8042 } from "../devices/ps2/i8042.ts";
import { type CardBuilder, type PlainCard, plainCardType } from "./card-type.ts";

export type Ps2Card = PlainCard<"ps2">;

export const ps2Card = plainCardType("ps2", "PS/2 keyboard and mouse", {
  // Firmware probes the keyboard and the mouse only when the DSDT lists them.
  isaDevices: () => [
    { name: "KBD", pnpId: 0x0303, io: [{ port: 0x60, length: 1 }, { port: 0x64, length: 1 }], irq: 1 },
    { name: "MOU", pnpId: 0x0f13, io: [], irq: 12 },
  ],
  host: {
    idPrefix: "ps2",
    perHost: 4,
    label: (n) => `PS/2 keyboard + mouse ${n}`,
    card: { type: "ps2" },
    byDefault: true,
  },
});

export const buildPs2: CardBuilder<Ps2Card> = (site) => {
  const kbc = new I8042(site.ctx, { mouse: true });
  site.addDevice(kbc);
  site.setKeyboard(kbc.keyboard);
};
