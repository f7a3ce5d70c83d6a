// One polling loop for every console on the page: a timer, not requestAnimationFrame. A rAF loop
// makes the renderer produce (and the main thread wait on the compositor to commit) a frame every
// vsync even when nothing changed; with a timer, a frame happens only when a callback actually
// changed the DOM (new serial output), and each poll is a few microseconds of work.

type FrameCallback = () => void;

/** Poll period: 40 Hz is plenty for a console and keeps the page's wake-ups low. */
export const POLL_MS = 25;

const callbacks = new Set<FrameCallback>();
let timer: ReturnType<typeof setTimeout> | null = null;

function tick(): void {
  timer = null;
  for (const cb of callbacks) {
    try {
      cb();
    } catch (e) {
      console.error("console poll callback failed:", e);
    }
  }
  if (callbacks.size > 0) timer = setTimeout(tick, POLL_MS);
}

/** Calls `cb` about every 25 ms until the returned function is called. */
export function onFrame(cb: FrameCallback): () => void {
  callbacks.add(cb);
  timer ??= setTimeout(tick, POLL_MS);
  return () => {
    callbacks.delete(cb);
    if (callbacks.size === 0 && timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  };
}
