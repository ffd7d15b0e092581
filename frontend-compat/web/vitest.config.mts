// vitest.config.mts - unit tests of the slices, endpoints and socket-to-cache glue (node, no DOM).
import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: { environment: "node", include: ["**/*.test.ts"], exclude: ["node_modules/**", "out/**", ".next/**"] },
});
