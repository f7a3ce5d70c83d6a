// A small PNG of a VM's screen for its snapshot (issue 10): read from the framebuffer channel the
// guest worker publishes, scaled down by sampling (a thumbnail, not a screenshot).

import { encodePng } from "./png.ts";
import { Fb, framebufferViews } from "./shared-layout.ts";

const THUMBNAIL_WIDTH = 160;

/** The screen in `framebuffer` as a PNG at most THUMBNAIL_WIDTH pixels wide, or null before the
 *  guest drew anything. */
export function screenThumbnail(framebuffer: SharedArrayBuffer): Uint8Array | null {
  const fb = framebufferViews(framebuffer);
  const width = Atomics.load(fb.header, Fb.WIDTH);
  const height = Atomics.load(fb.header, Fb.HEIGHT);
  if (width <= 0 || height <= 0 || width > Fb.MAX_WIDTH || height > Fb.MAX_HEIGHT) return null;
  const scale = Math.max(1, width / THUMBNAIL_WIDTH);
  const w = Math.max(1, Math.round(width / scale));
  const h = Math.max(1, Math.round(height / scale));
  const out = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = Math.min(height - 1, Math.floor(y * scale)) * width;
    for (let x = 0; x < w; x++) out[y * w + x] = fb.pixels32[row + Math.min(width - 1, Math.floor(x * scale))] | 0xff000000;
  }
  return encodePng(w, h, new Uint8Array(out.buffer));
}
