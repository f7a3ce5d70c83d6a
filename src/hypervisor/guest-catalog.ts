// The guest catalog: what `public/guests/manifest.json` offers (written by `npm run guests`), read
// defensively: every entry is validated and an entry that cannot be understood is reported, not
// guessed at. A catalog guest boots either directly (Linux kernel + initrd + cmdline, or Multiboot)
// or through SeaBIOS from a floppy, CD or disk image.

import { MEDIA_CARD_TYPES, type MediaKind } from "../emulator/cards/registry.ts";

export type { MediaKind };

export type CatalogBoot =
  | { kind: "linux"; kernel: string; initrd?: string; cmdline: string }
  | { kind: "multiboot"; kernel: string; cmdline: string }
  | { kind: "media"; media: MediaKind; image: string };

export interface CatalogGuest {
  id: string;
  name: string;
  os: string;
  boot: CatalogBoot;
  /** Suggested RAM; the user may change it. */
  memoryMiB: number;
  description: string;
  /** What the guest prints when it is ready, and its shell prompt, when the manifest says. */
  banner?: string;
  prompt?: string;
}

export interface GuestCatalog {
  guests: CatalogGuest[];
  /** Entries that were skipped, with why. */
  problems: string[];
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A file reference: "linux/vmlinuz", or {path|file|name|url: ...}. Returned relative to the guests
 *  folder; absolute URLs and paths escaping the folder are refused. */
function fileRef(v: Json, files: Record<string, Json> | null): string | null {
  let path: Json = v;
  if (isObject(v)) path = v.path ?? v.file ?? v.url ?? v.name;
  if (typeof path !== "string" || path.length === 0) return null;
  if (files && !path.includes("/") && isObject(files[path])) {
    const f = files[path] as Record<string, Json>;
    const inner = f.path ?? f.file ?? f.url;
    if (typeof inner === "string") path = inner;
  }
  const p = (path as string).replace(/^\.?\//, "").replace(/^guests\//, "");
  if (/^[a-z]+:/i.test(p) || p.split("/").includes("..")) return null;
  return p;
}

function parseBoot(raw: Json, files: Record<string, Json> | null): CatalogBoot | string {
  if (!isObject(raw)) return "has no boot recipe";
  const kind = typeof raw.kind === "string" ? raw.kind : typeof raw.type === "string" ? raw.type : "";
  const kernel = fileRef(raw.kernel ?? raw.bzImage ?? raw.bzimage, files);
  const cmdline = typeof raw.cmdline === "string" ? raw.cmdline : typeof raw.append === "string" ? raw.append : "";
  if (kind === "multiboot") {
    if (!kernel) return "multiboot recipe has no kernel";
    return { kind: "multiboot", kernel, cmdline };
  }
  if (kernel && (kind === "" || kind === "linux" || kind === "direct" || kind === "kernel" || kind === "direct-linux")) {
    const initrd = fileRef(raw.initrd ?? raw.initramfs, files) ?? undefined;
    return { kind: "linux", kernel, initrd, cmdline };
  }
  // An image under one of the media's names ("cdrom": "x.iso"), or a recipe of that kind with "image".
  for (const t of MEDIA_CARD_TYPES) {
    const names = t.boot.media.manifestNames;
    const named = names.map((n) => raw[n]).find((v) => v != null);
    const image = fileRef(named, files) ?? (names.includes(kind) ? fileRef(raw.image ?? raw.file, files) : null);
    if (image) return { kind: "media", media: t.boot.device, image };
  }
  return `boot recipe of kind "${kind || "?"}" is not understood`;
}

function parseGuest(id: string, raw: Json, problems: string[]): CatalogGuest | null {
  if (!isObject(raw)) {
    problems.push(`guest "${id}": entry is not an object`);
    return null;
  }
  const files = isObject(raw.files) ? raw.files : null;
  const recipes: Json[] = Array.isArray(raw.boot) ? raw.boot : [raw.boot ?? raw.recipe ?? raw];
  let boot: CatalogBoot | string = "has no boot recipe";
  for (const r of recipes) {
    boot = parseBoot(r, files);
    if (typeof boot !== "string") break;
  }
  if (typeof boot === "string") {
    problems.push(`guest "${id}": ${boot}`);
    return null;
  }
  const mem = raw.memoryMiB ?? raw.memory ?? raw.ramMiB;
  const os = typeof raw.os === "string" ? raw.os : "";
  // A readable name: the title, else a name that says more than the id, else the OS without its details.
  let name = typeof raw.title === "string" ? raw.title : typeof raw.name === "string" && raw.name !== id ? raw.name : "";
  if (!name) name = os ? os.split(" (")[0] : id;
  return {
    id,
    name,
    os,
    description: typeof raw.description === "string" ? raw.description : "",
    banner: typeof raw.banner === "string" ? raw.banner : undefined,
    prompt: typeof raw.prompt === "string" ? raw.prompt : undefined,
    boot,
    memoryMiB: typeof mem === "number" && Number.isInteger(mem) && mem >= 1 && mem <= 3072 ? mem : boot.kind === "linux" ? 128 : 32,
  };
}

/** Parses the manifest JSON; throws only when it is not a manifest at all. */
export function parseGuestManifest(json: Json): GuestCatalog {
  if (!isObject(json)) throw new TypeError("guest manifest is not a JSON object");
  const problems: string[] = [];
  const guests: CatalogGuest[] = [];
  const list = json.guests ?? json;
  if (Array.isArray(list)) {
    list.forEach((g, i) => {
      const id = isObject(g) && typeof (g.id ?? g.name) === "string" ? String(g.id ?? g.name) : `guest-${i}`;
      const parsed = parseGuest(id, g, problems);
      if (parsed) guests.push(parsed);
    });
  } else if (isObject(list)) {
    for (const [id, g] of Object.entries(list)) {
      if (!isObject(g)) continue;
      const parsed = parseGuest(id, g, problems);
      if (parsed) guests.push(parsed);
    }
  } else throw new TypeError("guest manifest has no guests");
  return { guests, problems };
}

/** The two guests the workstation boots by default: the Linux guest (direct kernel boot) and
 *  memtest86+ (through SeaBIOS). */
export function pickDefaultGuests(catalog: GuestCatalog): { linux: CatalogGuest | null; memtest: CatalogGuest | null } {
  const linux =
    catalog.guests.find((g) => g.boot.kind === "linux" && /linux/i.test(g.id + g.name + g.os)) ??
    catalog.guests.find((g) => g.boot.kind === "linux") ??
    null;
  const memtest =
    catalog.guests.find((g) => /memtest/i.test(g.id + g.name) && g.boot.kind === "media") ??
    catalog.guests.find((g) => /memtest/i.test(g.id + g.name)) ??
    null;
  return { linux, memtest };
}
