// The page's side of the display worker: hands each VGA canvas over (transferControlToOffscreen,
// once per canvas element) together with the VM's shared framebuffer.

import type { DisplayMessage } from "../hypervisor/wire/display-messages.ts";

let worker: Worker | null = null;
let nextId = 1;

export function attachCanvas(canvas: HTMLCanvasElement, framebuffer: SharedArrayBuffer): () => void {
  worker ??= new Worker(new URL("../../workers/display-worker.ts", import.meta.url), { type: "module", name: "display" });
  const id = nextId++;
  const offscreen = canvas.transferControlToOffscreen();
  const post = (m: DisplayMessage, transfer: Transferable[] = []) => worker?.postMessage(m, transfer);
  post({ type: "attach", id, canvas: offscreen, framebuffer }, [offscreen]);
  return () => post({ type: "detach", id });
}
