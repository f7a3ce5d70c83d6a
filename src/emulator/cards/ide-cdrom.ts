// An ATAPI CD-ROM drive on the chipset's PIIX3 IDE function.

import { configFail, isBytes } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";
import { ideBootPath, idePlaceSlot, validateIdePlace, type IdePlace } from "./ide-drive.ts";

export type IdeCdromCard = IdePlace & {
  type: "ide-cdrom";
  /** The disc in the tray; null = empty tray. */
  image: Uint8Array | null;
};

export const ideCdromCard: CardType<IdeCdromCard> = {
  type: "ide-cdrom",
  name: "IDE CD-ROM drive",
  validate(card, at) {
    validateIdePlace(card, at);
    if (card.image === null) return;
    if (!isBytes(card.image)) configFail(`${at}.image: must be a Uint8Array or null (empty tray)`);
    if (card.image.length === 0 || card.image.length % 2048 !== 0) configFail(`${at}.image: ${card.image.length} bytes is not a non-empty multiple of 2048`);
  },
  slot: idePlaceSlot,
  ideDrive: (card) => ({ channel: card.channel, slave: card.slave, spec: { kind: "cdrom", image: card.image } }),
  boot: {
    device: "cdrom",
    path: ideBootPath,
    media: {
      label: "CD-ROM",
      accept: ["iso"],
      manifestNames: ["cdrom", "cd", "iso"],
      card: (image) => ({ type: "ide-cdrom", channel: 1, slave: false, image }),
    },
  },
};

/** Built with the chipset's IDE function (machine.ts), from `ideDrive`. */
export const buildIdeCdrom: CardBuilder<IdeCdromCard> = null;
