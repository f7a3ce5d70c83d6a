// window.__hypertab: a small debug/test surface (used by the e2e tests): the hypervisor API, each
// VM's serial transcript, text screen and live instruction counter, long tasks seen so far, and
// the simulated-failure hooks.

import type { Hv } from "./hypervisor-client.ts";
import type { VmIo } from "./vm-io.ts";

export interface HypertabDebug {
  hv: Hv;
  vmIds(): string[];
  serialText(id: string): string;
  screenText(id: string): string;
  instructions(id: string): number;
  typeSerial(id: string, text: string): void;
  typeKeys(id: string, text: string): void;
  killGuestWorker(id: string): Promise<void>;
  injectGuestCrash(id: string): Promise<void>;
  longTasks: { start: number; duration: number }[];
  refresh(): Promise<void>;
}

declare global {
  interface Window {
    __hypertab?: HypertabDebug;
  }
}

export function installDebugHooks(hv: Hv, ios: Map<string, { io: VmIo | null }>, refresh: () => Promise<void>): void {
  if (window.__hypertab) return;
  const io = (id: string): VmIo => {
    const x = ios.get(id)?.io;
    if (!x) throw new Error(`VM ${id} has no console channels`);
    return x;
  };
  const longTasks: { start: number; duration: number }[] = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // longtask is not supported everywhere; the list stays empty
  }
  window.__hypertab = {
    hv,
    vmIds: () => [...ios.keys()],
    serialText: (id) => ios.get(id)?.io?.transcript ?? "",
    screenText: (id) => ios.get(id)?.io?.screenText().join("\n") ?? "",
    instructions: (id) => ios.get(id)?.io?.instructions() ?? 0,
    typeSerial: (id, text) => io(id).sendSerialText(text),
    typeKeys: (id, text) => void io(id).typeAsKeys(text),
    killGuestWorker: async (id) => {
      await hv.killGuestWorker(id);
      await refresh();
    },
    injectGuestCrash: (id) => hv.injectGuestCrash(id),
    longTasks,
    refresh,
  };
}
