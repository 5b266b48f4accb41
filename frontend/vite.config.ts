import { defineConfig } from "vite";

// Two ES-module entries with fixed names (canvas.js + canvas.css, dashboard.js), so Django templates can
// reference them without a manifest. The charting library is a shared chunk loaded on first use.
export default defineConfig({
  base: "/static/frontend/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../static/frontend",
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: { canvas: "src/main.tsx", dashboard: "src/dashboard.ts" },
      output: {
        entryFileNames: "[name].js",
        assetFileNames: "[name][extname]",
        chunkFileNames: "chunks/[name]-[hash].js",
      },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
