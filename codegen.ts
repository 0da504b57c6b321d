import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for the operations the tests use (test/operations.ts) and the monitor page sends
// (web/src/operations.ts), generated from the committed schema.graphql. CI regenerates them and fails on a diff.
const typesConfig = {
  enumsAsTypes: true,
  useTypeImports: true,
  scalars: { DateTime: "string", Decimal: "string", JSON: "unknown" },
};

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    "test/generated/": {
      documents: ["test/operations.ts", "test/operations-host.ts"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: typesConfig,
    },
    // The page sends documents as strings (no graphql-js in the browser bundle).
    "web/src/generated/": {
      documents: ["web/src/operations.ts"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { ...typesConfig, documentMode: "string" },
    },
  },
};

export default config;
