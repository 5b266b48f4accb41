import { defineConfig } from "vite";

// The entries, with fixed names so Django templates can reference them without a manifest: the canvas
// (canvas.js + canvas.css), the web service pages (dashboard.js), every studio page (confirm.js),
// the Datasets page (datasets.js) and ReDoc's page (redoc-offline.js), all ES modules. The charting library and
// the API client are shared chunks.
export default defineConfig({
  base: "/static/frontend/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../static/frontend",
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: {
        canvas: "src/main.tsx",
        dashboard: "src/dashboard.ts",
        confirm: "src/pages/confirm.ts",
        datasets: "src/pages/datasets.ts",
        "redoc-offline": "src/pages/redocOffline.ts",
      },
      output: {
        entryFileNames: "[name].js",
        assetFileNames: "[name][extname]",
        chunkFileNames: "chunks/[name]-[hash].js",
      },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
