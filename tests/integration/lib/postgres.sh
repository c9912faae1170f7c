# A throw-away PostgreSQL server for the tests that share a journal between
# stations. Source it, then:
#   pg_up DIR PORT    initdb in DIR and start a server on 127.0.0.1:PORT (and a
#                     socket in DIR); sets PG_URI to a database "perso" on it
#   pg_down           stop it
# PostgreSQL refuses to run as root, so as root the server runs as the
# "postgres" user the Debian package creates.
PG_BIN=""
PG_DIR=""
PG_URI=""

pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_up() {
  local dir=$1 port=$2
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "postgres.sh: the PostgreSQL server is not installed (scripts/setup.sh installs postgresql)" >&2
    return 1
  fi
  PG_DIR=$dir
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    chmod o+x "$(dirname "$dir")"  # the server's user must reach DIR inside the test's private work dir
  fi
  chmod 700 "$dir"
  pg_as "$PG_BIN/initdb" -D "$dir/data" -A trust -U perso --no-sync >"$dir/initdb.log" 2>&1 ||
    { echo "postgres.sh: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; return 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on" start \
    >/dev/null 2>&1 || { echo "postgres.sh: the server did not start:" >&2; tail -5 "$dir/server.log" >&2; return 1; }
  pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U perso perso ||
    { echo "postgres.sh: createdb failed" >&2; return 1; }
  PG_URI="postgresql://perso@127.0.0.1:$port/perso"
}

pg_down() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  PG_DIR=""
}
