// Display worker: draws every VM's VGA framebuffer (shared memory, written by the guest workers)
// onto the page's canvases, which the page hands over with transferControlToOffscreen. Copying
// rows and putImageData happen here, off the page's main thread, about 30 times a second and only
// for rows whose generation stamp is newer than the last frame drawn (missed frames coalesce).

import { Fb, framebufferViews, type FramebufferViews } from "../src/hypervisor/shared-layout.ts";
import { pageToDisplay } from "../src/hypervisor/wire/display-messages.ts";

interface Screen {
  canvas: OffscreenCanvas;
  ctx: OffscreenCanvasRenderingContext2D;
  fb: FramebufferViews;
  image: ImageData | null;
  lastGen: number;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
const screens = new Map<number, Screen>();
let scheduled = false;

function drawScreen(s: Screen): void {
  const { fb, ctx, canvas } = s;
  const gen = Atomics.load(fb.header, Fb.GEN);
  if (gen === s.lastGen) return;
  const width = Atomics.load(fb.header, Fb.WIDTH);
  const height = Atomics.load(fb.header, Fb.HEIGHT);
  if (width <= 0 || height <= 0 || width > Fb.MAX_WIDTH || height > Fb.MAX_HEIGHT) return;
  let full = false;
  if (!s.image || s.image.width !== width || s.image.height !== height) {
    s.image = new ImageData(width, height);
    canvas.width = width;
    canvas.height = height;
    full = true;
  }
  const dst = s.image.data;
  let y = 0;
  while (y < height) {
    if (!full && Atomics.load(fb.rowGen, y) <= s.lastGen) {
      y++;
      continue;
    }
    const y0 = y;
    while (y < height && (full || Atomics.load(fb.rowGen, y) > s.lastGen)) y++;
    dst.set(fb.pixels.subarray(y0 * width * 4, y * width * 4), y0 * width * 4);
    ctx.putImageData(s.image, 0, 0, 0, y0, width, y - y0);
  }
  s.lastGen = gen;
}

function frame(): void {
  scheduled = false;
  for (const s of screens.values()) drawScreen(s);
  schedule();
}

/** The guest workers publish at most ~30 frames a second (guest-runner.ts). A timer, not
 *  requestAnimationFrame: a worker's animation-frame loop keeps the compositor producing frames
 *  at the display rate even when nothing changed, which (software compositing, 2 cores) a trace
 *  showed taking CPU from the page's main thread. */
const FRAME_MS = 33;

function schedule(): void {
  if (scheduled || screens.size === 0) return;
  scheduled = true;
  setTimeout(frame, FRAME_MS);
}

function attach(id: number, canvas: OffscreenCanvas, framebuffer: SharedArrayBuffer): void {
  const ctx = canvas.getContext("2d", { alpha: false });
  if (!ctx) return;
  // Until the guest's VGA produces a frame, say so instead of showing a black box.
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#556";
  ctx.font = "16px monospace";
  ctx.textAlign = "center";
  ctx.fillText("no signal", canvas.width / 2, canvas.height / 2);
  screens.set(id, { canvas, ctx, fb: framebufferViews(framebuffer), image: null, lastGen: 0 });
  schedule();
}

scope.onmessage = (e: MessageEvent<unknown>) =>
  pageToDisplay.dispatch(
    e.data,
    {
      attach: (m) => attach(m.id, m.canvas, m.framebuffer),
      detach: (m) => void screens.delete(m.id),
    },
    (problem) => console.error(problem),
  );
