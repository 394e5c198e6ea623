import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/dist/",
  build: {
    manifest: "manifest.json",
    outDir: "fieldnotes/static/dist",
    rollupOptions: { input: "frontend/main.js" },
  },
});
