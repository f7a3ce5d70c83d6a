// The messages from the page to the display worker (workers/display-worker.ts), which draws each
// VM's shared framebuffer onto a canvas the page hands over with transferControlToOffscreen.

import { defineMessages, instanceOf, positiveInteger, sharedBuffer, type MessageOf } from "./decode.ts";

export const pageToDisplay = defineMessages("display worker message", {
  /** Draw this framebuffer (shared-layout.ts) on this canvas from now on, under the id `id`. */
  attach: {
    id: positiveInteger,
    canvas: instanceOf("OffscreenCanvas", () => (typeof OffscreenCanvas === "undefined" ? undefined : OffscreenCanvas)),
    framebuffer: sharedBuffer,
  },
  /** Stop drawing screen `id` (its VM's panel went away or got new channels). */
  detach: { id: positiveInteger },
});
export type DisplayMessage = MessageOf<typeof pageToDisplay.schema>;
