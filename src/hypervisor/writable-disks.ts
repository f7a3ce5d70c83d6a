// The writable disks of a machine, by a stable name, for persisting their copy-on-write overlays:
// the guest worker reports what the guest wrote, and hands stored overlays back at the next boot.

import { DiskImageStore } from "../emulator/devices/ide/ata-disk.ts";
import type { Machine } from "../emulator/machine-api.ts";

export interface WritableDisk {
  /** "ide0-master", "ide1-slave"...: the IDE place, stable for a VM's configuration. */
  name: string;
  store: DiskImageStore;
}

interface IdeLike {
  channels: { drives: ({ handler: unknown } | null)[] }[];
}

/** The copy-on-write IDE hard disks of a machine built by createMachine (none for other machines). */
export function writableDisks(machine: Machine): WritableDisk[] {
  const ide = (machine as Machine & { ide?: IdeLike }).ide;
  const out: WritableDisk[] = [];
  if (!ide || !Array.isArray(ide.channels)) return out;
  ide.channels.forEach((channel, c) =>
    channel.drives.forEach((drive, s) => {
      const store = (drive?.handler as { store?: unknown } | undefined)?.store;
      if (store instanceof DiskImageStore && store.writeMode === "copy-on-write") out.push({ name: `ide${c}-${s ? "slave" : "master"}`, store });
    }),
  );
  return out;
}
