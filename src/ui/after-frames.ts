// Defers part of a component's first render by a couple of frames, so that mounting a new VM panel
// is split into small main-thread tasks (panel first, consoles after) instead of one long one.

import { useEffect, useState } from "react";

/** False on the first render; true once `frames` animation frames (and a task) have passed. */
export function useAfterFrames(frames = 2): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let cancelled = false;
    let handle = 0;
    let left = frames;
    const step = () => {
      if (cancelled) return;
      if (--left > 0) handle = requestAnimationFrame(step);
      // After the last frame, a task: the frame's own rendering work ends before ours starts.
      else setTimeout(() => !cancelled && setReady(true), 0);
    };
    handle = requestAnimationFrame(step);
    return () => {
      cancelled = true;
      cancelAnimationFrame(handle);
    };
  }, [frames]);
  return ready;
}
