// A VM's configuration as the administrator sets it, its validation, which changes need a restart,
// and the translation into the emulator's MachineConfig.

import { hostMachineCard, MEDIA_CARD_TYPES, mediaCardType } from "../emulator/cards/registry.ts";
import type { CardConfig, MachineConfig } from "../emulator/machine-config.ts";
import type { CatalogGuest, MediaKind } from "./guest-catalog.ts";
import type { HostCard } from "./resource-ledger.ts";

export type GuestSource =
  | { kind: "catalog"; guestId: string }
  | { kind: "upload"; fileName: string; media: MediaKind; bytes: Uint8Array }
  /** A machine known only from a snapshot (an imported VM whose guest is not in the catalog): it
   *  resumes from its state and cannot boot. Only the hypervisor creates these. */
  | { kind: "snapshot"; label: string; guestId: string | null };

export interface VmConfig {
  name: string;
  guest: GuestSource;
  memoryMiB: number;
  /** CPU share weight, 1-1000. */
  share: number;
  /** CPU cap in % of one host core, 1-100 (100 = none). */
  capPercent: number;
  /** Host card ids (resource-ledger.ts). */
  cards: string[];
  /** A blank writable IDE hard disk of this many MiB (first free IDE place: primary master on a
   *  VM that boots a kernel directly, i.e. /dev/sda in Linux). Its writes persist (issue 10). */
  dataDiskMiB?: number;
}

/** What may be changed on an existing VM. */
export type VmConfigPatch = Partial<Pick<VmConfig, "name" | "memoryMiB" | "share" | "capPercent" | "cards">>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Fields that only take effect when the machine is rebuilt. */
export const RESTART_FIELDS: readonly (keyof VmConfigPatch)[] = ["memoryMiB", "cards"];

const MAX_UPLOAD_BYTES = 800 * 1024 * 1024;
const MAX_DATA_DISK_MIB = 1024;

export function validateVmConfig(c: VmConfig): VmConfig {
  if (typeof c !== "object" || c === null) throw new ConfigError("VM configuration must be an object");
  if (typeof c.name !== "string" || c.name.trim().length === 0 || c.name.length > 64) throw new ConfigError("VM name must be 1-64 characters");
  validatePatch({ memoryMiB: c.memoryMiB, share: c.share, capPercent: c.capPercent, cards: c.cards });
  if (c.dataDiskMiB !== undefined && (!Number.isInteger(c.dataDiskMiB) || c.dataDiskMiB < 1 || c.dataDiskMiB > MAX_DATA_DISK_MIB)) {
    throw new ConfigError(`data disk must be a whole number of MiB from 1 to ${MAX_DATA_DISK_MIB}, got ${String(c.dataDiskMiB)}`);
  }
  const g = c.guest;
  if (!g || (g.kind !== "catalog" && g.kind !== "upload")) throw new ConfigError("VM guest must come from the catalog or an uploaded image");
  if (g.kind === "catalog" && (typeof g.guestId !== "string" || !g.guestId)) throw new ConfigError("VM guest: catalog guest id missing");
  if (g.kind === "upload") {
    if (!(g.bytes instanceof Uint8Array) || g.bytes.length === 0) throw new ConfigError(`uploaded image "${g.fileName}" is empty`);
    if (g.bytes.length > MAX_UPLOAD_BYTES) throw new ConfigError(`uploaded image "${g.fileName}" is ${g.bytes.length} bytes; the limit is ${MAX_UPLOAD_BYTES}`);
    const type = mediaCardType(g.media);
    if (!type) throw new ConfigError(`uploaded image media must be ${MEDIA_CARD_TYPES.map((t) => t.boot.device).join(", ")}, got ${String(g.media)}`);
    // The card that will hold the image checks it now, so a bad image is refused before the VM exists.
    try {
      type.validate(type.boot.media.card(g.bytes), `${g.media} image "${g.fileName}"`, { memoryMiB: c.memoryMiB, boot: { kind: "firmware", order: [g.media] }, cards: [] });
    } catch (e) {
      throw new ConfigError(e instanceof Error ? e.message : String(e));
    }
  }
  return { ...c, name: c.name.trim(), cards: [...c.cards] };
}

export function validatePatch(p: VmConfigPatch): void {
  if (p.name !== undefined && (typeof p.name !== "string" || !p.name.trim() || p.name.length > 64)) throw new ConfigError("VM name must be 1-64 characters");
  if (p.memoryMiB !== undefined && (!Number.isInteger(p.memoryMiB) || p.memoryMiB < 1 || p.memoryMiB > 3072)) {
    throw new ConfigError(`RAM must be a whole number of MiB from 1 to 3072, got ${p.memoryMiB}`);
  }
  if (p.share !== undefined && (!Number.isInteger(p.share) || p.share < 1 || p.share > 1000)) throw new ConfigError(`CPU share must be 1-1000, got ${p.share}`);
  if (p.capPercent !== undefined && (!Number.isInteger(p.capPercent) || p.capPercent < 1 || p.capPercent > 100)) {
    throw new ConfigError(`CPU cap must be 1-100 %, got ${p.capPercent}`);
  }
  if (p.cards !== undefined && (!Array.isArray(p.cards) || p.cards.some((x) => typeof x !== "string"))) throw new ConfigError("cards must be a list of card ids");
}

/** Which of the patch's fields differ from `current` and need a restart to take effect. */
export function restartNeededFor(current: VmConfig, patch: VmConfigPatch): string[] {
  const out: string[] = [];
  if (patch.memoryMiB !== undefined && patch.memoryMiB !== current.memoryMiB) out.push("memoryMiB");
  if (patch.cards !== undefined && [...patch.cards].sort().join() !== [...current.cards].sort().join()) out.push("cards");
  return out;
}

export interface BootInputs {
  bios?: Uint8Array;
  vgaBios?: Uint8Array;
  /** Resolved catalog guest and its files, or null for an upload. */
  catalogGuest: CatalogGuest | null;
  files: Map<string, Uint8Array>;
}

function mediaCard(media: MediaKind, image: Uint8Array): CardConfig {
  const type = mediaCardType(media);
  if (!type) throw new ConfigError(`no card boots from "${String(media)}"`);
  return type.boot.media.card(image);
}

/** Builds the emulator's MachineConfig from a VM's configuration, its cards and the fetched files. */
export function buildMachineConfig(config: VmConfig, cards: readonly HostCard[], inputs: BootInputs): MachineConfig {
  const machineCards: CardConfig[] = cards.map((card) => hostMachineCard(card.kind));
  const file = (path: string): Uint8Array => {
    const f = inputs.files.get(path);
    if (!f) throw new ConfigError(`guest file "${path}" was not loaded`);
    return f;
  };
  let boot: MachineConfig["boot"];
  if (config.guest.kind === "snapshot") {
    throw new ConfigError(`"${config.name}" was imported from a snapshot of ${config.guest.label}, which is not in the guest catalog: it can only resume from its snapshots`);
  } else if (config.guest.kind === "upload") {
    machineCards.push(mediaCard(config.guest.media, config.guest.bytes));
    boot = { kind: "firmware", order: [config.guest.media] };
  } else {
    const g = inputs.catalogGuest;
    if (!g) throw new ConfigError(`catalog guest "${config.guest.guestId}" is not in the manifest`);
    if (g.boot.kind === "linux") {
      boot = { kind: "linux", kernel: file(g.boot.kernel), initrd: g.boot.initrd ? file(g.boot.initrd) : undefined, cmdline: g.boot.cmdline };
    } else if (g.boot.kind === "multiboot") {
      boot = { kind: "multiboot", kernel: file(g.boot.kernel), cmdline: g.boot.cmdline };
    } else {
      machineCards.push(mediaCard(g.boot.media, file(g.boot.image)));
      boot = { kind: "firmware", order: [g.boot.media] };
    }
  }
  if (config.dataDiskMiB) machineCards.push(blankIdeDisk(config.dataDiskMiB, machineCards));
  if (boot.kind === "firmware" && !inputs.bios) throw new ConfigError("booting from a floppy, CD or disk needs the SeaBIOS firmware (public/bios/bios.bin)");
  return { memoryMiB: config.memoryMiB, bios: inputs.bios, vgaBios: inputs.vgaBios, boot, cards: machineCards, sharedMemory: true };
}

/** A blank IDE hard disk in the first IDE place the other cards leave free. */
function blankIdeDisk(mib: number, cards: readonly CardConfig[]): CardConfig {
  const taken = new Set(cards.map((c) => ("channel" in c && "slave" in c ? `${c.channel}/${c.slave}` : "")));
  for (const [channel, slave] of [[0, false], [0, true], [1, true], [1, false]] as const) {
    if (!taken.has(`${channel}/${slave}`)) return { type: "ide-disk", channel, slave, image: new Uint8Array(mib * 1048576) };
  }
  throw new ConfigError("no IDE place is free for the data disk");
}

/** Files a catalog guest needs fetched. */
export function guestFiles(g: CatalogGuest): string[] {
  if (g.boot.kind === "linux") return g.boot.initrd ? [g.boot.kernel, g.boot.initrd] : [g.boot.kernel];
  if (g.boot.kind === "multiboot") return [g.boot.kernel];
  return [g.boot.image];
}
