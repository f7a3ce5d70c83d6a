import { createRoot } from "react-dom/client";
import { App } from "./app.tsx";
import "./styles.css";
import { prepareTerminal } from "./terminal-factory.ts";

// The serial console's terminal is built while the hypervisor starts the VMs.
prepareTerminal();

createRoot(document.getElementById("root")!).render(<App />);
