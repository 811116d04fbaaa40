#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#   formatting, clippy, rustdoc, unit tests, the scripted fake-server and TLS
#   tests, UI snapshots, and the end-to-end suite against a private Postfix +
#   Dovecot on 127.0.0.1 (scripts/lab.sh; started here, stopped on exit unless
#   it was already running).
# As root it installs missing Debian packages first (postfix, dovecot,
# spamassassin, tmux, ...); as another user it says what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "packages"
if [[ $(id -u) == 0 ]]; then
  scripts/lab.sh install
  # tmux drives the UI test; GNU time measures peak memory in the load test.
  for pkg in tmux time; do
    dpkg -s "$pkg" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  done
else
  for tool in postfix dovecot spamassassin tmux /usr/bin/time; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
      { echo "missing: $tool (run this script as root to install it, or: sudo scripts/lab.sh install)" >&2; exit 1; }
  done
fi
echo "ok"

step "format"
cargo fmt --all --check

step "clippy"
cargo clippy --locked --all-targets --all-features -- -D warnings

step "rustdoc"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet

step "build"
cargo test --locked --all-features --no-run --quiet

step "mail lab"
if scripts/lab.sh status >/dev/null 2>&1; then
  echo "already running; leaving it running afterwards"
else
  trap 'step "stopping the mail lab"; scripts/lab.sh stop' EXIT
  scripts/lab.sh start
fi
eval "$(scripts/lab.sh env)"

step "tests"
cargo test --locked --all-features
