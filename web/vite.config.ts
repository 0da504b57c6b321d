import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The monitor page: Preact, bundled by Vite into web/dist, which the API process serves at /monitor/.
 * `npm run build:web` builds it (npm install runs it); `npx vite web` serves it with hot reload against an
 * API on :4000.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/monitor/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: true,
  },
  server: {
    proxy: { "/graphql": { target: "http://localhost:4000", ws: true } },
  },
});
