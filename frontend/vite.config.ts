import { defineConfig } from "vite";

// One ES-module entry with fixed names, so Django templates can reference static/frontend/canvas.js
// and canvas.css without a manifest.
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
        inlineDynamicImports: true,
      },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
