#!/usr/bin/env bash
# smtpwire side by side with the tools people compare it with, against the
# same loopback servers, in one run, alternating the tools:
#
#   scripts/bench-peers.sh [RUNS]        (default 15 runs per tool and case)
#
# - Peers from Debian's packages: curl, msmtp, swaks, Python's smtplib, and
#   Postfix's smtp-source (the C load-generator reference). Installed here
#   when missing (as root).
# - The floor: scripts/floor/floor.rs, a std-only Rust client that sends a
#   prepared letter with the least work (compiled here with rustc -O). The
#   targets for smtpwire are ratios to it, measured in the same run.
# - Plain-text cases go to Postfix's smtp-sink on 127.0.0.1 (started here,
#   stopped by its PID on exit). smtp-sink has no TLS, so the STARTTLS + AUTH
#   case goes to the project's lab Postfix (submission port, scripts/lab.sh).
# - Wall time is measured around each process; peak memory is GNU time's %M
#   (the kernel's accounting of the process's maximum resident set).
# - The table, the exact commands, the tool versions and the date replace the
#   "side by side" section of docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-15}

if [[ $(id -u) == 0 ]]; then
  need=()
  for pkg in curl msmtp swaks postfix time python3; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if ((${#need[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
for tool in curl msmtp swaks /usr/sbin/smtp-sink /usr/sbin/smtp-source /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (run as root to install it)" >&2; exit 1; }
done

cargo build --release --locked --quiet
target=${CARGO_TARGET_DIR:-target}

work=$(mktemp -d)
sink_pid=
lab_started=
cleanup() {
  # The run's own status, not the killed sink's 143 (set -e applies in a trap).
  local rc=$?
  if [[ -n $sink_pid ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  if [[ -n $lab_started ]]; then scripts/lab.sh stop >/dev/null || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# A copy: with a target directory shared between worktrees, another build
# may replace the binary while this runs.
cp "$target/release/smtpwire" "$work/smtpwire"
if ldd "$work/smtpwire" | grep -q libcrypto; then
  echo "note: this smtpwire loads OpenSSL as a shared library (see .cargo/config.toml)" >&2
fi
rustc -O --edition 2021 -o "$work/floor" scripts/floor/floor.rs

sink_port=${SMTPWIRE_BENCH_SINK_PORT:-2600}
# -u: smtp-sink refuses to run as root without a user to drop to.
sink_user=()
[[ $(id -u) == 0 ]] && sink_user=(-u nobody)
/usr/sbin/smtp-sink "${sink_user[@]}" "127.0.0.1:$sink_port" 1000 </dev/null >"$work/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break
  sleep 0.1
done

if ! scripts/lab.sh status >/dev/null 2>&1; then
  scripts/lab.sh start >/dev/null
  lab_started=1
fi
eval "$(scripts/lab.sh env)"

python3 scripts/bench_peers.py \
  --runs "$runs" --work "$work" --sink-port "$sink_port" \
  --binary "$work/smtpwire" --floor "$work/floor" --report docs/PERFORMANCE.md
