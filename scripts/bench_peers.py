#!/usr/bin/env python3
"""The measuring half of scripts/bench-peers.sh (run that, not this).

Runs every tool on every case, alternating the tools within each round so a
noisy moment hits them all alike; measures wall time around each process and
reads its peak memory from GNU time (%M); writes a Markdown table into the
"side by side" section of docs/PERFORMANCE.md.
"""

import argparse
import datetime
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import time

START = "<!-- bench-peers:start -->"
END = "<!-- bench-peers:end -->"


def env(name):
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"{name} is not set: run scripts/bench-peers.sh, which starts the lab")
    return value


def write_inputs(work):
    """A small letter, a 20 MB text body (and the same as a whole letter for
    tools that send raw files), all with CRLF line ends."""
    small_body = "Hello Bob,\n\nthis is one small letter for the benchmark.\n\nAlice\n"
    head = (
        "Date: Thu, 26 Nov 2026 09:15:00 +0300\r\nFrom: alice@lab.example\r\nTo: bob@lab.example\r\n"
        "Subject: bench\r\nMessage-ID: <bench.1@lab.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    )
    paths = {}
    paths["small_body"] = os.path.join(work, "small.txt")
    with open(paths["small_body"], "w", newline="") as f:
        f.write(small_body)
    paths["small_eml"] = os.path.join(work, "small.eml")
    with open(paths["small_eml"], "w", newline="") as f:
        f.write(head + small_body.replace("\n", "\r\n"))
    words = "the quick brown fox jumps over the lazy dog pack my box with five dozen liquor jugs".split()
    rng = random.Random(7)
    lines, size = [], 0
    while size < 20 * 1024 * 1024:
        line = " ".join(rng.choice(words) for _ in range(12))
        lines.append(line)
        size += len(line) + 2
    big = "\r\n".join(lines) + "\r\n"
    paths["big_body"] = os.path.join(work, "big.txt")
    with open(paths["big_body"], "w", newline="") as f:
        f.write(big)
    paths["big_eml"] = os.path.join(work, "big.eml")
    with open(paths["big_eml"], "w", newline="") as f:
        f.write(head + big)
    paths["body_mb"] = len(big) / (1024 * 1024)
    # 100 MB of incompressible bytes to attach (base64 makes 137 MB of it).
    paths["attachment"] = os.path.join(work, "data.bin")
    with open(paths["attachment"], "wb") as f:
        chunk = random.Random(11).randbytes(1024 * 1024)
        for i in range(100):
            f.write(bytes([i]) + chunk[1:])
    paths["attachment_mb"] = 100.0
    return paths


def commands(a, p):
    host, sink = "127.0.0.1", str(a.sink_port)
    sub, ca = env("SMTPWIRE_LAB_SUBMISSION_PORT"), env("SMTPWIRE_LAB_CA")
    user, password = env("SMTPWIRE_LAB_ALICE_USER"), env("SMTPWIRE_LAB_ALICE_PASSWORD")
    helo = "bench.lab.example"
    frm, to = "alice@lab.example", "bob@lab.example"
    sw = [a.binary, "send", "--server", host, "--helo", helo, "--from", frm, "--to", to, "--subject", "bench", "--quiet"]
    py_plain = (
        "import smtplib,sys;s=smtplib.SMTP(sys.argv[1],int(sys.argv[2]),local_hostname=sys.argv[3]);"
        "s.sendmail(sys.argv[4],[sys.argv[5]],open(sys.argv[6],'rb').read());s.quit()"
    )
    py_tls = (
        "import smtplib,ssl,sys;s=smtplib.SMTP(sys.argv[1],int(sys.argv[2]),local_hostname=sys.argv[3]);"
        "s.starttls(context=ssl.create_default_context(cafile=sys.argv[7]));s.login(sys.argv[4],sys.argv[8]);"
        "s.sendmail(sys.argv[4],[sys.argv[5]],open(sys.argv[6],'rb').read());s.quit()"
    )
    py_many = (
        "import smtplib,sys;s=smtplib.SMTP(sys.argv[1],int(sys.argv[2]),local_hostname=sys.argv[3]);"
        "m=open(sys.argv[6],'rb').read();[s.sendmail(sys.argv[4],[sys.argv[5]],m) for _ in range(1000)];s.quit()"
    )
    fl = [a.floor, f"{host}:{sink}", helo, frm, to]
    curl_next = []
    for _ in range(999):
        curl_next += ["--next", f"smtp://{host}:{sink}/{helo}", "--mail-from", frm, "--mail-rcpt", to, "-T", p["small_eml"]]
    pw = {"SMTPWIRE_PASSWORD": password}
    return {
        "one small letter, plain": [
            ("smtpwire", sw + ["--port", sink, "--security", "none", "--body-file", p["small_body"]], {}, None),
            ("curl", ["curl", "-s", f"smtp://{host}:{sink}/{helo}", "--mail-from", frm, "--mail-rcpt", to, "-T", p["small_eml"]], {}, None),
            ("msmtp", ["msmtp", f"--host={host}", f"--port={sink}", "--tls=off", "--auth=off", f"--domain={helo}", f"--from={frm}", to], {}, p["small_eml"]),
            ("swaks", ["swaks", "--server", f"{host}:{sink}", "--helo", helo, "--from", frm, "--to", to, "--data", p["small_eml"], "--silent", "2"], {}, None),
            ("python smtplib", ["python3", "-c", py_plain, host, sink, helo, frm, to, p["small_eml"]], {}, None),
            ("smtp-source", ["/usr/sbin/smtp-source", "-s", "1", "-m", "1", "-l", "200", "-f", frm, "-t", to, f"{host}:{sink}"], {}, None),
            ("floor", fl + [p["small_eml"]], {}, None),
        ],
        "one small letter, STARTTLS + AUTH": [
            ("smtpwire", sw + ["--port", sub, "--security", "starttls", "--ca-file", ca, "--user", user, "--body-file", p["small_body"]], pw, None),
            ("curl", ["curl", "-s", "--ssl-reqd", "--cacert", ca, "--user", f"{user}:{password}", f"smtp://{host}:{sub}/{helo}", "--mail-from", frm, "--mail-rcpt", to, "-T", p["small_eml"]], {}, None),
            ("msmtp", ["msmtp", f"--host={host}", f"--port={sub}", "--tls=on", "--tls-starttls=on", f"--tls-trust-file={ca}", "--auth=plain", f"--user={user}", f"--passwordeval=echo {shlex.quote(password)}", f"--domain={helo}", f"--from={frm}", to], {}, p["small_eml"]),
            ("swaks", ["swaks", "--server", f"{host}:{sub}", "--tls", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password, "--helo", helo, "--from", frm, "--to", to, "--data", p["small_eml"], "--silent", "2"], {}, None),
            ("python smtplib", ["python3", "-c", py_tls, host, sub, helo, frm, to, p["small_eml"], ca, password], {}, None),
        ],
        "one 20 MB letter, plain": [
            ("smtpwire", sw + ["--port", sink, "--security", "none", "--body-file", p["big_body"]], {}, None),
            ("curl", ["curl", "-s", f"smtp://{host}:{sink}/{helo}", "--mail-from", frm, "--mail-rcpt", to, "-T", p["big_eml"]], {}, None),
            ("msmtp", ["msmtp", f"--host={host}", f"--port={sink}", "--tls=off", "--auth=off", f"--domain={helo}", f"--from={frm}", to], {}, p["big_eml"]),
            ("swaks", ["swaks", "--server", f"{host}:{sink}", "--helo", helo, "--from", frm, "--to", to, "--data", p["big_eml"], "--silent", "2"], {}, None),
            ("python smtplib", ["python3", "-c", py_plain, host, sink, helo, frm, to, p["big_eml"]], {}, None),
            ("smtp-source", ["/usr/sbin/smtp-source", "-s", "1", "-m", "1", "-l", str(20 * 1024 * 1024), "-f", frm, "-t", to, f"{host}:{sink}"], {}, None),
            ("floor", fl + [p["big_eml"]], {}, None),
        ],
        "one 100 MB attachment, plain": [
            ("smtpwire", sw + ["--port", sink, "--security", "none", "--body-file", p["small_body"], "--attach", p["attachment"]], {}, None),
            ("curl", ["curl", "-s", f"smtp://{host}:{sink}/{helo}", "--mail-from", frm, "--mail-rcpt", to,
                      "-H", "Subject: bench", "-H", f"From: {frm}", "-H", f"To: {to}",
                      "-F", f"=<{p['small_body']};type=text/plain",
                      "-F", f"=@{p['attachment']};type=application/octet-stream;encoder=base64"], {}, None),
        ],
        "1000 letters, one connection": [
            ("smtpwire", sw + ["--port", sink, "--security", "none", "--body-file", p["small_body"], "--repeat", "1000"], {}, None),
            ("curl", ["curl", "-s", f"smtp://{host}:{sink}/{helo}", "--mail-from", frm, "--mail-rcpt", to, "-T", p["small_eml"]] + curl_next, {}, None),
            ("python smtplib", ["python3", "-c", py_many, host, sink, helo, frm, to, p["small_eml"]], {}, None),
            ("smtp-source", ["/usr/sbin/smtp-source", "-d", "-s", "1", "-m", "1000", "-l", "200", "-f", frm, "-t", to, f"{host}:{sink}"], {}, None),
            ("floor", fl + [p["small_eml"], "1000"], {}, None),
        ],
        "1000 letters, 4 sessions": [
            ("smtpwire", sw + ["--port", sink, "--security", "none", "--body-file", p["small_body"], "--repeat", "1000", "--parallel", "4"], {}, None),
            ("smtp-source", ["/usr/sbin/smtp-source", "-d", "-s", "4", "-m", "1000", "-l", "200", "-f", frm, "-t", to, f"{host}:{sink}"], {}, None),
            ("floor", fl + [p["small_eml"], "1000", "4"], {}, None),
        ],
    }


def run_once(argv, extra_env, stdin_path, work):
    rss_file = os.path.join(work, "rss")
    e = dict(os.environ)
    e.update(extra_env)
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, env=e, stdin=stdin,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - started
    finally:
        if stdin_path:
            stdin.close()
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
    with open(rss_file) as f:
        rss_kib = int(f.read().split()[-1])
    return wall, rss_kib


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout + subprocess.run(cmd, capture_output=True, text=True).stderr
        return out.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--work", required=True)
    ap.add_argument("--sink-port", type=int, required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--floor", required=True, help="the compiled scripts/floor/floor.rs")
    ap.add_argument("--report", required=True)
    a = ap.parse_args()
    p = write_inputs(a.work)
    cases = commands(a, p)
    results = {}
    for case, tools in cases.items():
        runs = a.runs
        print(f"== {case}: {len(tools)} tools x {runs} runs, alternating", flush=True)
        # One warm-up round (page cache, lazily loaded libraries).
        for name, argv, extra, stdin in tools:
            run_once(argv, extra, stdin, a.work)
        samples = {name: [] for name, *_ in tools}
        for _ in range(runs):
            for name, argv, extra, stdin in tools:
                samples[name].append(run_once(argv, extra, stdin, a.work))
        results[case] = samples
        for name, s in samples.items():
            walls = [w for w, _ in s]
            print(f"   {name:15} median {statistics.median(walls) * 1000:8.1f} ms", flush=True)
    write_report(a, p, cases, results)


def fmt_ms(x):
    return f"{x * 1000:.1f}" if x < 0.1 else f"{x * 1000:.0f}"


def write_report(a, p, cases, results):
    lines = [START, ""]
    lines.append(f"Measured {datetime.date.today().isoformat()} by `scripts/bench-peers.sh {a.runs}` "
                 f"({a.runs} runs per tool and case after one warm-up round, tools alternating within each round; "
                 f"`nproc` = {os.cpu_count()}). Wall time is the whole process; peak memory is GNU time's `%M`.")
    lines.append("")
    for case, samples in results.items():
        many = case.startswith("1000")
        big = "20 MB" in case
        lines.append(f"#### {case}")
        lines.append("")
        header = "| tool | median wall | min – max | peak RSS (median) |"
        sep = "|---|---:|---:|---:|"
        if many:
            header += " letters/s |"
            sep += "---:|"
        lines += [header, sep]
        medians = {}
        for name, s in samples.items():
            walls = sorted(w for w, _ in s)
            rss = statistics.median(r for _, r in s)
            med = statistics.median(walls)
            medians[name] = med
            row = f"| {name} | {fmt_ms(med)} ms | {fmt_ms(walls[0])} – {fmt_ms(walls[-1])} ms | {rss / 1024:.1f} MiB |"
            if many:
                row += f" {1000 / med:,.0f} |"
            lines.append(row)
        lines.append("")
        sw = medians.get("smtpwire")
        ratios = []
        for peer in ("curl", "python smtplib", "msmtp", "swaks", "smtp-source"):
            if peer in medians and sw:
                ratios.append(f"{peer} {medians[peer] / sw:.2f}×")
        if ratios:
            lines.append("smtpwire's speed relative to each peer (peer's median ÷ smtpwire's; above 1 = smtpwire faster): "
                         + ", ".join(ratios) + ".")
        if "floor" in medians and sw:
            lines.append(f"smtpwire's time relative to the floor client (smtpwire's median ÷ the floor's): "
                         f"{sw / medians['floor']:.2f}×.")
        if big:
            sw_rss = statistics.median(r for _, r in samples["smtpwire"]) / 1024
            lines.append(f"smtpwire's peak memory is {sw_rss / p['body_mb']:.2f}× the body size ({p['body_mb']:.1f} MiB).")
        if "attachment" in case:
            sw_rss = statistics.median(r for _, r in samples["smtpwire"]) / 1024
            lines.append(f"smtpwire's peak memory sending the {p['attachment_mb']:.0f} MB attachment: {sw_rss:.1f} MiB "
                         f"(the file is read and encoded in pieces, never held whole).")
        lines.append("")
    lines.append("Versions: " + "; ".join([
        version([a.binary, "--version"]),
        version(["curl", "--version"]),
        version(["msmtp", "--version"]),
        version(["swaks", "--version"]),
        "Python " + sys.version.split()[0],
        "Postfix " + version(["/usr/sbin/postconf", "-d", "-h", "mail_version"]),
    ]) + ".")
    lines.append("")
    lines.append("The exact commands (ports and paths as in this run; `$PASSWORD` stands for the lab user's password; "
                 "`floor` is scripts/floor/floor.rs built with `rustc -O --edition 2021`):")
    lines.append("")
    lines.append("```")
    password = env("SMTPWIRE_LAB_ALICE_PASSWORD")
    for case, tools in cases.items():
        lines.append(f"# {case}")
        for name, argv, extra, stdin in tools:
            shown = argv if name != "curl" or not case.startswith("1000") else argv[:10] + ["--next … (999 more, the same)"]
            if name == "floor":
                shown = ["floor"] + argv[1:]
            cmd = " ".join(shlex.quote(x) for x in shown)
            cmd = cmd.replace(shlex.quote(password), "$PASSWORD").replace(password, "$PASSWORD")
            prefix = "SMTPWIRE_PASSWORD=$PASSWORD " if extra else ""
            suffix = f" < {stdin}" if stdin else ""
            lines.append(f"{prefix}{cmd}{suffix}")
    lines.append("```")
    lines += ["", END]
    block = "\n".join(lines)
    try:
        with open(a.report) as f:
            text = f.read()
    except FileNotFoundError:
        text = f"# Performance\n\n{START}\n{END}\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text += "\n" + block + "\n"
    with open(a.report, "w") as f:
        f.write(text)
    print(f"wrote {a.report}")


if __name__ == "__main__":
    main()
