import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// SharedArrayBuffer (guest RAM, device rings) needs cross-origin isolation: every page and worker
// script is served with COOP/COEP, in dev and in preview alike.
const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders, port: 5173, strictPort: false },
  preview: { headers: isolationHeaders, port: 4173, strictPort: false },
  worker: { format: "es" },
  build: { target: "es2022" },
});
