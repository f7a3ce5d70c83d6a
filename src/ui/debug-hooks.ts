// window.__hypertab: a small debug/test surface (used by the e2e tests): the hypervisor API, each
// VM's serial transcript, text screen, live instruction counter and console generation, long tasks
// seen so far, and the simulated-failure hooks.

import type { Hv } from "./hypervisor-client.ts";
import type { VmIo } from "./vm-io.ts";

export interface HypertabDebug {
  hv: Hv;
  vmIds(): string[];
  serialText(id: string): string;
  screenText(id: string): string;
  instructions(id: string): number;
  /** The guest generation whose console channels the page holds (null: none yet): typing is safe
   *  once it equals the VM's listed generation (a revert or resume may start a new guest worker). */
  consoleGeneration(id: string): number | null;
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

export function installDebugHooks(hv: Hv, ios: Map<string, { generation: number; io: VmIo | null }>, refresh: () => Promise<void>): void {
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
    consoleGeneration: (id) => {
      const known = ios.get(id);
      return known?.io ? known.generation : null;
    },
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
