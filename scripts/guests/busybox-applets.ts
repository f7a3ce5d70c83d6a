// Reads the applet list out of a busybox binary without running it (the host may not execute i386
// binaries). Busybox keeps its applet names as one sorted, NUL-separated string starting "[\0[[\0".

const START = [0, 0x5b, 0, 0x5b, 0x5b, 0]; // "\0[\0[[\0"
const NAME = /^[a-z0-9_.+\-[\]]{1,32}$/;
const REQUIRED = ["sh", "init", "mount", "poweroff"];

function indexOfSequence(haystack: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function busyboxApplets(binary: Uint8Array): string[] {
  const start = indexOfSequence(binary, START);
  if (start < 0) throw new Error("busybox applet table not found in the binary");
  const decoder = new TextDecoder("latin1");
  const names: string[] = [];
  let pos = start + 1;
  while (pos < binary.length && names.length < 2000) {
    const end = binary.indexOf(0, pos);
    if (end < 0) break;
    const name = decoder.decode(binary.subarray(pos, end));
    if (!NAME.test(name) || (names.length > 0 && name <= names[names.length - 1]!)) break;
    names.push(name);
    pos = end + 1;
  }
  const missing = REQUIRED.filter((n) => !names.includes(n));
  if (missing.length > 0) throw new Error(`busybox applet table lacks required applets: ${missing.join(", ")}`);
  return names;
}
