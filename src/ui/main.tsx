import { createRoot } from "react-dom/client";
import { startPageBeat } from "../hypervisor/page-beat.ts";
import { App } from "./app.tsx";
import { hypervisor } from "./hypervisor-client.ts";
import "./styles.css";
import { prepareTerminal } from "./terminal-factory.ts";

// The serial console's terminal is built while the hypervisor starts the VMs.
prepareTerminal();
// The page's heartbeat lets guests step aside while the main thread is busy (page-beat.ts).
void hypervisor()
  .pageBeat.then((beat) => startPageBeat(beat, document));

createRoot(document.getElementById("root")!).render(<App />);
