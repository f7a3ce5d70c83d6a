// The runner's console escape on a terminal, as in QEMU: Ctrl-A x quits, Ctrl-A s saves the state
// (--save-state), Ctrl-A Ctrl-A sends one Ctrl-A; every other byte goes to the guest's COM1.

export interface ConsoleActions {
  input(bytes: Uint8Array): void;
  quit(): void;
  saveState(): void;
}

const CTRL_A = 0x01;

/** A handler for raw terminal bytes. */
export function consoleKeys(actions: ConsoleActions): (chunk: Uint8Array) => void {
  let escape = false;
  return (chunk) => {
    for (const byte of chunk) {
      if (escape) {
        escape = false;
        if (byte === 0x78 /* x */) actions.quit();
        else if (byte === 0x73 /* s */) actions.saveState();
        else actions.input(Uint8Array.of(byte));
      } else if (byte === CTRL_A) escape = true;
      else actions.input(Uint8Array.of(byte));
    }
  };
}
