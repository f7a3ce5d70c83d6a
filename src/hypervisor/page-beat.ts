// The page's heartbeat, shared with every guest worker: the page's main thread stamps the time
// every few milliseconds; a late stamp means the main thread is inside a long task or is waiting
// for a core. On a host with no core to spare for the page (2 cores, two CPU-bound guests), the
// guests then step aside until the next stamp, so the page's tasks get a core and stay short
// (the dashboard must never stall for more than 50 ms). The hypervisor says whether guests yield
// at all (only when running guests could occupy every core); a hidden page stops watching, so a
// background tab's throttled timers do not slow its guests.

/** Int32 words, then the stamp as a Float64 at byte 16. Writers: the page (SEQ, WATCHING, TIME),
 *  the hypervisor (YIELD). */
const SEQ = 0;
const WATCHING = 1;
const YIELD = 2;
const TIME_INDEX = 2; // Float64 index (byte 16)
const BYTES = 24;

/** The page stamps this often. */
export const BEAT_INTERVAL_MS = 8;
/** A stamp older than this means the main thread is busy or starved: guests step aside. */
const LATE_MS = 14;
/** A stamp this old means the page is not beating at all (debugger, frozen tab): guests run on. */
const GIVE_UP_MS = 1000;

/** Wall time comparable between the page and workers (each context has its own time origin). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function createPageBeat(): SharedArrayBuffer {
  return new SharedArrayBuffer(BYTES);
}

function checked(buffer: SharedArrayBuffer): SharedArrayBuffer {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== BYTES) throw new TypeError(`page beat: expected a ${BYTES}-byte SharedArrayBuffer`);
  return buffer;
}

/** The hypervisor's switch: guests yield to a late page only while this is on. */
export function setPageYield(buffer: SharedArrayBuffer, on: boolean): void {
  const words = new Int32Array(checked(buffer), 0, 4);
  if (Atomics.load(words, YIELD) !== (on ? 1 : 0)) Atomics.store(words, YIELD, on ? 1 : 0);
}

/** What startPageBeat needs of the page's document (the hypervisor layer has no DOM types). */
export interface PageVisibility {
  readonly visibilityState: string;
  addEventListener(type: "visibilitychange", listener: () => void): void;
  removeEventListener(type: "visibilitychange", listener: () => void): void;
}

/** The page's side: stamps the time on a timer while the page is visible. Returns a stop function. */
export function startPageBeat(buffer: SharedArrayBuffer, doc: PageVisibility): () => void {
  const words = new Int32Array(checked(buffer), 0, 4);
  const time = new Float64Array(buffer, 0, 3);
  const beat = () => {
    time[TIME_INDEX] = epochMs();
    Atomics.add(words, SEQ, 1);
    Atomics.notify(words, SEQ);
  };
  const visibility = () => {
    const visible = doc.visibilityState !== "hidden";
    if (visible) beat();
    Atomics.store(words, WATCHING, visible ? 1 : 0);
  };
  visibility();
  const timer = setInterval(beat, BEAT_INTERVAL_MS);
  doc.addEventListener("visibilitychange", visibility);
  return () => {
    clearInterval(timer);
    doc.removeEventListener("visibilitychange", visibility);
    Atomics.store(words, WATCHING, 0);
  };
}

/** A guest worker's side. */
export class PageBeatReader {
  private readonly words: Int32Array;
  private readonly time: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(checked(buffer), 0, 4);
    this.time = new Float64Array(buffer, 0, 3);
  }

  /** Guests yield to this page at all (the hypervisor's switch is on and the page watches). */
  active(): boolean {
    return Atomics.load(this.words, YIELD) !== 0 && Atomics.load(this.words, WATCHING) !== 0;
  }

  /** True when the guest should step aside now: yielding is on, the page watches, and its last
   *  stamp is late (but not so late that the page has evidently stopped beating). */
  late(now: number): boolean {
    if (Atomics.load(this.words, YIELD) === 0 || Atomics.load(this.words, WATCHING) === 0) return false;
    const lag = now - this.time[TIME_INDEX];
    return lag > LATE_MS && lag < GIVE_UP_MS;
  }

  /** Sleeps until the page's next stamp, at most `ms`. */
  waitForBeat(ms: number): void {
    Atomics.wait(this.words, SEQ, Atomics.load(this.words, SEQ), ms);
  }

  /** Blocks until the page has been on time for CALM_MS (at most CALM_MAX_WAIT_MS; at once when
   *  guests do not yield to the page). For guest threads, before they build their machine. */
  waitUntilCalm(now: () => number): void {
    if (!this.active()) return;
    const start = now();
    let calmSince = start;
    while (now() - start < CALM_MAX_WAIT_MS && now() - calmSince < CALM_MS) {
      if (this.late(epochMs())) calmSince = now();
      this.waitForBeat(4);
    }
  }
}

/** A VM starts while the page builds its panel, in a few long-ish tasks in a row: a new guest
 *  worker is launched, and builds its machine, once the page has been on time this long... */
const CALM_MS = 300;
/** ...but waits no longer than this. */
const CALM_MAX_WAIT_MS = 1500;

/** waitUntilCalm for threads with an event loop (the hypervisor). */
export async function waitForCalmPage(beat: PageBeatReader): Promise<void> {
  if (!beat.active()) return;
  const start = performance.now();
  let calmSince = start;
  while (performance.now() - start < CALM_MAX_WAIT_MS && performance.now() - calmSince < CALM_MS) {
    if (beat.late(epochMs())) calmSince = performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}
