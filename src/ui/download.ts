// Hands bytes from the hypervisor to the browser's download as a file: a Blob and an object URL.
// The page never reads the bytes; it only copies them into the Blob, a slice per task: one Blob of a
// whole VM (tens of MiB) is a copy of hundreds of milliseconds on the main thread, a Blob of Blobs
// copies nothing.

/** Bytes copied into a Blob per main-thread task. */
const SLICE_BYTES = 1 << 20;

/** What a file's name may hold: no path separators or characters file systems refuse. */
export function safeFileName(name: string): string {
  return name.replace(/[\\/:*?"<>|\x00-\x1f]+/g, "_").replace(/\s+/g, " ").trim().slice(0, 120) || "vm";
}

/** Lets other tasks (input, rendering) run before the next slice. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A Blob of `bytes`, built a slice per task. */
export async function blobInSlices(bytes: Uint8Array, type: string): Promise<Blob> {
  const parts: Blob[] = [];
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    // Bytes that came from the worker by message are backed by a plain ArrayBuffer.
    parts.push(new Blob([bytes.subarray(at, at + SLICE_BYTES) as Uint8Array<ArrayBuffer>]));
    await nextTask();
  }
  return new Blob(parts, { type });
}

export async function downloadBytes(bytes: Uint8Array, fileName: string): Promise<void> {
  const url = URL.createObjectURL(await blobInSlices(bytes, "application/octet-stream"));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy long before this.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
