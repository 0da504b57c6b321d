#!/usr/bin/env bash
# Everything CI checks besides the tests: strict types, lint and format, generated files, migrations.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck" && npx tsc --noEmit && npx tsc --noEmit -p web
echo "== lint and format" && npx biome check .
echo "== layers (platforms ← engine ← domain ← commands ← graphql)" && npx depcruise src --config .dependency-cruiser.cjs
echo "== generated files" && bash scripts/check-generated.sh
echo "== migrations" && bash scripts/check-migrations.sh
