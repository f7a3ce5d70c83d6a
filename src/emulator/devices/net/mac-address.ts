// MAC addresses as cards write them ("52:54:00:12:34:56"): parsing, checking and the default a
// card gets when its config names none.

/** Parses "xx:xx:xx:xx:xx:xx" (or with "-"); null when it is not one. */
export function parseMac(text: string): Uint8Array | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  return m ? Uint8Array.from(m.slice(1), (h) => parseInt(h, 16)) : null;
}

export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Why `text` cannot be a NIC's own address (bad syntax, multicast, all zeros), or null when it can. */
export function macProblem(text: unknown): string | null {
  if (typeof text !== "string") return `must be a string like "52:54:00:12:34:56", got ${String(text)}`;
  const mac = parseMac(text);
  if (!mac) return `must be six hex bytes like "52:54:00:12:34:56", got "${text}"`;
  if (mac[0] & 1) return `"${text}" is a multicast address; a NIC needs a unicast one`;
  if (mac.every((b) => b === 0)) return `"${text}" is all zeros`;
  return null;
}

/** A locally administered address in QEMU's 52:54:00 range, the same for the same seed (FNV-1a). */
export function defaultMac(seed: string): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return Uint8Array.of(0x52, 0x54, 0x00, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff);
}
