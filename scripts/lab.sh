#!/usr/bin/env bash
# smtpwire test mail lab: a private Postfix + Dovecot on 127.0.0.1.
#
#   scripts/lab.sh install     install the Debian packages the lab and the tests need (root)
#   scripts/lab.sh start       create the lab if missing and start it (idempotent)
#   scripts/lab.sh stop        stop it (idempotent)
#   scripts/lab.sh restart     stop, then start
#   scripts/lab.sh status      say whether it runs; list its processes (exit 0 = running)
#   scripts/lab.sh env         print `export VAR=value` lines describing the lab
#   scripts/lab.sh reset-mail  empty every mailbox and drop queued mail
#   scripts/lab.sh check       self-check the running lab (scripts/lab-check.py)
#   scripts/lab.sh logs        print the tail of the lab's logs
#   scripts/lab.sh destroy     stop it and delete the lab directory
#   scripts/lab.sh password U  print user U's password (for a password_command)
#
# The lab lives in ${SMTPWIRE_LAB_DIR:-<repo>/target/lab}. It never reads or writes
# /etc/postfix or /etc/dovecot: Postfix runs with `postfix -c <lab>/postfix/etc`
# (own queue and data directories), Dovecot with `dovecot -c <lab>/dovecot/dovecot.conf`
# (own base_dir and state_dir). Daemons get stdin from /dev/null and write to
# <lab>/log/ (postfix.log, dovecot.log, *-start.log). Nothing is ever stopped by
# process name: only through `postfix -c DIR stop` and Dovecot's own master.pid.
# Test runners: `eval "$(scripts/lab.sh env)"` (SMTPWIRE_LAB=1, ports, CA, users...).
#
# Ports (127.0.0.1 only; each overridable; SMTPWIRE_LAB_PORT_OFFSET adds to every default):
#   SMTPWIRE_LAB_SMTP_PORT        2525  like port 25: no AUTH, mail for lab.example only,
#                                       STARTTLS optional
#   SMTPWIRE_LAB_SUBMISSION_PORT  2587  STARTTLS, AUTH PLAIN LOGIN only after STARTTLS
#   SMTPWIRE_LAB_SUBMISSIONS_PORT 2465  implicit TLS, AUTH PLAIN LOGIN
#   SMTPWIRE_LAB_IMAP_PORT        2143  IMAP, STARTTLS available, plaintext LOGIN allowed
#   SMTPWIRE_LAB_IMAPS_PORT       2993  IMAP over implicit TLS
# The ports a lab was started with are stored in <lab>/lab.env and reused by later
# commands on the same lab directory.
#
# Users (login = full address; `alice` alone works too):
#   alice@lab.example  alice-Pa55-word
#   bob@lab.example    bob-Pa55-word
#   carol@lab.example  ca:rol P@55 "w0rd"\x      (space, colon, quotes, backslash)
#   dave@lab.example   dävé-Пароль ünï 1         (UTF-8)
set -euo pipefail

readonly DOMAIN=lab.example
readonly MAILHOST=mail.lab.example
readonly HOST=127.0.0.1
readonly USERS=(alice bob carol dave)
declare -A PASSWORDS=(
  [alice]='alice-Pa55-word'
  [bob]='bob-Pa55-word'
  [carol]='ca:rol P@55 "w0rd"\x'
  [dave]='dävé-Пароль ünï 1'
)
readonly PORT_NAMES=(SMTP SUBMISSION SUBMISSIONS IMAP IMAPS)
declare -A DEFAULT_PORTS=([SMTP]=2525 [SUBMISSION]=2587 [SUBMISSIONS]=2465 [IMAP]=2143 [IMAPS]=2993)
readonly START_TIMEOUT=20 STOP_TIMEOUT=15
readonly PF_DAEMON_DIR=/usr/lib/postfix/sbin

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || dirname "$SCRIPT_DIR")
LAB=$(realpath -m "${SMTPWIRE_LAB_DIR:-$REPO/target/lab}")

# Layout of a lab directory. Everything the daemons write at run time (queue, sockets,
# mailboxes) lives in $LAB/state. That is a plain directory, unless the lab path is
# too long for unix socket names (108 bytes) or not searchable by the `mail` user
# (e.g. under a 0700 /root): then state/ is a symlink to /tmp/smtpwire-lab-<hash>.
PF_CONF=$LAB/postfix/etc
DC_DIR=$LAB/dovecot
DC_CONF=$DC_DIR/dovecot.conf
LOGS=$LAB/log
TLS=$LAB/tls
CA=$LAB/ca.pem
LAB_ENV=$LAB/lab.env
STATE_LINK=$LAB/state
LAB_HASH=$(printf '%s' "$LAB" | cksum | cut -d' ' -f1)
set_state_paths() {
  STATE=$1
  PF_QUEUE=$STATE/spool
  PF_DATA=$STATE/postfix-data
  DC_BASE=$STATE/dovecot-run
  DC_STATE=$STATE/dovecot-state
  MAILDIRS=$STATE/mail
}
if [[ -L $STATE_LINK ]]; then
  set_state_paths "$(readlink "$STATE_LINK")"
else
  set_state_paths "$STATE_LINK"
fi

# Milliseconds since an ${EPOCHREALTIME} value, as "1.234s".
since() {
  local now=${EPOCHREALTIME/[.,]/} then=${1/[.,]/} ms
  ms=$(((now - then) / 1000))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

die() { printf 'lab.sh: %s\n' "$*" >&2; exit 1; }
note() { printf 'lab.sh: %s\n' "$*" >&2; }
need_root() { [[ $(id -u) -eq 0 ]] || die "$1 must run as root"; }

# Quote a value for `eval` in sh/bash: single quotes, ' as '\''.
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# ---------------------------------------------------------------- ports
# mode "start": SMTPWIRE_LAB_<NAME>_PORT > SMTPWIRE_LAB_PORT_OFFSET + default >
#   stored lab.env > default (a start may change ports).
# other modes: stored lab.env > explicit env > defaults (describe what runs).
declare -A PORTS
load_ports() {
  local mode=$1 name var offset=${SMTPWIRE_LAB_PORT_OFFSET:-0}
  declare -A stored=()
  if [[ -f $LAB_ENV ]]; then
    local key val
    while IFS='=' read -r key val; do
      [[ $key =~ ^(SMTP|SUBMISSION|SUBMISSIONS|IMAP|IMAPS)_PORT$ ]] || continue
      stored[${key%_PORT}]=$val
    done <"$LAB_ENV"
  fi
  [[ $offset =~ ^[0-9]+$ ]] || die "SMTPWIRE_LAB_PORT_OFFSET must be a number"
  for name in "${PORT_NAMES[@]}"; do
    var=SMTPWIRE_LAB_${name}_PORT
    if [[ $mode == start && -n ${SMTPWIRE_LAB_PORT_OFFSET:-} ]]; then
      PORTS[$name]=${!var:-$((DEFAULT_PORTS[$name] + offset))}
    elif [[ $mode == start ]]; then
      PORTS[$name]=${!var:-${stored[$name]:-${DEFAULT_PORTS[$name]}}}
    else
      PORTS[$name]=${stored[$name]:-${!var:-$((DEFAULT_PORTS[$name] + offset))}}
    fi
    if ! [[ ${PORTS[$name]} =~ ^[0-9]+$ ]] || ((PORTS[$name] < 1 || PORTS[$name] > 65535)); then
      die "$var: bad port '${PORTS[$name]}'"
    fi
  done
  local a b
  for a in "${PORT_NAMES[@]}"; do for b in "${PORT_NAMES[@]}"; do
    [[ $a == "$b" || ${PORTS[$a]} != "${PORTS[$b]}" ]] || die "ports $a and $b are both ${PORTS[$a]}"
  done; done
}

# ---------------------------------------------------------------- probes
# shellcheck disable=SC2016 # $0 and $1 belong to the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }

# First line the server sends on a plaintext port ("" if none within 3 s).
banner() {
  local line="" fd
  { exec {fd}<>"/dev/tcp/$HOST/$1"; } 2>/dev/null || return 0
  IFS= read -r -t 3 line <&"$fd" || true
  exec {fd}>&-
  printf '%s' "${line%$'\r'}"
}

# Distinct per lab directory, so two labs never share a Dovecot instance name.
dovecot_instance() { printf 'smtpwire-lab-%s' "$LAB_HASH"; }

postfix_running() { [[ -f $PF_CONF/main.cf ]] && postfix -c "$PF_CONF" status >/dev/null 2>&1; }

# PID of this lab's Dovecot master, if it runs (checked against its command line).
dovecot_pid() {
  local pid
  [[ -f $DC_BASE/master.pid ]] || return 1
  pid=$(head -n1 "$DC_BASE/master.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DC_CONF" || return 1
  printf '%s\n' "$pid"
}
dovecot_running() { dovecot_pid >/dev/null; }

postfix_pid() {
  local pid
  postfix_running || return 1
  pid=$(head -n1 "$PF_QUEUE/pid/master.pid" 2>/dev/null | tr -d ' ') || return 1
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
}

# Every process of the lab, read from /proc (never by process name): the two masters,
# their descendants, and any process whose working directory, command line, title or
# MAIL_CONFIG points into this lab (that also catches orphans of a dead master).
lab_pids() {
  local roots=() p
  p=$(postfix_pid) && roots+=("$p")
  p=$(dovecot_pid) && roots+=("$p")
  python3 - "$LAB" "$STATE" "$(dovecot_instance)" "${roots[@]}" <<'EOF'
import os, sys
dirs, inst, roots = sys.argv[1:3], sys.argv[3], [int(r) for r in sys.argv[4:]]
dirsb = [d.encode() for d in dirs]
titles = (f'{inst}/'.encode(), f'dovecot-{inst}/'.encode())
me = {os.getpid(), os.getppid()}
kids, mine = {}, set()
for d in os.listdir('/proc'):
    if not d.isdigit() or int(d) in me:
        continue
    pid = int(d)
    try:
        with open(f'/proc/{d}/stat') as f:
            ppid = int(f.read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        continue
    kids.setdefault(ppid, []).append(pid)
    try:
        with open(f'/proc/{d}/cmdline', 'rb') as f:
            cmd = f.read()
        if any(b + b'/' in cmd for b in dirsb) or cmd.startswith(titles):
            mine.add(pid)
        cwd = os.readlink(f'/proc/{d}/cwd')
        if any(cwd == x or cwd.startswith(x + '/') for x in dirs):
            mine.add(pid)
        with open(f'/proc/{d}/environ', 'rb') as f:
            env = f.read()
        if any(b'MAIL_CONFIG=' + b + b'/' in env for b in dirsb):
            mine.add(pid)
    except OSError:
        pass
todo, seen = roots + sorted(mine), set()
while todo:
    p = todo.pop()
    if p not in seen and p not in me:
        seen.add(p)
        todo.extend(kids.get(p, []))
for p in sorted(seen):
    try:
        with open(f'/proc/{p}/cmdline', 'rb') as f:
            cmd = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
    except OSError:
        continue
    print(p, cmd)
EOF
}

show_logs() {
  local f
  for f in "$LOGS"/dovecot-start.log "$LOGS"/dovecot.log "$LOGS"/postfix-start.log "$LOGS"/postfix.log; do
    [[ -s $f ]] || continue
    printf -- '----- %s (last 25 lines)\n' "$f" >&2
    tail -n 25 "$f" >&2
  done
}

# ---------------------------------------------------------------- install
# Also what the test suite needs beside the lab: rspamd (scored letters; its
# system service must not start either), tmux (the composer's test) and GNU
# time (peak memory in the load test).
# gdb: gcore, for the test that searches the composer's memory for the password.
# curl (and swaks): the commands `send --print-command` prints are run and must deliver.
PACKAGES=(postfix dovecot-core dovecot-imapd dovecot-lmtpd spamassassin openssl swaks
  libnet-ssleay-perl python3 procps ca-certificates rspamd tmux time gdb curl
  libssl-dev pkg-config)

cmd_install() {
  need_root install
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  note "installing: ${missing[*]}"
  # A newly installed system Postfix must not configure or start itself.
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  fi
  # Keep invoke-rc.d from starting the system daemons while installing (no systemd here).
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local log rc=0
  log=$(mktemp)
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } </dev/null >"$log" 2>&1 || rc=$?
  [[ -z $made_policy ]] || rm -f "$policy"
  if ((rc)); then
    tail -n 30 "$log" >&2
    rm -f "$log"
    die "apt-get failed (exit $rc)"
  fi
  rm -f "$log"
}

# ---------------------------------------------------------------- create
check_tools() {
  local t missing=()
  for t in postfix postconf postsuper dovecot doveadm openssl python3 timeout flock setpriv; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  [[ -x $PF_DAEMON_DIR/master ]] || missing+=("$PF_DAEMON_DIR/master")
  [[ -x /usr/lib/dovecot/lmtp ]] || missing+=(dovecot-lmtpd)
  [[ -x /usr/lib/dovecot/imap ]] || missing+=(dovecot-imapd)
  ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (run: scripts/lab.sh install)"
}

make_tls() {
  [[ -s $CA && -s $TLS/server.pem && -s $TLS/server.key ]] && return 0
  mkdir -p "$TLS"
  chmod 700 "$TLS"
  local ext=$TLS/server.ext
  (
    set -e
    cd "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
      -subj '/O=smtpwire test lab/CN=smtpwire lab throw-away CA' \
      -addext 'basicConstraints=critical,CA:TRUE' \
      -addext 'keyUsage=critical,keyCertSign,cRLSign' \
      -keyout ca.key -out ca.pem
    openssl req -new -newkey rsa:2048 -nodes -sha256 \
      -subj "/O=smtpwire test lab/CN=$MAILHOST" -keyout server.key -out server.csr
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth' \
      "subjectAltName=DNS:localhost,DNS:$MAILHOST,IP:127.0.0.1" >"$ext"
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 730 -sha256 -extfile "$ext" -out server.pem
    rm -f server.csr ca.srl "$ext"
    chmod 600 ca.key server.key
    chmod 644 ca.pem server.pem
  ) >"$LOGS/openssl.log" 2>&1 || { cat "$LOGS/openssl.log" >&2; die "certificate generation failed"; }
  cp "$TLS/ca.pem" "$CA"
  chmod 644 "$CA"
}

write_lab_env() {
  local name tmp=$LAB_ENV.tmp
  {
    echo "# ports this lab was started with (written by scripts/lab.sh)"
    for name in "${PORT_NAMES[@]}"; do echo "${name}_PORT=${PORTS[$name]}"; done
  } >"$tmp"
  mv "$tmp" "$LAB_ENV"
}

# Move FILE.new over FILE unless identical, and date FILE 10 s back: Postfix sleeps
# in 300 ms steps until a table or main.cf it reads is at least a second or two old
# (against reading a file while it is being written), which cost ~2 s per start.
put_file() {
  local f=$1
  if [[ -f $f ]] && cmp -s "$f.new" "$f"; then
    rm -f "$f.new"
  else
    mv "$f.new" "$f"
  fi
  touch -d "@$(($(date +%s) - 10))" "$f"
}

write_postfix_conf() {
  id -u postfix >/dev/null 2>&1 || die "no postfix user (run: scripts/lab.sh install)"
  mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"
  chmod 755 "$PF_CONF" "$PF_QUEUE"
  # private/ must exist before Dovecot puts its auth and LMTP sockets in it.
  mkdir -p "$PF_QUEUE/private"
  chown postfix "$PF_QUEUE/private" "$PF_DATA"
  chmod 700 "$PF_QUEUE/private" "$PF_DATA"

  local u
  {
    for u in "${USERS[@]}"; do echo "$u@$DOMAIN OK"; done
  } >"$PF_CONF/vmailbox.new"
  put_file "$PF_CONF/vmailbox"

  cat >"$PF_CONF/main.cf.new" <<EOF
# smtpwire test lab -- generated by scripts/lab.sh on every start; edits are lost.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
maillog_file = $LOGS/postfix.log
maillog_file_prefixes = $LOGS
syslog_name = smtpwire-lab
biff = no

myhostname = $MAILHOST
mydomain = $DOMAIN
myorigin = \$mydomain
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP smtpwire test lab

# No local delivery; lab.example is a virtual domain delivered to Dovecot over LMTP.
mydestination =
local_transport = error:no local delivery in the lab
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
relayhost =
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_alias_maps =
virtual_transport = lmtp:unix:private/dovecot-lmtp
recipient_delimiter = +
# Mail to other domains (authenticated relay) is accepted and silently dropped.
default_transport = discard:the lab delivers to $DOMAIN only
relay_transport = \$default_transport

# Never touch the client's headers (no added Date/Message-ID/From/To).
local_header_rewrite_clients =
remote_header_rewrite_domain =
always_add_missing_headers = no

smtputf8_enable = yes
message_size_limit = 73400320
mailbox_size_limit = 0
virtual_mailbox_limit = 0

# SMTP server: port-25 behaviour by default; submission ports override in master.cf.
smtpd_helo_required = yes
smtpd_helo_restrictions =
smtpd_client_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_reject_unlisted_recipient = yes
smtpd_peername_lookup = no
smtpd_sasl_auth_enable = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/dovecot-auth
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = no
broken_sasl_auth_clients = no
smtpd_tls_auth_only = yes

# Room for load tests: many sessions, many letters per session, no throttling.
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_recipient_limit = 10000
smtpd_junk_command_limit = 100000
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_error_sleep_time = 0
in_flow_delay = 0

# Short retries so a deferred letter in a test does not wait long.
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s

# TLS with the lab's throw-away CA.
smtpd_tls_chain_files = $TLS/server.key, $TLS/server.pem
smtpd_tls_security_level = may
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
smtp_tls_security_level = none
lmtp_tls_security_level = none
EOF

  local p_smtp=${PORTS[SMTP]} p_sub=${PORTS[SUBMISSION]} p_subs=${PORTS[SUBMISSIONS]}
  cat >"$PF_CONF/master.cf.new" <<EOF
# smtpwire test lab -- generated by scripts/lab.sh on every start; edits are lost.
# Nothing runs chrooted (column 5 = n): the lab's paths are outside any chroot.
# Dovecot 2.3's LMTP does not announce SMTPUTF8, so Postfix bounces (5.6.7 "SMTPUTF8 is
# required, but was not offered") every letter received with MAIL FROM ... SMTPUTF8 that
# has a UTF-8 address or header. smtpd still offers SMTPUTF8 (smtputf8_enable = yes in
# main.cf); with smtputf8_enable=no on cleanup only, the queue file is not marked as
# needing SMTPUTF8 and lmtp hands the letter over byte for byte (Dovecot accepts it).
# service            type  private unpriv chroot wakeup maxproc command + args
$HOST:$p_smtp       inet  n       -       n       -       -       smtpd
$HOST:$p_sub       inet  n       -       n       -       -       smtpd
  -o syslog_name=smtpwire-lab/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
$HOST:$p_subs       inet  n       -       n       -       -       smtpd
  -o syslog_name=smtpwire-lab/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
  -o smtputf8_enable=no
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  put_file "$PF_CONF/main.cf"
  put_file "$PF_CONF/master.cf"
}

write_dovecot_conf() {
  local mail_uid mail_gid u hash instance
  mail_uid=$(id -u mail) || die "no 'mail' user"
  mail_gid=$(id -g mail)
  mkdir -p "$DC_DIR" "$DC_BASE" "$DC_STATE" "$MAILDIRS"
  chmod 755 "$DC_DIR"
  chown mail:mail "$MAILDIRS"
  chmod 700 "$MAILDIRS"
  instance=$(dovecot_instance)

  local users=$DC_DIR/users tmp
  tmp=$users.tmp
  : >"$tmp"
  chmod 600 "$tmp"
  for u in "${USERS[@]}"; do
    hash=$(printf '%s' "${PASSWORDS[$u]}" | openssl passwd -6 -stdin) || die "openssl passwd failed"
    # user:password:uid:gid:gecos:home:shell:extra
    printf '%s:{SHA512-CRYPT}%s:%s:%s::%s::\n' "$u@$DOMAIN" "$hash" "$mail_uid" "$mail_gid" \
      "$MAILDIRS/$DOMAIN/$u" >>"$tmp"
  done
  mv "$tmp" "$users"

  cat >"$DC_CONF" <<EOF
# smtpwire test lab -- generated by scripts/lab.sh on every start; edits are lost.
instance_name = $instance
base_dir = $DC_BASE
state_dir = $DC_STATE
protocols = imap lmtp
listen = $HOST
log_path = $LOGS/dovecot.log
info_log_path = $LOGS/dovecot.log
hostname = $MAILHOST
login_greeting = smtpwire test lab IMAP ready
auth_verbose = yes
# Tests try wrong passwords on purpose; do not make them wait 2 s each.
auth_failure_delay = 0

ssl = yes
ssl_cert = <$TLS/server.pem
ssl_key = <$TLS/server.key
ssl_min_protocol = TLSv1.2
# Loopback test lab: plaintext LOGIN is allowed without TLS.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_default_realm = $DOMAIN

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u $users
}
userdb {
  driver = passwd-file
  args = username_format=%u $users
}
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

service imap-login {
  inet_listener imap {
    address = $HOST
    port = ${PORTS[IMAP]}
  }
  inet_listener imaps {
    address = $HOST
    port = ${PORTS[IMAPS]}
    ssl = yes
  }
}
# Sockets for Postfix live in Postfix's own queue directory (its daemons reach them
# by the relative path private/...), owned by the postfix user.
service lmtp {
  unix_listener $PF_QUEUE/private/dovecot-lmtp {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  # root so that the passwd-file is readable wherever the lab directory is.
  user = root
  unix_listener $PF_QUEUE/private/dovecot-auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

can_reach_as_mail() {
  setpriv --reuid=mail --regid=mail --clear-groups test -x "$1" 2>/dev/null
}

# Decide where state/ lives (see "Layout" above) and create it.
choose_state() {
  if [[ ! -e $STATE_LINK && ! -L $STATE_LINK ]]; then
    # Longest socket: $STATE/dovecot-run/token-login/imap-urlauth (+36 bytes).
    if ((${#STATE_LINK} + 36 > 100)) || ! can_reach_as_mail "$LAB"; then
      local alt=/tmp/smtpwire-lab-$LAB_HASH
      mkdir -p "$alt"
      [[ $(stat -c %u "$alt") == 0 && ! -L $alt ]] || die "$alt exists and is not root's own directory"
      ln -s "$alt" "$STATE_LINK"
    else
      mkdir -p "$STATE_LINK"
    fi
  fi
  if [[ -L $STATE_LINK ]]; then
    set_state_paths "$(readlink "$STATE_LINK")"
    mkdir -p "$STATE"
  fi
  chmod 755 "$STATE"
  can_reach_as_mail "$STATE" || die "the 'mail' user cannot reach $STATE; use another SMTPWIRE_LAB_DIR"
}

# ---------------------------------------------------------------- start / stop
wait_ports() {
  local deadline=$((SECONDS + START_TIMEOUT)) p pending
  while :; do
    pending=()
    for p in "$@"; do port_open "$p" || pending+=("$p"); done
    ((${#pending[@]})) || return 0
    ((SECONDS < deadline)) || { note "ports not answering after ${START_TIMEOUT}s: ${pending[*]}"; return 1; }
    sleep 0.1
  done
}

wait_ports_closed() {
  local deadline=$((SECONDS + STOP_TIMEOUT)) p pending
  while :; do
    pending=()
    for p in "$@"; do port_open "$p" && pending+=("$p"); done
    ((${#pending[@]})) || return 0
    ((SECONDS < deadline)) || { note "ports still open after ${STOP_TIMEOUT}s: ${pending[*]}"; return 1; }
    sleep 0.1
  done
}

refuse_busy_ports() {
  local p busy=()
  for p in "$@"; do port_open "$p" && busy+=("$p"); done
  ((${#busy[@]} == 0)) ||
    die "port(s) ${busy[*]} on $HOST already in use by something else (another lab?);" \
      "choose others with SMTPWIRE_LAB_PORT_OFFSET=N or SMTPWIRE_LAB_<NAME>_PORT"
}

start_dovecot() {
  local pid
  # A master.pid left by a dead Dovecot (machine restarted) would stop it starting.
  if [[ -f $DC_BASE/master.pid ]] && ! dovecot_running; then rm -f "$DC_BASE/master.pid"; fi
  dovecot -c "$DC_CONF" </dev/null >>"$LOGS/dovecot-start.log" 2>&1 9>&- ||
    { show_logs; die "dovecot failed to start"; }
  pid=$(dovecot_pid) || true
  [[ -n $pid ]] || { sleep 0.2; dovecot_running || { show_logs; die "dovecot exited at start"; }; }
}

start_postfix() {
  postfix -c "$PF_CONF" start </dev/null >>"$LOGS/postfix-start.log" 2>&1 9>&- ||
    { show_logs; die "postfix failed to start"; }
}

cmd_start() {
  need_root start
  check_tools
  mkdir -p "$LAB" "$LOGS"
  exec 9>"$LAB/.lock"
  flock -w 60 9 || die "another lab.sh holds $LAB/.lock"

  local pf_up=0 dc_up=0
  postfix_running && pf_up=1
  dovecot_running && dc_up=1
  if ((pf_up && dc_up)); then
    load_ports status
    wait_ports "${PORTS[@]}" || { show_logs; die "lab runs but does not answer"; }
    echo "lab already running in $LAB (smtp ${PORTS[SMTP]}, submission ${PORTS[SUBMISSION]}, submissions ${PORTS[SUBMISSIONS]}, imap ${PORTS[IMAP]}, imaps ${PORTS[IMAPS]})"
    return 0
  fi
  if ((pf_up || dc_up)); then
    # Half a lab: keep the ports it runs with and start the missing half.
    load_ports status
  else
    load_ports start
  fi

  local t0=$EPOCHREALTIME
  chmod 755 "$LAB"
  chmod 755 "$LOGS"
  make_tls
  choose_state
  ((pf_up)) || write_postfix_conf
  ((dc_up)) || write_dovecot_conf

  if ((!dc_up)); then
    refuse_busy_ports "${PORTS[IMAP]}" "${PORTS[IMAPS]}"
    start_dovecot
  fi
  if ((!pf_up)); then
    refuse_busy_ports "${PORTS[SMTP]}" "${PORTS[SUBMISSION]}" "${PORTS[SUBMISSIONS]}"
    start_postfix
  fi
  wait_ports "${PORTS[@]}" || { show_logs; die "lab did not come up"; }
  local b
  b=$(banner "${PORTS[SMTP]}")
  [[ $b == 220* ]] || { show_logs; die "no SMTP greeting on ${PORTS[SMTP]} (got '$b')"; }
  b=$(banner "${PORTS[IMAP]}")
  [[ $b == '* OK'* ]] || { show_logs; die "no IMAP greeting on ${PORTS[IMAP]} (got '$b')"; }
  write_lab_env
  echo "lab started in $LAB in $(since "$t0") (smtp ${PORTS[SMTP]}, submission ${PORTS[SUBMISSION]}, submissions ${PORTS[SUBMISSIONS]}, imap ${PORTS[IMAP]}, imaps ${PORTS[IMAPS]})"
}

stop_postfix() {
  postfix_running || return 0
  local pid
  pid=$(postfix_pid) || true
  postfix -c "$PF_CONF" stop </dev/null >>"$LOGS/postfix-start.log" 2>&1 || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while postfix_running; do
    if ((SECONDS >= deadline)); then
      # Last resort, by PID from Postfix's own pid file: the master's process group.
      [[ -z $pid ]] || kill -KILL -- "-$pid" 2>/dev/null || true
      note "postfix did not stop in ${STOP_TIMEOUT}s; killed process group $pid"
      break
    fi
    sleep 0.1
  done
}

stop_dovecot() {
  local pid
  pid=$(dovecot_pid) || return 0
  doveadm -c "$DC_CONF" stop </dev/null >>"$LOGS/dovecot-start.log" 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while [[ -e /proc/$pid ]] && dovecot_running; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      note "dovecot did not stop in ${STOP_TIMEOUT}s; killed master $pid"
      break
    fi
    sleep 0.1
  done
}

cmd_stop() {
  [[ -d $LAB ]] || { echo "no lab in $LAB; nothing to stop"; return 0; }
  need_root stop
  mkdir -p "$LOGS"
  exec 9>"$LAB/.lock"
  flock -w 60 9 || die "another lab.sh holds $LAB/.lock"
  load_ports status
  if ! postfix_running && ! dovecot_running; then
    echo "lab not running ($LAB)"
    return 0
  fi
  local t0=$EPOCHREALTIME
  # Postfix first: it stops handing letters to Dovecot's LMTP socket.
  stop_postfix
  stop_dovecot
  wait_ports_closed "${PORTS[@]}" || die "ports still open after stop"
  # Children may outlive their master by a moment; wait for them (bounded), never kill.
  local left deadline=$((SECONDS + 5))
  while left=$(lab_pids) && [[ -n $left ]] && ((SECONDS < deadline)); do sleep 0.1; done
  [[ -z $left ]] || die "lab processes still alive after stop:"$'\n'"$left"
  echo "lab stopped ($LAB) in $(since "$t0")"
}

cmd_status() {
  load_ports status
  local pf=stopped dc=stopped rc=0 name
  postfix_running && pf="running (master $(postfix_pid))"
  dovecot_running && dc="running (master $(dovecot_pid))"
  echo "lab dir:  $LAB"
  echo "postfix:  $pf"
  echo "dovecot:  $dc"
  for name in "${PORT_NAMES[@]}"; do
    local up=$pf state
    [[ $name == IMAP* ]] && up=$dc
    if port_open "${PORTS[$name]}"; then
      state=open
      [[ $up != stopped ]] || { state="in use by another process"; rc=1; }
    else
      state=closed
      rc=1
    fi
    printf '%-12s %s:%s %s\n' "${name,,}" "$HOST" "${PORTS[$name]}" "$state"
  done
  if [[ $pf == stopped || $dc == stopped ]]; then rc=1; fi
  local procs
  procs=$(lab_pids)
  if [[ -n $procs ]]; then
    echo "processes:"
    # shellcheck disable=SC2001
    sed 's/^/  /' <<<"$procs"
  fi
  return "$rc"
}

cmd_env() {
  load_ports status
  local u U
  printf 'export %s=%s\n' \
    SMTPWIRE_LAB 1 \
    SMTPWIRE_LAB_DIR "$(shq "$LAB")" \
    SMTPWIRE_LAB_HOST "$HOST" \
    SMTPWIRE_LAB_HOSTNAME "$MAILHOST" \
    SMTPWIRE_LAB_DOMAIN "$DOMAIN" \
    SMTPWIRE_LAB_SMTP_PORT "${PORTS[SMTP]}" \
    SMTPWIRE_LAB_SUBMISSION_PORT "${PORTS[SUBMISSION]}" \
    SMTPWIRE_LAB_SUBMISSIONS_PORT "${PORTS[SUBMISSIONS]}" \
    SMTPWIRE_LAB_IMAP_PORT "${PORTS[IMAP]}" \
    SMTPWIRE_LAB_IMAPS_PORT "${PORTS[IMAPS]}" \
    SMTPWIRE_LAB_CA "$(shq "$CA")" \
    SMTPWIRE_LAB_MAILDIR "$(shq "$MAILDIRS/$DOMAIN")" \
    SMTPWIRE_LAB_MAILLOG "$(shq "$LOGS/postfix.log")" \
    SMTPWIRE_LAB_USERS "$(shq "${USERS[*]}")" \
    SMTPWIRE_LAB_UNKNOWN_USER "nobody@$DOMAIN"
  for u in "${USERS[@]}"; do
    U=${u^^}
    printf 'export %s=%s\n' \
      "SMTPWIRE_LAB_${U}_USER" "$u@$DOMAIN" \
      "SMTPWIRE_LAB_${U}_PASSWORD" "$(shq "${PASSWORDS[$u]}")"
  done
  echo "# carol's password has a space, a colon, double quotes and a backslash; dave's is UTF-8."
}

cmd_reset_mail() {
  need_root reset-mail
  [[ -d $LAB ]] || die "no lab in $LAB"
  exec 9>"$LAB/.lock"
  flock -w 60 9 || die "another lab.sh holds $LAB/.lock"
  # Letters still in Postfix's queue would arrive after the reset.
  if [[ -f $PF_CONF/main.cf && -d $PF_QUEUE/active ]]; then
    postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1 || true
  fi
  local u
  if dovecot_running; then
    for u in "${USERS[@]}"; do
      doveadm -c "$DC_CONF" expunge -u "$u@$DOMAIN" mailbox '*' all </dev/null >>"$LOGS/dovecot-start.log" 2>&1 ||
        die "doveadm expunge failed for $u@$DOMAIN (see $LOGS/dovecot-start.log)"
    done
  else
    for u in "${USERS[@]}"; do rm -rf -- "${MAILDIRS:?}/$DOMAIN/$u"; done
  fi
  echo "mailboxes emptied ($LAB)"
}

# Stop the lab and delete it: its directory and, if state/ was moved, its /tmp state.
cmd_destroy() {
  [[ -e $LAB ]] || { echo "no lab in $LAB"; return 0; }
  need_root destroy
  cmd_stop >/dev/null
  [[ -f $LAB/.lock || -f $LAB_ENV || -d $PF_CONF ]] || die "$LAB does not look like a lab; not deleting it"
  if [[ -L $STATE_LINK && $STATE == /tmp/smtpwire-lab-* ]]; then rm -rf -- "$STATE"; fi
  rm -rf -- "$LAB"
  echo "lab destroyed ($LAB)"
}

# Run the lab's self-check (scripts/lab-check.py) against the running lab.
cmd_check() {
  eval "$(cmd_env)"
  exec python3 "$SCRIPT_DIR/lab-check.py"
}

# The password of one lab user, for a `password_command`.
cmd_password() {
  local u=${1:-}
  u=${u%@"$DOMAIN"}
  [[ -n $u && -n ${PASSWORDS[$u]+set} ]] || die "usage: lab.sh password alice|bob|carol|dave"
  printf '%s\n' "${PASSWORDS[$u]}"
}

cmd_logs() {
  show_logs 2>&1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  case $cmd in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) (cmd_stop) && cmd_start ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset-mail) cmd_reset_mail ;;
    destroy) cmd_destroy ;;
    password) cmd_password "${2:-}" ;;
    check) cmd_check ;;
    logs) cmd_logs ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 64 ;;
  esac
}

main "$@"
