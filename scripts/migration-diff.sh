#!/usr/bin/env bash
# Writes a new migration with the SQL that takes a database built from prisma/migrations to
# prisma/schema.prisma. Usage: npm run migration:diff -- <name>
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: npm run migration:diff -- <name>}"
base="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
scratch="syncline_migration_diff_$$"
url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$base" "$scratch")
trap 'psql "$base" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null' EXIT
psql "$base" -qc "CREATE DATABASE $scratch" >/dev/null
DATABASE_URL="$url" npx tsx src/cli.ts migrate >/dev/null
dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_${name}"
sql=$(DATABASE_URL="$base" npx prisma migrate diff --from-url "$url" --to-schema-datamodel prisma/schema.prisma --script 2>/dev/null)
if ! grep -qv '^--' <<<"$sql" || [ -z "$(grep -v '^--' <<<"$sql" | tr -d '[:space:]')" ]; then
  echo "schema.prisma matches the migrations: nothing to write"
  exit 0
fi
mkdir -p "$dir"
printf '%s\n' "$sql" >"$dir/migration.sql"
echo "wrote $dir/migration.sql"
