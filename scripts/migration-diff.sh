#!/usr/bin/env bash
# Writes a new migration with the SQL that takes the last committed prisma/schema.prisma (which CI keeps
# equal to prisma/migrations, see check-migrations.sh) to the working copy's. Usage:
#   npm run migration:diff -- <name>
# Prisma's diff from a live database needs a native engine that cannot be downloaded here; a diff between
# two schema files runs on the wasm engine.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: npm run migration:diff -- <name>}"
base="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
previous=$(mktemp --suffix=.prisma)
trap 'rm -f "$previous"' EXIT
git show HEAD:prisma/schema.prisma >"$previous"
sql=$(DATABASE_URL="$base" npx prisma migrate diff --from-schema-datamodel "$previous" \
  --to-schema-datamodel prisma/schema.prisma --script 2>/dev/null)
if [ -z "$(grep -v '^--' <<<"$sql" | tr -d '[:space:]')" ]; then
  echo "schema.prisma matches the last commit's: nothing to write"
  exit 0
fi
dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_${name}"
mkdir -p "$dir"
printf '%s\n' "$sql" >"$dir/migration.sql"
echo "wrote $dir/migration.sql"
