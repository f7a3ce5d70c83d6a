// QEMU's isa-debug-exit at port 0xF4: a write powers the machine off with a status (tests, `npm run vm`).

import { DebugExit } from "../devices/debug/debug-exit.ts";
import type { CardBuilder, CardType } from "./card-type.ts";

export type DebugExitCard = {
  type: "debug-exit";
};

export const debugExitCard: CardType<DebugExitCard> = {
  type: "debug-exit",
  name: "debug exit port",
  validate() {},
  slot: () => "debug-exit",
};

export const buildDebugExit: CardBuilder<DebugExitCard> = (site) => site.addDevice(new DebugExit(site.ctx));
