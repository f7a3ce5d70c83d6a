// Runs an async job one call at a time. A call made while a run is in progress waits for it and
// then starts one more run, shared by every caller that came meanwhile, so the latest state is
// always fetched after the latest call. The dashboard's refresh is called by its poll loop, after
// each action and by the test hooks: two overlapping refreshes asked for the events after the same
// sequence number and appended them twice (two log entries under one React key).

export function oneRunAtATime(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const run = (): Promise<void> => {
    if (!running) {
      running = job().finally(() => {
        running = null;
      });
      return running;
    }
    const settled = () => {
      next = null;
      return run();
    };
    next ??= running.then(settled, settled);
    return next;
  };
  return run;
}
