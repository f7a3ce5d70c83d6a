// Importing a VM file (.hypertab, as Export writes it): the "Import VM" button's file picker, and
// files dropped anywhere on the dashboard (an overlay shows where to drop). The file's bytes go to
// the hypervisor worker as they are, transferred, not copied or read on the page.

import { useCallback, useRef, useState, type DragEvent } from "react";
import { Comlink, type Hv } from "./hypervisor-client.ts";

export const VM_FILE_EXTENSION = ".hypertab";

/** Hands one file to the hypervisor, which validates it and lists it as a new (suspended) VM. */
export async function importVmFile(hv: Hv, file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return hv.importVm(Comlink.transfer(bytes, [bytes.buffer]), file.name);
}

export function ImportVmButton(props: { onFiles(files: File[]): void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button onClick={() => input.current?.click()} data-testid="import-vm" title={`Import a VM exported as a ${VM_FILE_EXTENSION} file (or drop the file on the dashboard)`}>
        Import VM…
      </button>
      <input
        ref={input}
        type="file"
        accept={VM_FILE_EXTENSION}
        hidden
        aria-label="VM file to import"
        data-testid="import-file"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = ""; // the same file can be picked again
          if (files.length) props.onFiles(files);
        }}
      />
    </>
  );
}

const carriesFiles = (e: DragEvent) => e.dataTransfer.types.includes("Files");

/** Drag-and-drop of files onto an element: its handlers, and whether files are over it now. */
export function useFileDrop(onFiles: (files: File[]) => void) {
  const [over, setOver] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them.
  const depth = useRef(0);
  const onDragEnter = useCallback((e: DragEvent) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    if (depth.current++ === 0) setOver(true);
  }, []);
  const onDragOver = useCallback((e: DragEvent) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  }, []);
  const onDragLeave = useCallback((e: DragEvent) => {
    if (!carriesFiles(e)) return;
    if (--depth.current <= 0) {
      depth.current = 0;
      setOver(false);
    }
  }, []);
  const onDrop = useCallback((e: DragEvent) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    const files = [...e.dataTransfer.files];
    if (files.length) onFiles(files);
  }, [onFiles]);
  return { over, handlers: { onDragEnter, onDragOver, onDragLeave, onDrop } };
}

export function DropOverlay() {
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div>Drop a {VM_FILE_EXTENSION} file to import it as a new VM</div>
    </div>
  );
}
