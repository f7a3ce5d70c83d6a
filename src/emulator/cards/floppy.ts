// A floppy drive (A: or B:) on the ISA floppy controller; both drives share one controller.

import { FloppyController, type FloppyDriveSpec } from "../devices/floppy/floppy-controller.ts";
import { FLOPPY_FORMATS } from "../devices/floppy/floppy-geometry.ts";
import type { FloppyType } from "../devices/timers/rtc-cmos.ts";
import { configFail, isBytes } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";

export type FloppyCard = {
  type: "floppy";
  drive: 0 | 1;
  /** The disk in the drive; null = empty drive. */
  image: Uint8Array | null;
};

/** Floppy image sizes the controller knows a geometry for (bytes → name). */
export const FLOPPY_SIZES: ReadonlyMap<number, string> = new Map(FLOPPY_FORMATS.map((f) => [f.bytes, f.name]));
const LARGEST_FLOPPY = 2949120;

/** A floppy image as the drive sees it: standard sizes as they are; shorter images (boot-sector
 *  programs) padded with zeros to 1.44M (2.88M above that), as QEMU does. Returns a copy when padding. */
export function floppyMediaImage(image: Uint8Array): Uint8Array {
  if (FLOPPY_SIZES.has(image.length)) return image;
  const padded = new Uint8Array(image.length <= 1474560 ? 1474560 : LARGEST_FLOPPY);
  padded.set(image);
  return padded;
}

/** CMOS drive type for a floppy image size (the BIOS derives the geometry from it). */
function floppyType(image: Uint8Array | null): FloppyType {
  if (!image) return "1.44M";
  image = floppyMediaImage(image);
  if (image.length <= 368640) return "360K";
  if (image.length === 737280) return "720K";
  if (image.length === 1228800) return "1.2M";
  if (image.length === LARGEST_FLOPPY) return "2.88M";
  return "1.44M";
}

export const floppyCard: CardType<FloppyCard> = {
  type: "floppy",
  name: "floppy drive",
  validate(card, at) {
    if (card.drive !== 0 && card.drive !== 1) configFail(`${at}.drive: must be 0 (A:) or 1 (B:), got ${String(card.drive)}`);
    if (card.image === null) return;
    if (!isBytes(card.image)) configFail(`${at}.image: must be a Uint8Array or null (empty drive)`);
    const len = card.image.length;
    if (!FLOPPY_SIZES.has(len) && (len === 0 || len % 512 !== 0 || len > LARGEST_FLOPPY)) {
      configFail(`${at}.image: ${len} bytes is not a floppy size; accepted: ${[...FLOPPY_SIZES].map(([b, n]) => `${n} (${b})`).join(", ")}, or a shorter multiple of 512 (padded with zeros)`);
    }
  },
  slot: (card) => `floppy drive ${card.drive === 0 ? "A" : "B"}`,
  isaDevices: () => [{ name: "FDC0", pnpId: 0x0700, io: [{ port: 0x3f2, length: 4 }, { port: 0x3f7, length: 1 }], irq: 6 }],
  cmosFloppy: (card) => ({ drive: card.drive, type: floppyType(card.image) }),
  boot: {
    device: "floppy",
    path: (card) => `/isa/fdc@03f0/floppy@${card.drive}`,
    media: {
      label: "floppy (A:)",
      accept: ["img", "ima", "flp", "vfd", "bin", "raw"],
      maxBytes: LARGEST_FLOPPY,
      manifestNames: ["floppy", "fda"],
      card: (image) => ({ type: "floppy", drive: 0, image }),
    },
  },
};

export const buildFloppy: CardBuilder<FloppyCard> = (site, card, sameType) => {
  // One controller serves both drives: build it for the first floppy card, from all of them.
  if (sameType[0] !== card) return;
  const drives: (FloppyDriveSpec | null)[] = [null, null];
  for (const f of sameType) drives[f.drive] = { present: true, media: f.image ? { image: floppyMediaImage(f.image) } : null };
  site.addDevice(new FloppyController(site.ctx, { drives, dma: site.dma }));
};
