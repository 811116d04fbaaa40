#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#   formatting, clippy, rustdoc, unit tests, the scripted fake-server and TLS
#   tests, UI snapshots, and the end-to-end suite against a private Postfix +
#   Dovecot on 127.0.0.1 (scripts/lab.sh) and a private, offline rspamd
#   (scripts/rspamd.sh); both started here and stopped on exit unless they
#   were already running.
# As root it installs missing Debian packages first (postfix, dovecot,
# spamassassin, rspamd, tmux, ...); as another user it says what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "packages"
if [[ $(id -u) == 0 ]]; then
  # The lab's packages and the tests' own (rspamd, tmux, GNU time), with no
  # system service started by the install.
  scripts/lab.sh install
else
  for tool in postfix dovecot spamassassin rspamd tmux /usr/bin/time; do
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

step "mail lab and rspamd"
stop=()
cleanup() {
  local s
  for s in "${stop[@]}"; do "$s" stop; done
}
trap cleanup EXIT
if scripts/lab.sh status >/dev/null 2>&1; then
  echo "the lab is already running; leaving it running afterwards"
else
  stop+=(scripts/lab.sh)
  scripts/lab.sh start
fi
if scripts/rspamd.sh status >/dev/null 2>&1; then
  echo "rspamd is already running; leaving it running afterwards"
else
  stop+=(scripts/rspamd.sh)
  scripts/rspamd.sh start
fi
eval "$(scripts/lab.sh env)"
eval "$(scripts/rspamd.sh env)"

step "tests"
cargo test --locked --all-features
