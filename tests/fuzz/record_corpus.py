#!/usr/bin/env python3
"""Records the seed corpus of the session and message targets from the lab's real servers.

    tests/lab/lab up && tests/fuzz/record_corpus.py LAB_ENV MAILPROBE_BIN_DIR

Put a few round-trip probes in the probe user's mailbox first (check_mail_roundtrip
--keep), then this script:
- speaks to the lab's Postfix and Dovecot the way mailprobe's clients do (over implicit
  TLS, so that logins are allowed) and keeps what the servers answered, prefixed with the
  selector byte of the client path that asks the same (tests/fuzz/targets/*_session.cpp);
- relays mailprobe's plugins and monitoring-plugins' check_smtp, check_pop and check_imap
  to the plain ports through a recording proxy, and keeps what the servers answered;
- keeps the probe messages themselves (roundtrip_message), the reply and response lines
  (smtp_reply, mailbox_lines) and SASL exchanges (sasl).
Messages stay in the mailbox (nothing is deleted or expunged).
"""
import base64
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load_env(path):
    env = {}
    with open(path) as lines:
        for line in lines:
            key, _, value = line.strip().partition("=")
            if key:
                env[key] = value
    return env


def write_seed(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


class Session:
    """A client over implicit TLS that records every byte the server sends."""

    def __init__(self, port, ca_file):
        context = ssl.create_default_context(cafile=ca_file)
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.said = bytearray()
        self.pending = bytearray()

    def line(self):
        while b"\n" not in self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed")
            self.said.extend(data)
            self.pending.extend(data)
        line, _, rest = bytes(self.pending).partition(b"\n")
        self.pending = bytearray(rest)
        return line + b"\n"

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def until(self, predicate):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if predicate(line):
                return lines

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def smtp_reply(session):
    return session.until(lambda line: len(line) >= 4 and line[3:4] != b"-")


def record_smtp(env, password):
    plain = base64.b64encode(f"\0{env['LAB_SENDER']}\0{password}".encode()).decode()
    for selector, name, auth, extra in (
        (2 | 16 | 32, "smtps-auth-plain-from-commands", "AUTH PLAIN " + plain, True),
        (2 | 4 | 16, "smtps-auth-plain", "AUTH PLAIN " + plain, False),
        (2 | 8, "smtps-auth-login", None, False),
        (0, "smtps-ehlo-quit", "", False),
    ):
        s = Session(int(env["LAB_SMTPS_PORT"]), env["LAB_CA_FILE"])
        smtp_reply(s)
        s.send("EHLO probe.example")
        smtp_reply(s)
        if auth:
            s.send(auth)
            smtp_reply(s)
        elif auth is None:
            s.send("AUTH LOGIN")
            smtp_reply(s)
            s.send(base64.b64encode(env["LAB_SENDER"].encode()).decode())
            smtp_reply(s)
            s.send(base64.b64encode(password.encode()).decode())
            smtp_reply(s)
        if selector & 16:
            s.send(f"MAIL FROM:<{env['LAB_SENDER']}>")
            smtp_reply(s)
            s.send("RSET")
            smtp_reply(s)
        if extra:
            s.send("NOOP")
            smtp_reply(s)
            s.send("VRFY postmaster")
            smtp_reply(s)
        s.send("QUIT")
        smtp_reply(s)
        s.close()
        write_seed("smtp_session", name + ".bin", bytes([selector]) + bytes(s.said))
        write_seed("smtp_reply", name + ".txt", bytes(s.said))


def record_pop3(env, password):
    user = env["LAB_PROBE_USER"]
    for selector, name in ((0, "pop3s-user-pass-uidl-top"), (1, "pop3s-auth-plain-uidl-top")):
        s = Session(int(env["LAB_POP3S_PORT"]), env["LAB_CA_FILE"])
        s.line()
        s.send("CAPA")
        s.until(lambda line: line.rstrip() == b".")
        if selector == 0:
            s.send(f"USER {user}")
            s.line()
            s.send(f"PASS {password}")
            s.line()
        else:
            s.send("AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
            s.line()
        s.send("UIDL")
        listing = s.until(lambda line: line.rstrip() == b".")
        numbers = [line.split()[0].decode() for line in listing[1:-1]]
        for number in numbers:
            s.send(f"TOP {number} 0")
            s.until(lambda line: line.rstrip() == b".")
            s.send("NOOP")  # where mailprobe deletes, the lab keeps its probes
            s.line()
        s.send("QUIT")
        s.line()
        s.close()
        write_seed("pop3_session", name + ".bin", bytes([selector]) + bytes(s.said))
        for index, line in enumerate(bytes(s.said).split(b"\r\n")[:40]):
            if line.startswith((b"+", b"-")):
                write_seed("mailbox_lines", f"pop3-{name}-{index}.bin", b"\0" + line)


def record_imap(env, password):
    user = env["LAB_PROBE_USER"]
    for selector, name in ((0, "imaps-login-search-fetch"), (8 | 2, "imaps-plain-idle"),
                           (8 | 3, "imaps-xoauth2-refused")):
        s = Session(int(env["LAB_IMAPS_PORT"]), env["LAB_CA_FILE"])
        tag = iter(range(1, 100))

        def command(text):
            t = f"a{next(tag)}"
            s.send(f"{t} {text}")
            return s.until(lambda line: line.startswith(t.encode() + b" "))

        s.line()
        command("CAPABILITY")
        if selector & 3 == 0:
            command(f'LOGIN "{user}" "{password}"')
        elif selector & 3 == 2:
            command("AUTHENTICATE PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode())
        else:
            token = base64.b64encode(f"user={user}\x01auth=Bearer not-a-token\x01\x01".encode()).decode()
            s.send(f"a{next(tag)} AUTHENTICATE XOAUTH2 {token}")
            first = s.line()
            if first.startswith(b"+"):
                s.send("")
                s.line()
            s.close()
            write_seed("imap_session", name + ".bin", bytes([selector]) + bytes(s.said))
            continue
        command("CAPABILITY")
        command("SELECT INBOX")
        found = command('UID SEARCH UID 1:* HEADER X-Mailprobe-Probe ""')
        uids = []
        for line in found:
            if line.startswith(b"* SEARCH"):
                uids = line.split()[2:]
        uid_set = ",".join(u.decode() for u in uids) or "1"
        fetched = command(f"UID FETCH {uid_set} (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (X-Mailprobe-Probe Date)])")
        if selector & 8:
            s.send(f"a{next(tag)} IDLE")
            s.line()
            time.sleep(0.3)
            s.send("DONE")
            s.line()
        command("NOOP")  # where mailprobe deletes, the lab keeps its probes
        command("LOGOUT")
        s.close()
        write_seed("imap_session", name + ".bin", bytes([selector]) + bytes(s.said))
        said = bytes(s.said)
        for index, line in enumerate(said.split(b"\r\n")[:60]):
            if line:
                write_seed("mailbox_lines", f"imap-{name}-{index}.bin", b"\1" + line)
        for index, line in enumerate(fetched[:-1]):
            if line.rstrip().endswith(b"}"):
                size = int(line.rstrip()[line.rstrip().rfind(b"{") + 1:-1])
                literal = b"".join(fetched[index + 1:])[:size]
                write_seed("mailbox_lines", f"imap-fetch-literal-{index}.bin", b"\1" + line.rstrip() + b"\0" + literal)


def record_messages(env, password):
    s = Session(int(env["LAB_IMAPS_PORT"]), env["LAB_CA_FILE"])
    s.line()
    s.send(f'a1 LOGIN "{env["LAB_PROBE_USER"]}" "{password}"')
    s.until(lambda line: line.startswith(b"a1 "))
    s.send("a2 EXAMINE INBOX")
    s.until(lambda line: line.startswith(b"a2 "))
    s.send("a3 FETCH 1:3 (BODY.PEEK[])")
    lines = s.until(lambda line: line.startswith(b"a3 "))
    data = b"".join(lines)
    count = 0
    at = 0
    while True:
        brace = data.find(b"BODY[] {", at)
        if brace < 0:
            break
        close = data.index(b"}", brace)
        size = int(data[brace + 8:close])
        start = close + 3
        count += 1
        write_seed("roundtrip_message", f"lab-probe-{count}.eml", data[start:start + size])
        at = start + size
    s.send("a4 LOGOUT")
    s.close()


def proxy_once(listen_port, upstream_port, out):
    """Relays one connection, records what the server sent into out (a bytearray)."""
    listener = socket.create_server(("127.0.0.1", listen_port))
    listener.settimeout(20)

    def run():
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", upstream_port), timeout=20)

        def relay(source, sink, record):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    if record:
                        out.extend(data)
                    sink.sendall(data)
            except OSError:
                pass
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        upward = threading.Thread(target=relay, args=(client, server, False))
        upward.start()
        relay(server, client, True)
        upward.join(timeout=20)
        listener.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def record_tools(env, bindir):
    proxy_port = 26900 if "LAB_PROXY_PORT" not in env else int(env["LAB_PROXY_PORT"])
    reference = "/usr/lib/nagios/plugins"
    runs = [
        ("smtp_session", 0, "mailprobe-check_smtp", [f"{bindir}/check_smtp", "-H", "127.0.0.1", "-F", "probe.example"], "LAB_SMTP_PORT"),
        ("smtp_session", 1, "mailprobe-check_smtp-lmtp", [f"{bindir}/check_smtp", "-H", "127.0.0.1", "-L"], "LAB_LMTP_PORT"),
        ("smtp_session", 0, "monitoring-plugins-check_smtp", [f"{reference}/check_smtp", "-H", "127.0.0.1"], "LAB_SMTP_PORT"),
        ("pop3_session", 4, "mailprobe-check_pop", [f"{bindir}/check_pop", "-H", "127.0.0.1"], "LAB_POP3_PORT"),
        ("pop3_session", 4, "monitoring-plugins-check_pop", [f"{reference}/check_pop", "-H", "127.0.0.1"], "LAB_POP3_PORT"),
        ("imap_session", 16, "mailprobe-check_imap", [f"{bindir}/check_imap", "-H", "127.0.0.1"], "LAB_IMAP_PORT"),
        ("imap_session", 16, "monitoring-plugins-check_imap", [f"{reference}/check_imap", "-H", "127.0.0.1"], "LAB_IMAP_PORT"),
    ]
    for target, selector, name, command, port_key in runs:
        if not os.path.exists(command[0]):
            print(f"record_corpus: {command[0]} is not installed; {name} left out", file=sys.stderr)
            continue
        said = bytearray()
        thread = proxy_once(proxy_port, int(env[port_key]), said)
        subprocess.run(command + ["-p", str(proxy_port)], stdout=subprocess.DEVNULL, timeout=30, check=False)
        thread.join(timeout=30)
        write_seed(target, name + ".bin", bytes([selector]) + bytes(said))
        if target == "smtp_session":
            write_seed("smtp_reply", name + ".txt", bytes(said))


def record_sasl(env, password):
    user = env["LAB_PROBE_USER"]
    write_seed("sasl", "plain.bin", b"\0" + f"{user}\0lab-password".encode())
    write_seed("sasl", "xoauth2.bin", b"\1" + f"{user}\0ya29.a0-token".encode())
    error = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
    write_seed("sasl", "xoauth2-error-challenge.bin", b"\0" + base64.b64encode(error))
    write_seed("sasl", "login-username-challenge.bin", b"\0" + base64.b64encode(b"Username:"))


def main():
    env = load_env(sys.argv[1])
    bindir = sys.argv[2]
    password = open(env["LAB_PROBE_PASSWORD_FILE"]).read().strip()
    sender_password = open(env["LAB_SENDER_PASSWORD_FILE"]).read().strip()
    record_smtp(env, sender_password)
    record_pop3(env, password)
    record_imap(env, password)
    record_messages(env, password)
    record_tools(env, bindir)
    record_sasl(env, password)


if __name__ == "__main__":
    main()
