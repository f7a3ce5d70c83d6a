// The error every MachineConfig check throws: its message names the field that is wrong and what
// was expected, so an administrator (or the dashboard) can show it as is. Its own module so that the
// card descriptions (src/emulator/cards/) can throw it without importing the whole validator.

export class MachineConfigError extends Error {
  override name = "MachineConfigError";
}

export function configFail(message: string): never {
  throw new MachineConfigError(message);
}

export function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}
