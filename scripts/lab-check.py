#!/usr/bin/env python3
"""Self-check of the smtpwire test mail lab (scripts/lab.sh), standard library only.

    eval "$(scripts/lab.sh env)" && python3 scripts/lab-check.py

Talks to the running lab exactly as a client would (TLS verified against the lab
CA, never disabled) and prints one line per check and a closing
"N passed, N failed" line; exit status 1 if any check failed. Letters it sends
carry a per-run token, so it needs no reset-mail and leaves counts of other
letters alone (it adds its own letters to bob's, carol's and dave's INBOX).
"""

import base64
import email
import email.policy
import email.utils
import imaplib
import os
import smtplib
import socket
import ssl
import sys
import time
import uuid

ENV = os.environ
if ENV.get("SMTPWIRE_LAB") != "1":
    sys.exit('lab-check: run  eval "$(scripts/lab.sh env)"  first')

HOST = ENV["SMTPWIRE_LAB_HOST"]
DOMAIN = ENV["SMTPWIRE_LAB_DOMAIN"]
P_SMTP = int(ENV["SMTPWIRE_LAB_SMTP_PORT"])
P_SUB = int(ENV["SMTPWIRE_LAB_SUBMISSION_PORT"])
P_SUBS = int(ENV["SMTPWIRE_LAB_SUBMISSIONS_PORT"])
P_IMAP = int(ENV["SMTPWIRE_LAB_IMAP_PORT"])
P_IMAPS = int(ENV["SMTPWIRE_LAB_IMAPS_PORT"])
CTX = ssl.create_default_context(cafile=ENV["SMTPWIRE_LAB_CA"])
HELO = "client." + DOMAIN
TOKEN = uuid.uuid4().hex[:12]
USERS = {u: (ENV[f"SMTPWIRE_LAB_{u.upper()}_USER"], ENV[f"SMTPWIRE_LAB_{u.upper()}_PASSWORD"])
         for u in ENV["SMTPWIRE_LAB_USERS"].split()}

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def smtp(port, tls=None):
    """tls: None (plain), 'starttls', 'implicit'."""
    if tls == "implicit":
        s = smtplib.SMTP_SSL(HOST, port, local_hostname=HELO, context=CTX, timeout=30)
    else:
        s = smtplib.SMTP(HOST, port, local_hostname=HELO, timeout=30)
    s.ehlo()
    if tls == "starttls":
        s.starttls(context=CTX)
        s.ehlo()
    return s


def auth(s, mech, user, password):
    """AUTH by hand: smtplib encodes credentials as ASCII only."""
    u, p = user.encode(), password.encode()
    if mech == "PLAIN":
        return s.docmd("AUTH", "PLAIN " + b64(b"\0" + u + b"\0" + p))
    code, _ = s.docmd("AUTH", "LOGIN")
    if code != 334:
        return code, _
    code, _ = s.docmd(b64(u))
    if code != 334:
        return code, _
    return s.docmd(b64(p))


def send_raw(s, sender, rcpts, data: bytes, opts=()):
    """MAIL/RCPT/DATA; returns (per-recipient codes, final code)."""
    code, msg = s.mail(sender, list(opts))
    if code != 250:
        return {}, (code, msg)
    codes = {r: s.rcpt(r)[0] for r in rcpts}
    if not any(c == 250 for c in codes.values()):
        s.rset()
        return codes, (None, b"")
    return codes, s.data(data)


def letter(subject, to, extra=b"", date=True, msgid=True):
    h = f"From: Lab Check <alice@{DOMAIN}>\r\nTo: {to}\r\n".encode()
    h += b"Subject: " + subject.encode() + b"\r\n"
    if date:
        h += b"Date: " + email.utils.formatdate(localtime=True).encode() + b"\r\n"
    if msgid:
        h += f"Message-ID: <{uuid.uuid4().hex}@{DOMAIN}>\r\n".encode()
    return h + extra + b"\r\nbody\r\n"


# ------------------------------------------------------------------ SMTP
def smtp_checks():
    # submission before STARTTLS: STARTTLS offered, AUTH not.
    s = smtp(P_SUB)
    check("submission: STARTTLS offered before TLS", s.has_extn("starttls"))
    check("submission: no AUTH before STARTTLS", not s.has_extn("auth"))
    code, _ = s.mail(f"alice@{DOMAIN}")
    rc = s.rcpt(f"bob@{DOMAIN}")[0] if code == 250 else code
    check("submission: RCPT refused without AUTH", 500 <= rc < 600, rc)
    s.quit()

    s = smtp(P_SUB, "starttls")
    mechs = (s.esmtp_features.get("auth") or "").upper().split()
    check("submission: AUTH PLAIN LOGIN after STARTTLS", {"PLAIN", "LOGIN"} <= set(mechs), mechs)
    for ext in ("size", "pipelining", "8bitmime", "enhancedstatuscodes", "dsn", "smtputf8"):
        check(f"submission: {ext.upper()} advertised", s.has_extn(ext))
    check("submission: SIZE is 70 MiB", s.esmtp_features.get("size") == "73400320",
          s.esmtp_features.get("size"))
    code, msg = auth(s, "LOGIN", USERS["alice"][0], "wrong password")
    check("submission: wrong password -> 535", code == 535, (code, msg))
    s.quit()

    for user in USERS:
        for mech in ("PLAIN", "LOGIN"):
            s = smtp(P_SUB, "starttls")
            code, msg = auth(s, mech, *USERS[user])
            check(f"submission: AUTH {mech} {user}", code == 235, (code, msg))
            s.quit()

    # Letters for the IMAP checks.
    s = smtp(P_SUB, "starttls")
    auth(s, "PLAIN", *USERS["alice"])
    codes, (code, _) = send_raw(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}", f"nobody@{DOMAIN}"],
                                letter(f"{TOKEN} nodate", f"bob@{DOMAIN}", date=False, msgid=False))
    check("submission: unknown recipient -> 5xx, other accepted",
          codes.get(f"bob@{DOMAIN}") == 250 and 500 <= codes.get(f"nobody@{DOMAIN}", 0) < 600, codes)
    check("submission: letter without Date/Message-ID queued", code == 250, code)
    cyr = "=?UTF-8?B?" + b64(f"{TOKEN} Привет, Боб! Ёжик".encode()) + "?="
    extra = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" \
            b"Content-Transfer-Encoding: 8bit\r\n"
    data = letter(cyr, f"bob@{DOMAIN}", extra).replace(b"\r\nbody\r\n", "\r\nСъешь же ещё этих булок.\r\n".encode())
    _, (code, _) = send_raw(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], data, ["BODY=8BITMIME"])
    check("submission: Cyrillic letter queued", code == 250, code)
    s.quit()

    s = smtp(P_SUBS, "implicit")
    code, _ = auth(s, "LOGIN", *USERS["dave"])
    check("submissions: implicit TLS + AUTH LOGIN (UTF-8 password)", code == 235, code)
    _, (code, _) = send_raw(s, f"dave@{DOMAIN}", [f"carol@{DOMAIN}"], letter(f"{TOKEN} implicit", f"carol@{DOMAIN}"))
    check("submissions: letter queued", code == 250, code)
    s.quit()

    s = smtp(P_SMTP)
    check("smtp: no AUTH offered", not s.has_extn("auth"))
    check("smtp: STARTTLS offered", s.has_extn("starttls"))
    code, msg = s.mail("someone@outside.example")
    check("smtp: MAIL from an outside sender accepted", code == 250, (code, msg))
    code, msg = s.rcpt("someone@other.example")
    check("smtp: relay to another domain -> 5xx", 500 <= code < 600, (code, msg))
    s.rset()
    utf = f"From: Пётр <пётр@outside.example>\r\nTo: dave@{DOMAIN}\r\nSubject: {TOKEN} smtputf8 Привет\r\n" \
          f"\r\nтело\r\n".encode()
    _, (code, _) = send_raw(s, "пётр@outside.example", [f"dave@{DOMAIN}"], utf, ["SMTPUTF8", "BODY=8BITMIME"])
    check("smtp: SMTPUTF8 letter queued", code == 250, code)
    s.quit()

    s = smtp(P_SMTP, "starttls")
    _, (code, _) = send_raw(s, "x@outside.example", [f"dave@{DOMAIN}"], letter(f"{TOKEN} plain25", f"dave@{DOMAIN}"))
    check("smtp: letter over optional STARTTLS queued", code == 250, code)
    s.quit()


# ------------------------------------------------------------------ IMAP
def imap_login(user, port=P_IMAP, mode="starttls"):
    if mode == "implicit":
        m = imaplib.IMAP4_SSL(HOST, port, ssl_context=CTX)
    else:
        m = imaplib.IMAP4(HOST, port)
        if mode == "starttls":
            m.starttls(ssl_context=CTX)
    login, password = USERS[user]
    # AUTHENTICATE PLAIN: imaplib's LOGIN sends ASCII only (dave's password is UTF-8).
    m.authenticate("PLAIN", lambda _: b"\0" + login.encode() + b"\0" + password.encode())
    m.select("INBOX", readonly=True)
    return m


def find(m, tag):
    typ, data = m.search(None, "SUBJECT", f'"{TOKEN} {tag}"')
    return data[0].split() if typ == "OK" else []


def wait_find(user, tag, timeout=15):
    deadline = time.time() + timeout
    while True:
        m = imap_login(user)
        nums = find(m, tag)
        if nums or time.time() > deadline:
            return m, nums
        m.logout()
        time.sleep(0.3)


def imap_checks():
    m = imaplib.IMAP4(HOST, P_IMAP)
    check("imap: STARTTLS offered", "STARTTLS" in m.capabilities)
    login, password = USERS["alice"]
    typ, _ = m.login(login, password)
    check("imap: plaintext LOGIN allowed on loopback", typ == "OK")
    m.logout()
    m = imap_login("carol", P_IMAPS, "implicit")
    check("imaps: implicit TLS login", m.state == "SELECTED")
    m.logout()

    m, nums = wait_find("bob", "nodate")
    check("imap: letter without Date/Message-ID delivered exactly once", len(nums) == 1, nums)
    if nums:
        _, d = m.fetch(nums[0], "(BODY.PEEK[HEADER])")
        hdr = email.message_from_bytes(d[0][1])
        check("imap: Postfix added no Date", hdr["Date"] is None, hdr["Date"])
        check("imap: Postfix added no Message-ID", hdr["Message-ID"] is None, hdr["Message-ID"])
    m.logout()

    m = imap_login("bob")
    # Non-ASCII search text goes as a UTF-8 literal.
    m.literal = f"{TOKEN} Привет".encode()
    typ, d = m.search("UTF-8", "SUBJECT")
    nums = d[0].split() if typ == "OK" else []
    check("imap: Cyrillic letter found by UTF-8 SEARCH, once", len(nums) == 1, (typ, d))
    if nums:
        _, d = m.fetch(nums[-1], "(BODY.PEEK[])")
        msg = email.message_from_bytes(d[0][1], policy=email.policy.default)
        check("imap: Cyrillic subject intact", msg["Subject"] == f"{TOKEN} Привет, Боб! Ёжик", msg["Subject"])
        check("imap: Cyrillic body intact", "Съешь же ещё этих булок." in msg.get_content())
    m.logout()

    for user, tag in (("carol", "implicit"), ("dave", "smtputf8"), ("dave", "plain25")):
        m, nums = wait_find(user, tag)
        check(f"imap: '{tag}' letter delivered to {user} exactly once", len(nums) == 1, nums)
        m.logout()


def main():
    for port in (P_SMTP, P_SUB, P_SUBS, P_IMAP, P_IMAPS):
        try:
            socket.create_connection((HOST, port), timeout=3).close()
        except OSError as e:
            sys.exit(f"lab-check: {HOST}:{port} does not answer ({e}); start the lab: scripts/lab.sh start")
    for part in (smtp_checks, imap_checks):
        try:
            part()
        except Exception as e:  # report, go on with the next part
            check(f"{part.__name__} ran to the end", False, repr(e))
    print(f"lab-check: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
