// Lazy-flag records and condition codes in generated code. Compiled arithmetic writes the same
// lfKind/lfShift/lfOp1/lfOp2/lfRes/lazy record as flags.ts (so everything else reads flags
// unchanged) and also keeps the operands in the block locals fa/fb/fr; while the compiler knows
// which inlined instruction last wrote the flags, a following Jcc/SETcc/CMOVcc/ADC/INC tests those
// locals directly instead of calling testCondition.

/** What the last flag-writing instruction of the block was, when the compiler inlined it. */
export interface FlagState {
  /** "add"/"sub": all six flags lazy; "logic": CF=OF=0; "incdec": CF eager (unknown here). */
  kind: "add" | "sub" | "logic" | "inc" | "dec";
  shift: number;
}

const ARITH = 0x8d5;

export function setAdd(a: string, b: string, r: string, shift: number): string {
  return `c.lfKind = 0; c.lfShift = ${shift}; c.lfOp1 = fa = ${a}; c.lfOp2 = fb = ${b}; c.lfRes = fr = ${r}; c.lazy = ${ARITH};`;
}

export function setSub(a: string, b: string, r: string, shift: number): string {
  return `c.lfKind = 1; c.lfShift = ${shift}; c.lfOp1 = fa = ${a}; c.lfOp2 = fb = ${b}; c.lfRes = fr = ${r}; c.lazy = ${ARITH};`;
}

/** AND/OR/XOR/TEST (flags.ts setLogicFlags). */
export function setLogic(r: string, shift: number): string {
  return `c.flags &= ${~ARITH}; c.lfKind = 2; c.lfShift = ${shift}; c.lfRes = fr = ${r}; c.lazy = 196;`;
}

/** flags.ts setResultFlags with eager CF/OF/AF bits given by `eager` (an expression). */
export function setResult(r: string, shift: number, eager: string): string {
  return `c.flags = (c.flags & ${~ARITH}) | ((${eager}) & 2065); c.lfKind = 2; c.lfShift = ${shift}; c.lfRes = fr = ${r}; c.lazy = 196;`;
}

/** Expression for CF (0/1) as flags.ts getCF would compute it now. */
export function cfExpr(st: FlagState | null): string {
  if (st !== null) {
    if (st.kind === "sub") return `((fa >>> 0) < (fb >>> 0) ? 1 : 0)`;
    if (st.kind === "add") return `((fr >>> 0) < (fa >>> 0) ? 1 : 0)`;
    if (st.kind === "logic") return "0";
  }
  return "G(c)";
}

/** Boolean expression for condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc). */
export function condExpr(cc: number, st: FlagState | null): string {
  const base = baseCond(cc >> 1, st);
  if (base === null) return `T(c, ${cc})`;
  return (cc & 1) !== 0 ? `!(${base})` : `(${base})`;
}

function baseCond(k: number, st: FlagState | null): string | null {
  if (st === null) return null;
  const s = st.shift;
  const zf = "fr === 0";
  const sf = `((fr >>> ${s}) & 1) !== 0`;
  const pf = "PAR[fr & 255] !== 0";
  switch (st.kind) {
    case "sub": {
      const of = `(((fa ^ fb) & (fa ^ fr)) >>> ${s} & 1) !== 0`;
      const sh = 31 - s;
      switch (k) {
        case 0: return of;
        case 1: return `(fa >>> 0) < (fb >>> 0)`;
        case 2: return zf;
        case 3: return `(fa >>> 0) <= (fb >>> 0)`;
        case 4: return sf;
        case 5: return pf;
        case 6: return sh === 0 ? "fa < fb" : `(fa << ${sh}) < (fb << ${sh})`;
        default: return sh === 0 ? "fa <= fb" : `(fa << ${sh}) <= (fb << ${sh})`;
      }
    }
    case "add": {
      const of = `(((fa ^ fr) & (fb ^ fr)) >>> ${s} & 1) !== 0`;
      switch (k) {
        case 0: return of;
        case 1: return `(fr >>> 0) < (fa >>> 0)`;
        case 2: return zf;
        case 3: return `((fr >>> 0) < (fa >>> 0) || ${zf})`;
        case 4: return sf;
        case 5: return pf;
        case 6: return `((${sf}) !== (${of}))`;
        default: return `(${zf} || (${sf}) !== (${of}))`;
      }
    }
    case "inc":
    case "dec": {
      // CF kept from before: only the conditions that do not read it.
      const of = st.kind === "inc"
        ? `(((fa ^ fr) & (1 ^ fr)) >>> ${s} & 1) !== 0`
        : `(((fa ^ 1) & (fa ^ fr)) >>> ${s} & 1) !== 0`;
      switch (k) {
        case 0: return of;
        case 2: return zf;
        case 4: return sf;
        case 5: return pf;
        case 6: return `((${sf}) !== (${of}))`;
        case 7: return `(${zf} || (${sf}) !== (${of}))`;
        default: return null;
      }
    }
    default: // logic: CF = OF = 0
      switch (k) {
        case 0: return "false";
        case 1: return "false";
        case 2: return zf;
        case 3: return zf;
        case 4: return sf;
        case 5: return pf;
        case 6: return sf;
        default: return `(${zf} || ${sf})`;
      }
  }
}

/** Record fields that a run of records in one superblock often stores with the same constant. */
const CONSTANT_FIELDS = /c\.(lfKind|lfShift|lazy) = (-?\d+);\s?/g;

/**
 * Drops stores of c.lfKind / c.lfShift / c.lazy that repeat the constant the same superblock
 * already stored there (consecutive SUBs write kind 1, shift 31, lazy 0x8d5 each time). Only the
 * superblock's own statements run between them; a call (interpreter, helpers, which may rewrite
 * the record) forgets what is known. A store inside a statement with an `if` is conditional: it is
 * still dropped when it repeats the known value (either way the field holds it afterwards), and
 * otherwise leaves the field unknown.
 */
export function elideRepeatedRecordFields(lines: string[]): string[] {
  const known = new Map<string, string>();
  return lines.map((line) => {
    if (/c\.step\(|\bG\(c|\bT\(c|\bSH\(c/.test(line)) known.clear();
    if (!line.includes("c.lfKind") && !line.includes("c.lfShift") && !line.includes("c.lazy")) return line;
    const conditional = line.includes("if (");
    return line.replace(CONSTANT_FIELDS, (store: string, field: string, value: string) => {
      if (known.get(field) === value) return "";
      if (conditional) known.delete(field);
      else known.set(field, value);
      return store;
    });
  });
}
