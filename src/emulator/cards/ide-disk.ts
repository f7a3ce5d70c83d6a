// An ATA hard disk on the chipset's PIIX3 IDE function.

import { configFail, isBytes } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";
import { ideBootPath, idePlaceSlot, validateIdePlace, type IdePlace } from "./ide-drive.ts";

export type IdeDiskCard = IdePlace & {
  type: "ide-disk";
  image: Uint8Array;
};

const MAX_DISK_BYTES = 128 * 2 ** 30; // LBA48 could go further; 128 GiB is plenty for a browser tab

export const ideDiskCard: CardType<IdeDiskCard> = {
  type: "ide-disk",
  name: "IDE hard disk",
  validate(card, at) {
    validateIdePlace(card, at);
    if (!isBytes(card.image)) configFail(`${at}.image: must be a Uint8Array`);
    if (card.image.length === 0 || card.image.length % 512 !== 0) configFail(`${at}.image: ${card.image.length} bytes is not a non-empty multiple of 512`);
    if (card.image.length > MAX_DISK_BYTES) configFail(`${at}.image: larger than ${MAX_DISK_BYTES / 2 ** 30} GiB`);
  },
  slot: idePlaceSlot,
  ideDrive: (card) => ({ channel: card.channel, slave: card.slave, spec: { kind: "disk", image: card.image } }),
  boot: {
    device: "disk",
    path: ideBootPath,
    media: {
      label: "hard disk",
      accept: ["img", "bin", "raw"],
      maxBytes: MAX_DISK_BYTES,
      manifestNames: ["disk", "hda"],
      card: (image) => ({ type: "ide-disk", channel: 0, slave: false, image }),
    },
  },
};

/** Built with the chipset's IDE function (machine.ts), from `ideDrive`. */
export const buildIdeDisk: CardBuilder<IdeDiskCard> = null;
