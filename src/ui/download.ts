// Hands bytes from the hypervisor to the browser's download as a file: one Blob, one object URL
// (the page never reads or copies the bytes itself).

/** What a file's name may hold: no path separators or characters file systems refuse. */
export function safeFileName(name: string): string {
  return name.replace(/[\\/:*?"<>|\x00-\x1f]+/g, "_").replace(/\s+/g, " ").trim().slice(0, 120) || "vm";
}

export function downloadBytes(bytes: Uint8Array, fileName: string): void {
  // Bytes that came from the worker by message are backed by a plain ArrayBuffer.
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
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
