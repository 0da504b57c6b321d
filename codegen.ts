import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for the operations the tests use (test/operations.ts), generated from the committed
// schema.graphql. CI regenerates both and fails on a diff.
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/operations.ts"],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    "test/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", Decimal: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
