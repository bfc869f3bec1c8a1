#!/bin/sh
# Entry point of fleetbed's Debian PostgreSQL image (built by `fleetbed images build`, no registry
# needed). It takes the same variables as the public postgres image (POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, PGDATA) and the same command, `postgres -c name=value …`, so the
# containers environment and docker-compose.yml run either image unchanged. With host networking,
# pass the port as PGPORT or `-c port=N` and keep `-c listen_addresses=127.0.0.1`.
set -eu
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${PGDATA:=/var/lib/postgresql/data}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "fleetbed-postgres: set POSTGRES_PASSWORD (the server accepts only password logins over TCP)" >&2
  exit 2
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  rm -f "$pwfile"
  if [ "$POSTGRES_DB" != postgres ]; then
    # Single-user mode: no socket, no port, nothing to wait for.
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" | postgres --single -F -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "fleetbed-postgres: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi
exec postgres -D "$PGDATA" "$@"
