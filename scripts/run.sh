#!/usr/bin/env bash
# Runs the gateway on :8010 (PORT overrides) with the mock provider unless configured otherwise.
# Without DATABASE_URL (environment or .env), it starts a local PostgreSQL under .data/pg (kept
# between runs, stopped when the gateway stops), migrates, and prints a freshly created key.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/ai-gateway}

if [ -z "${DATABASE_URL:-}" ] && ! grep -qE '^\s*DATABASE_URL=.+' .env 2>/dev/null; then
  echo "DATABASE_URL is not set: starting a local PostgreSQL in .data/pg"
  DATABASE_URL=$(scripts/services.sh start-postgres "$PWD/.data/pg")
  export DATABASE_URL
  trap 'scripts/services.sh stop-postgres "$PWD/.data/pg"' EXIT
fi

"$bin" migrate
key_json=$("$bin" create-key --name "local-$(date +%Y%m%d-%H%M%S)" --json)
key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$key_json")
cat <<MSG

  ai-gateway key (shown once): $key

  curl -s http://localhost:${PORT:-8010}/v1/chat/completions \\
    -H "Authorization: Bearer $key" -H "Content-Type: application/json" \\
    -d '{"model":"mock-1","messages":[{"role":"user","content":"Hello"}]}'

MSG
"$bin" serve &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; scripts/services.sh stop-postgres "$PWD/.data/pg" 2>/dev/null || true' INT TERM
wait $pid
