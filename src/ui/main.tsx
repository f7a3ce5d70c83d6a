import { createRoot } from "react-dom/client";

function App() {
  return (
    <main>
      <h1>Hypertab</h1>
      <p data-testid="isolation">crossOriginIsolated: {String(globalThis.crossOriginIsolated)}</p>
    </main>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
