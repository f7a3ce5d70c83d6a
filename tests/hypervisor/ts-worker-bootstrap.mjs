// Node worker_threads do not load TypeScript by themselves: register tsx in this thread, then run
// the TypeScript module named in workerData.entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
