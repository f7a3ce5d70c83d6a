// QEMU's isa-debug-exit at port 0xF4: a write powers the machine off with a status (tests, `npm run vm`).

import { DebugExit } from "../devices/debug/debug-exit.ts";
import { type CardBuilder, type PlainCard, plainCardType } from "./card-type.ts";

export type DebugExitCard = PlainCard<"debug-exit">;

export const debugExitCard = plainCardType("debug-exit", "debug exit port");

export const buildDebugExit: CardBuilder<DebugExitCard> = (site) => site.addDevice(new DebugExit(site.ctx));
