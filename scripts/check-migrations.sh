#!/usr/bin/env bash
# Guards against drift between prisma/schema.prisma and prisma/migrations: a database migrated by our
# runner must have exactly the schema that `prisma migrate diff --from-empty` derives from schema.prisma.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
suffix="$$_$RANDOM"
migrated="syncline_drift_migrated_$suffix"
expected="syncline_drift_expected_$suffix"
url() { node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$base" "$1"; }
cleanup() {
  psql "$base" -qc "DROP DATABASE IF EXISTS $migrated WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$base" -qc "DROP DATABASE IF EXISTS $expected WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$base" -qc "CREATE DATABASE $migrated" >/dev/null
psql "$base" -qc "CREATE DATABASE $expected" >/dev/null

DATABASE_URL="$(url "$migrated")" npx tsx src/cli.ts migrate >/dev/null
DATABASE_URL="$base" npx prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script \
  2>/dev/null | psql "$(url "$expected")" -q -v ON_ERROR_STOP=1 >/dev/null

dump() { pg_dump --schema-only --no-owner --no-privileges --exclude-table=_prisma_migrations "$(url "$1")" | grep -v '^--' | grep -v '^\\' | sed '/^$/d'; }
if ! diff <(dump "$migrated") <(dump "$expected"); then
  echo "prisma/migrations and prisma/schema.prisma have drifted: add a migration with 'npm run migration:diff -- <name>'." >&2
  exit 1
fi
echo "migrations match schema.prisma"
