#!/usr/bin/env bash
# A private rspamd on 127.0.0.1 for scoring smtpwire's letters, offline:
#
#   scripts/rspamd.sh start     start it (idempotent); the first start compiles
#                               rspamd's regular expressions (~20 s), later ones
#                               take about a second
#   scripts/rspamd.sh stop      stop it, by the PID in its own pid file
#   scripts/rspamd.sh env       print `export SMTPWIRE_RSPAMD=host:port`
#
# It uses Debian's rules (/etc/rspamd) with a private local config, run, db and
# log directory under ${SMTPWIRE_RSPAMD_DIR:-<repo>/target/rspamd}; the system's
# rspamd (if any) is not touched. DNS points at a closed local port, so nothing
# leaves the machine, and the hfilter module, whose checks are about the DNS of
# the sending host (which a loopback lab cannot have), is off. Everything
# rspamd says about the letter itself stays on.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || dirname "$SCRIPT_DIR")
DIR=$(realpath -m "${SMTPWIRE_RSPAMD_DIR:-$REPO/target/rspamd}")
HOST=127.0.0.1
PORT=${SMTPWIRE_RSPAMD_PORT:-11333}
CONTROLLER_PORT=${SMTPWIRE_RSPAMD_CONTROLLER_PORT:-11334}
PROXY_PORT=${SMTPWIRE_RSPAMD_PROXY_PORT:-11332}
PIDFILE=$DIR/run/rspamd.pid
START_TIMEOUT=90 # the first start compiles regular expressions

die() { printf 'rspamd.sh: %s\n' "$*" >&2; exit 1; }
# shellcheck disable=SC2016 # $0 and $1 belong to the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }
running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

write_config() {
  mkdir -p "$DIR"/{local,run,db,log}
  chown _rspamd:_rspamd "$DIR"/{run,db,log}
  cat >"$DIR/local/options.inc" <<'EOF'
# Offline: a closed port answers every DNS query at once.
dns {
  nameserver = ["127.0.0.1:1"];
  timeout = 0.1s;
  retransmits = 0;
}
EOF
  printf 'bind_socket = "%s:%s";\ncount = 1;\n' "$HOST" "$PORT" >"$DIR/local/worker-normal.inc"
  printf 'bind_socket = "%s:%s";\ncount = 1;\n' "$HOST" "$CONTROLLER_PORT" >"$DIR/local/worker-controller.inc"
  printf 'bind_socket = "%s:%s";\ncount = 1;\n' "$HOST" "$PROXY_PORT" >"$DIR/local/worker-proxy.inc"
  printf 'type = "file";\nfilename = "%s/log/rspamd.log";\nlevel = "error";\n' "$DIR" >"$DIR/local/logging.inc"
  # The sending host's DNS (HELO, PTR, MX) cannot exist in a loopback lab.
  printf 'enabled = false;\n' >"$DIR/local/hfilter.conf"
}

cmd_start() {
  [[ $(id -u) == 0 ]] || die "start must run as root (rspamd drops to _rspamd)"
  command -v rspamd >/dev/null || die "rspamd is not installed (apt-get install rspamd)"
  if running; then
    echo "rspamd already running ($DIR, port $PORT)"
    return 0
  fi
  for p in "$PORT" "$CONTROLLER_PORT" "$PROXY_PORT"; do
    ! port_open "$p" || die "port $p is in use; choose others with SMTPWIRE_RSPAMD_PORT and friends"
  done
  write_config
  rm -f "$PIDFILE"
  # stdin from /dev/null, output to a file: a daemon holding the caller's
  # stdout would keep CI's pipe open.
  rspamd -c /etc/rspamd/rspamd.conf -u _rspamd -g _rspamd \
    --var=LOCAL_CONFDIR="$DIR/local" --var=RUNDIR="$DIR/run" \
    --var=DBDIR="$DIR/db" --var=LOGDIR="$DIR/log" \
    </dev/null >>"$DIR/log/start.log" 2>&1 || { tail -n 20 "$DIR/log/start.log" >&2; die "rspamd failed to start"; }
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$PORT" && running; do
    ((SECONDS < deadline)) || { tail -n 20 "$DIR/log/start.log" "$DIR/log/rspamd.log" >&2; die "rspamd did not answer on $PORT"; }
    sleep 0.2
  done
  echo "rspamd started ($DIR, port $PORT)"
}

cmd_stop() {
  if ! running; then
    echo "rspamd not running ($DIR)"
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.1
  done
  echo "rspamd stopped ($DIR)"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status)
    if running; then echo "rspamd running ($DIR, port $PORT)"; else echo "rspamd not running"; exit 1; fi
    ;;
  env) printf 'export SMTPWIRE_RSPAMD=%s:%s\n' "$HOST" "$PORT" ;;
  *) echo "usage: scripts/rspamd.sh start|stop|status|env" >&2; exit 64 ;;
esac
