import { defineConfig } from "vite";

// One ES-module entry with fixed names, so Django templates can reference static/frontend/canvas.js
// and canvas.css without a manifest. The charting library is split into a chunk loaded on first use.
export default defineConfig({
  base: "/static/frontend/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../static/frontend",
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: "src/main.tsx",
      output: {
        entryFileNames: "canvas.js",
        assetFileNames: "canvas[extname]",
        chunkFileNames: "chunks/[name]-[hash].js",
      },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
