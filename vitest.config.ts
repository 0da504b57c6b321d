import { defineConfig } from "vitest/config";

export default defineConfig({
  // graphql 16 ships CommonJS (main) and ESM (module) builds. Node loads the CommonJS one for the
  // libraries; Vite would give our own code the ESM one, and two GraphQLError classes break
  // `instanceof` checks (yoga would mask our own errors). Pin the one Node uses.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Files run one after another: the engine tests measure rates in compressed time, which a second
    // file competing for the machine's two cores would distort.
    fileParallelism: false,
    globalSetup: ["test/support/global-setup.ts"],
  },
});
