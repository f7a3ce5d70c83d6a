// One requestAnimationFrame loop for every console on the page (instead of one per console), so
// a frame costs one callback dispatch however many VMs are shown.

type FrameCallback = () => void;

const callbacks = new Set<FrameCallback>();
let scheduled = 0;

function tick(): void {
  scheduled = 0;
  for (const cb of callbacks) {
    try {
      cb();
    } catch (e) {
      console.error("console frame callback failed:", e);
    }
  }
  if (callbacks.size > 0) scheduled = requestAnimationFrame(tick);
}

/** Calls `cb` once per animation frame until the returned function is called. */
export function onFrame(cb: FrameCallback): () => void {
  callbacks.add(cb);
  if (!scheduled) scheduled = requestAnimationFrame(tick);
  return () => {
    callbacks.delete(cb);
    if (callbacks.size === 0 && scheduled) {
      cancelAnimationFrame(scheduled);
      scheduled = 0;
    }
  };
}
