// `npm run vm -- --gdb PORT`: a TCP server on 127.0.0.1:PORT for desktop gdb (`target remote
// :PORT`), one client at a time, in front of the GDB stub (src/emulator/debug/gdb-stub.ts). As with
// QEMU's `-s -S`, the machine does not run until a client connects and continues it; a client that
// connects later stops it. After a detach or a dropped connection the machine runs on.

import { createServer, type Server, type Socket } from "node:net";
import type { Machine, SliceResult } from "../../src/emulator/machine-api.ts";
import { GdbStub } from "../../src/emulator/debug/gdb-stub.ts";
import type { RunControl, RunHold } from "./run-machine.ts";

export class GdbServer implements RunHold {
  private machine: Machine | null = null;
  private control: RunControl | null = null;
  private stub: GdbStub | null = null;
  private client: Socket | null = null;
  /** A client that connected before the machine existed: served once it does. */
  private early: Socket | null = null;
  /** Until the first client continues the machine, it waits (QEMU's -S). */
  private waitingForFirst = true;
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server, readonly port: number) {
    server.on("connection", (socket) => this.connect(socket));
  }

  /** Listens on 127.0.0.1:`port` (0 picks a free port: see `.port`). */
  static listen(port: number): Promise<GdbServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", (e) => reject(new Error(`--gdb: cannot listen on 127.0.0.1:${port}: ${e.message}`)));
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        resolve(new GdbServer(server, typeof address === "object" && address !== null ? address.port : port));
      });
    });
  }

  /** The machine exists (runMachine's onStart): clients may attach to it. */
  attach(machine: Machine, control: RunControl): void {
    this.machine = machine;
    this.control = control;
    if (this.early !== null) {
      const socket = this.early;
      this.early = null;
      this.connect(socket);
      socket.resume();
    }
  }

  get holding(): boolean {
    if (this.stub !== null && !this.stub.ended) return !this.stub.running;
    return this.waitingForFirst;
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  sliceDone(result: SliceResult): void {
    this.stub?.sliceDone(result);
  }

  close(): void {
    this.client?.destroy();
    this.early?.destroy();
    this.server.close();
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private connect(socket: Socket): void {
    if (this.machine === null && this.early === null) {
      this.early = socket;
      socket.pause(); // its packets wait in the socket until the machine is built
      return;
    }
    if (this.machine === null || (this.stub !== null && !this.stub.ended)) {
      socket.end(); // one debugger at a time
      return;
    }
    socket.setNoDelay(true);
    this.client = socket;
    const stub = new GdbStub(this.machine, {
      send: (bytes) => socket.write(bytes),
      onEnd: (end) => {
        if (end === "kill") this.control?.stop("killed by gdb");
        socket.end();
      },
    });
    this.stub = stub;
    this.waitingForFirst = false;
    socket.on("data", (chunk: Buffer) => {
      stub.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.wake();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      stub.disconnected();
      if (this.client === socket) this.client = null;
      this.wake();
    });
    this.wake();
  }
}
