// A 16550A UART at one of the four standard COM port addresses. The host's serial consoles are
// COM1 in whichever VM holds them.

import { COM_PORTS, Uart16550 } from "../devices/serial/uart-16550.ts";
import { configFail } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";

export type SerialCard = {
  type: "serial";
  index: 0 | 1 | 2 | 3;
};

export const serialCard: CardType<SerialCard> = {
  type: "serial",
  name: "serial port",
  validate(card, at) {
    if (![0, 1, 2, 3].includes(card.index)) configFail(`${at}.index: must be 0-3 (COM1-COM4), got ${String(card.index)}`);
  },
  slot: (card) => `serial COM${card.index + 1}`,
  isaDevices: (card) => [{ name: `COM${card.index + 1}`, pnpId: 0x0501, io: [{ port: COM_PORTS[card.index].base, length: 8 }], irq: COM_PORTS[card.index].irq }],
  console: "serial",
  host: {
    idPrefix: "com",
    perHost: 4,
    label: (n) => `Serial console ${n} (16550A as COM1)`,
    card: { type: "serial", index: 0 },
    byDefault: false,
  },
};

export const buildSerial: CardBuilder<SerialCard> = (site, card) => {
  const uart = new Uart16550(site.ctx, { index: card.index, name: `com${card.index + 1}` });
  site.addDevice(uart);
  site.addSerial(uart);
};
