// The one error every snapshot check throws: its message names what is wrong (which chunk, which
// field, which byte offset), so the dashboard and the Node runner can show it as is.

export class SnapshotFormatError extends Error {
  override name = "SnapshotFormatError";
}

export function formatFail(message: string): never {
  throw new SnapshotFormatError(message);
}
