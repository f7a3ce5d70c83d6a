// The Bochs/QEMU standard VGA (PCI 1234:1111, VBE via the DISPI ports): the VM's screen.

import { VgaDevice } from "../devices/vga/vga.ts";
import { configFail } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";

export type VgaCard = {
  type: "vga";
  /** Video memory, a power of two from 1 to 256 MiB; default 16. */
  vramMiB?: number;
};

/** VRAM when the card does not say (VgaDevice's default). */
const DEFAULT_VRAM_MIB = 16;

export const vgaCard: CardType<VgaCard> = {
  type: "vga",
  name: "VGA display",
  validate(card, at, config) {
    const v = card.vramMiB;
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 256 || (v & (v - 1)) !== 0)) {
      configFail(`${at}.vramMiB: must be a power of two from 1 to 256, got ${String(v)}`);
    }
    if (config.boot.kind === "firmware" && config.vgaBios === undefined) configFail(`${at}: a VGA card under firmware boot needs vgaBios`);
  },
  slot: () => "vga",
  console: "vga",
  memoryMiB: (card) => card.vramMiB ?? DEFAULT_VRAM_MIB,
  host: {
    idPrefix: "vga",
    perHost: 4,
    label: (n) => `VGA display ${n} (Bochs VBE, ${DEFAULT_VRAM_MIB} MiB)`,
    card: { type: "vga" },
    byDefault: true,
  },
};

export const buildVga: CardBuilder<VgaCard> = (site, card) => {
  const vga = new VgaDevice(site.ctx, { vgaBios: site.config.vgaBios, vramMiB: card.vramMiB ?? DEFAULT_VRAM_MIB });
  site.addDevice(vga);
  site.setVga(vga);
};
