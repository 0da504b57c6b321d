#!/usr/bin/env bash
# Regenerates schema.graphql (from the Pothos builder) and the codegen output (from test/operations.ts and
# web/src/operations.ts) and fails if any differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/print-schema.ts >/dev/null
npx graphql-codegen --config codegen.ts >/dev/null
if ! git diff --exit-code -- schema.graphql test/generated web/src/generated; then
  echo "schema.graphql, test/generated or web/src/generated is stale: run 'npm run generate' and commit the result." >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- test/generated web/src/generated)" ]; then
  echo "generated files are not committed:" >&2
  git status --porcelain -- test/generated web/src/generated >&2
  exit 1
fi
echo "generated files are current"
