import { defineConfig } from "vitest/config";

/**
 * Three tiers, one `npm test`. Unit and integration files run side by side (each file has its own
 * database and Redis prefix), two at a time: with three, files that wait on real throughput in compressed
 * time (worker processes killed, token refreshes, contract retries) timed out now and then on two cores.
 * The engine tier measures caps and rates in compressed
 * time, which a file competing for the machine's cores would distort: it runs after them, one file at a
 * time.
 */
const PARALLEL_FILES = 2;

export default defineConfig({
  // graphql 16 ships CommonJS (main) and ESM (module) builds. Node loads the CommonJS one for the
  // libraries; Vite would give our own code the ESM one, and two GraphQLError classes break
  // `instanceof` checks (yoga would mask our own errors). Pin the one Node uses.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Every sandbox call in every tier is checked against Xero's OpenAPI contracts.
    setupFiles: ["test/support/contract-setup.ts"],
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Pure code: no database, no Redis, no global setup.
          include: ["test/unit/**/*.test.ts"],
          // Same group as integration: the two share the workers (a group has one worker count).
          sequence: { groupOrder: 0 },
          maxWorkers: PARALLEL_FILES,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          sequence: { groupOrder: 0 },
          maxWorkers: PARALLEL_FILES,
        },
      },
      {
        extends: true,
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
        },
      },
    ],
  },
});
