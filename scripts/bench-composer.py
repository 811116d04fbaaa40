#!/usr/bin/env python3
"""The composer driven in a pseudo-terminal, as a user's terminal drives it:

    scripts/bench-composer.py [--binary PATH] [--lines 0,1000000] [--starts 20]
                              [--keys 1000] [--size 200x50] [--report FILE]

For each log size (0 lines, then each size given):

- start-up: the time from just before fork+exec to the end of the first full
  frame (the composer ends every frame by showing the cursor and moving it
  into the focused field: ESC[?25h ESC[row;colH), median and worst of
  --starts runs;
- keystrokes: --keys characters typed into the body one at a time, each
  sent only after the previous one's frame came back; the time from the
  write to the end of the frame that shows it, median, 99th percentile and
  worst;
- memory: VmRSS of the composer after its first frame (and VmHWM, its peak);
  beyond 0 lines, (RSS - RSS with 0 lines - the log's text) / lines is the
  memory per log line beyond its text.

The log is filled with `--open-log FILE`, a saved transcript in the text
format of --transcript (`HH:MM:SS.mmm C:|S:|*  text`, one line each),
generated here. A binary without --open-log is measured with the log it
fills itself: the harness starts Postfix's smtp-sink on 127.0.0.1 (stopped
by its PID) and opens and closes sessions with Ctrl+O / Ctrl+D until the
log holds the lines asked for (keep those sizes small: about 15 lines per
session); the line count and text come from --transcript.

Everything runs in a temporary HOME (config and draft directories inside);
every composer is quit with Ctrl+Q and, if it lingers, stopped by its PID.
With --report, the results replace the "composer in a pty" section of that
file (between its markers).
"""

import argparse
import datetime
import fcntl
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

FRAME_END = re.compile(rb"\x1b\[\?25h\x1b\[\d+;\d+H")
START = "<!-- bench-composer:start -->"
END = "<!-- bench-composer:end -->"


class Composer:
    """One composer process on a pty, its output read as it comes."""

    def __init__(self, binary, args, env, size):
        rows, cols = size
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: the pty becomes its controlling terminal
            try:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                os.close(master)
                os.close(slave)
                os.execve(binary, [binary] + args, env)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd, self.buf = pid, master, b""

    def wait_frame(self, timeout=10.0, after=0, showing=None):
        """Reads until a frame ends past offset `after` of the output (one
        that draws `showing`, if given, so a frame the clock caused does not
        count for a key); returns the time it ended."""
        deadline = time.perf_counter() + timeout
        while True:
            for found in FRAME_END.finditer(self.buf, after):
                if showing is None or showing in self.buf[after:found.start()]:
                    return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no frame within {timeout} s; output ends {self.buf[-200:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 1 << 16)
                except OSError:
                    data = b""
                if not data:
                    raise EOFError(f"the composer exited; output ends {self.buf[-300:]!r}")
                self.buf += data

    def drain(self, quiet_for=0.05):
        """Reads whatever else comes until the output is quiet."""
        while True:
            ready, _, _ = select.select([self.fd], [], [], quiet_for)
            if not ready:
                return
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                return
            if not data:
                return
            self.buf += data

    def key(self, data):
        """Types `data`; returns the time it was written and the output
        offset from which its frame is looked for."""
        self.drain(0)
        mark = len(self.buf)
        os.write(self.fd, data)
        return time.perf_counter(), mark

    def memory_kib(self):
        status = open(f"/proc/{self.pid}/status").read()
        get = lambda key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1))
        return get("VmRSS"), get("VmHWM")

    def quit(self):
        try:
            os.write(self.fd, b"\x11")  # Ctrl+Q
        except OSError:
            pass
        for _ in range(100):
            try:
                self.drain(0.02)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
        else:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def write_log(path, lines):
    """A saved transcript of `lines` lines; returns the bytes of their text
    (what follows the `HH:MM:SS.mmm C: ` prefix)."""
    rng = random.Random(14)
    texts = [
        ("C:", "RCPT TO:<bob@lab.example>"),
        ("S:", "250 2.1.5 Ok"),
        ("* ", "TLS established in 5.6 ms; certificate CN=mail.lab.example"),
        ("S:", "250-mail.lab.example Привет, это длинная строка ответа сервера"),
        ("C:", "MAIL FROM:<alice@lab.example> BODY=8BITMIME SIZE=1234"),
    ]
    text_bytes = 0
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            prefix, text = texts[rng.randrange(len(texts))]
            text = f"{text} #{i}"
            ms = i % 86_400_000
            f.write(f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02}.{ms % 1000:03} {prefix} {text}\n")
            text_bytes += len(text.encode())
    return text_bytes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_open_log(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True)
    return "--open-log" in out.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/smtpwire")
    ap.add_argument("--lines", default="1000000", help="log sizes besides 0, comma-separated")
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--size", default="200x50", help="COLSxROWS")
    ap.add_argument("--report")
    a = ap.parse_args()
    cols, rows = (int(x) for x in a.size.split("x"))
    sizes = [0] + [int(x) for x in a.lines.split(",") if x and int(x) > 0]
    binary = os.path.abspath(a.binary)
    open_log = has_open_log(binary)
    work = tempfile.mkdtemp(prefix="bench-composer-")
    sink = None
    try:
        env = {
            "HOME": work, "XDG_CONFIG_HOME": f"{work}/config", "XDG_DATA_HOME": f"{work}/data",
            "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
        }
        # Every compose field but the body filled, so the focus starts there.
        letter = ["--from", "a@lab.example", "--to", "b@lab.example", "--cc", "c@lab.example",
                  "--bcc", "d@lab.example", "--subject", "bench"]
        if not open_log:
            port = free_port()
            sink = subprocess.Popen(["/usr/sbin/smtp-sink"] + (["-u", "nobody"] if os.getuid() == 0 else [])
                                    + [f"127.0.0.1:{port}", "100"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.2)
            letter += ["--server", "127.0.0.1", "--port", str(port), "--security", "none",
                       "--helo", "bench.lab.example"]
        results = []
        base_rss = None
        for n in sizes:
            args = list(letter)
            text_bytes = 0
            transcript = None
            if n and open_log:
                path = f"{work}/log-{n}.txt"
                text_bytes = write_log(path, n)
                args += ["--open-log", path]
            elif n:
                transcript = f"{work}/transcript-{n}.txt"
                args += ["--transcript", transcript]
            # Start-up: exec to the first full frame.
            starts = []
            for _ in range(a.starts if (n == 0 or open_log) else 0):
                c = Composer(binary, args, env, (rows, cols))
                try:
                    starts.append(c.wait_frame() - c.started)
                finally:
                    c.quit()
            # Keystrokes and memory, in one more run.
            c = Composer(binary, args, env, (rows, cols))
            try:
                first = c.wait_frame() - c.started
                if n and not open_log:
                    n, text_bytes = fill_by_sessions(c, transcript, n)
                c.drain(0.3)
                rss, hwm = c.memory_kib()
                latencies = []
                for i in range(a.keys):
                    ch = bytes([ord("a") + i % 26]) if i % 61 else b"\r"
                    sent, mark = c.key(ch)
                    latencies.append(c.wait_frame(after=mark, showing=ch if ch != b"\r" else None) - sent)
                rss_after, hwm_after = c.memory_kib()
            finally:
                c.quit()
            if n == 0:
                base_rss = rss
            per_line = ((rss - base_rss) * 1024 - text_bytes) / n if n and base_rss is not None else None
            row = {
                "lines": n, "starts": starts or [first], "keys": latencies, "rss": rss, "hwm": max(hwm, hwm_after),
                "text": text_bytes, "per_line": per_line,
            }
            results.append(row)
            print_row(row)
        if a.report:
            write_report(a, results, open_log, binary)
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait()
        shutil.rmtree(work, ignore_errors=True)


def fill_by_sessions(c, transcript, want):
    """Ctrl+O / Ctrl+D against the sink until the log holds `want` lines;
    returns the lines and their text bytes, read back from --transcript."""
    def count():
        try:
            with open(transcript, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return 0, 0
        return len(lines), sum(len(line[16:].encode()) for line in lines)
    for _ in range(want):  # bounded: every cycle adds lines
        if count()[0] >= want:
            break
        for key in (b"\x0f", b"\x04"):  # Ctrl+O, Ctrl+D
            c.key(key)
            c.drain(0.05)
    return count()


def ms(x):
    return f"{x * 1000:.2f} ms"


def print_row(r):
    k = r["keys"]
    line = (f"{r['lines']:>9} lines: first frame median {ms(statistics.median(r['starts']))} "
            f"(max {ms(max(r['starts']))}); key→frame median {ms(statistics.median(k))}, "
            f"p99 {ms(percentile(k, 99))}, max {ms(max(k))}; RSS {r['rss'] / 1024:.1f} MiB (peak {r['hwm'] / 1024:.1f})")
    if r["per_line"] is not None:
        line += f"; {r['per_line']:.0f} bytes per line beyond its text"
    print(line, flush=True)


def write_report(a, results, open_log, binary):
    lines = [START, "",
             f"Measured {datetime.date.today().isoformat()} by `scripts/bench-composer.py "
             f"--lines {a.lines} --starts {a.starts} --keys {a.keys} --size {a.size}` "
             f"(`nproc` = {os.cpu_count()}; the log filled with "
             + ("`--open-log`" if open_log else "sessions against smtp-sink: this binary has no `--open-log`")
             + ").", "",
             "| log lines | exec → first frame (median, max) | key → its frame (median, p99, max) | RSS after the first frame (peak) | per log line beyond its text |",
             "|---:|---:|---:|---:|---:|"]
    for r in results:
        k = r["keys"]
        per = f"{r['per_line']:.0f} bytes" if r["per_line"] is not None else "—"
        lines.append(f"| {r['lines']:,} | {ms(statistics.median(r['starts']))}, {ms(max(r['starts']))} | "
                     f"{ms(statistics.median(k))}, {ms(percentile(k, 99))}, {ms(max(k))} | "
                     f"{r['rss'] / 1024:.1f} MiB ({r['hwm'] / 1024:.1f} MiB) | {per} |")
    lines += ["", END]
    block = "\n".join(lines)
    with open(a.report) as f:
        text = f.read()
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text += "\n" + block + "\n"
    with open(a.report, "w") as f:
        f.write(text)
    print(f"wrote {a.report}")


if __name__ == "__main__":
    main()
