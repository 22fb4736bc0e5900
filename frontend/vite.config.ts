// Build, dev-server and unit-test settings for the Budget Bridge web app.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs let one build be served from "/" locally and from any S3/CloudFront prefix.
  base: "./",
  build: { outDir: "dist", sourcemap: true },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
