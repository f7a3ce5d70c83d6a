// The x87 unit's entry point for the integer core (see ../coprocessor.ts).

import type { CoprocessorHost } from "../coprocessor.ts";
import { X87 } from "./x87.ts";

export { X87 } from "./x87.ts";

export function createX87(host: CoprocessorHost): X87 {
  return new X87(host);
}
