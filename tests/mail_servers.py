"""Real mail servers for the tests, on loopback: aiosmtpd's SMTP server (with
STARTTLS and AUTH, as a university's submission server has) that keeps what
it receives, and Debian's Dovecot as the IMAP server of the reply mailbox
(IMAPS with a test user), started and stopped by the tests themselves.

Both use one self-signed certificate for 127.0.0.1; the bot trusts it
through `[email] ca_file`, as it would a university's private CA.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import os
import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.loopback import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
# aiosmtpd logs a warning about its own deprecated attribute on every AUTH
logging.getLogger("mail.log").setLevel(logging.ERROR)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate (and key) for 127.0.0.1 and localhost, valid a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def mail(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH with one login."""

    cert: Path
    key: Path
    user: str = "allies-bot"
    password: str = "smtp-secret"
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    defer: set[str] = field(default_factory=set)  # recipients answered 451
    hang_up_after: int | None = None  # accept this many mails, then drop the connection
    _controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        if address in self.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hang_up_after is not None and len(self.received) >= self.hang_up_after:
            self.hang_up_after = None
            server.transport.close()  # as a server restarting mid-session does
            return "421 4.3.2 closing connection"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok)

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
            ready_timeout=10,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """At least `count` mails received (all of them are returned)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} mails arrived")
            await asyncio.sleep(0.05)
        return list(self.received)

    def toml(self, ca_file: Path) -> str:
        return (
            "[email]\n"
            f'host = "127.0.0.1"\nport = {self.port}\nsecurity = "starttls"\n'
            f'username = "{self.user}"\nfrom = "ALLIES bot <allies-bot@example.org>"\n'
            f'ca_file = "{ca_file}"\n'
        )


@dataclass
class Dovecot:
    """Dovecot serving IMAPS on 127.0.0.1 for one user, all under `folder`
    (its own folder in /tmp by default: the mail user must reach it)."""

    cert: Path
    key: Path
    user: str = "bot"
    password: str = "imap-secret"
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dovecot-")))
    _process: subprocess.Popen | None = None

    def _config(self) -> Path:
        # Dovecot's helpers run as whoever runs the tests, except that mail is
        # never accessed as root: then the mailbox belongs to the `dovecot` user.
        uid, gid = os.getuid(), os.getgid()
        me = "root" if uid == 0 else (os.environ.get("USER") or str(uid))
        login = "dovenull" if uid == 0 else me
        home = self.folder / "home"
        home.mkdir(exist_ok=True)
        if uid == 0:
            import pwd

            mail_user = pwd.getpwnam("dovecot")
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            self.folder.chmod(0o755)
            os.chown(home, uid, gid)
        (self.folder / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        conf = self.folder / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
instance_name = allies-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {self.folder}/dovecot.log
default_internal_user = {me}
default_login_user = {login}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service auth {{
  user = {me}
}}
service auth-worker {{
  user = {me}
}}
"""
        )
        return conf

    async def start(self) -> None:
        conf = self._config()
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)])
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        log = (
            (self.folder / "dovecot.log").read_text()
            if (self.folder / "dovecot.log").exists()
            else ""
        )
        raise RuntimeError(f"dovecot did not start:\n{log}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def toml(self, address: str = "allies-bot@example.org") -> str:
        return (
            "[email.inbound]\n"
            f'host = "127.0.0.1"\nport = {self.port}\nsecurity = "tls"\n'
            f'user = "{self.user}"\naddress = "{address}"\npoll_seconds = 5\n'
        )


async def imap_client(server: Dovecot):
    """A logged-in IMAP client of the test mailbox (as a person's mail program)."""
    import aioimaplib

    context = ssl.create_default_context(cafile=str(server.cert))
    client = aioimaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=context, timeout=10)
    await client.wait_hello_from_server()
    await client.login(server.user, server.password)
    return client


async def append(server: Dovecot, raw: bytes, folder: str = "INBOX") -> None:
    """Deliver `raw` into the mailbox, as the mail server does with a reply."""
    client = await imap_client(server)
    try:
        response = await client.append(raw, mailbox=folder)
        assert response.result == "OK", response
    finally:
        await client.logout()


async def count(server: Dovecot, folder: str) -> int:
    client = await imap_client(server)
    try:
        response = await client.status(f'"{folder}"', "(MESSAGES)")
        if response.result != "OK":
            return 0
        text = b" ".join(line for line in response.lines if isinstance(line, bytes)).decode()
        return int(text.split("MESSAGES", 1)[1].split(")", 1)[0])
    finally:
        await client.logout()


def reply_to(original: EmailMessage, sender: str, text: str, **headers: str) -> bytes:
    """A person's reply to `original`: their text, then the quoted original,
    as Thunderbird and Outlook write it."""
    import email.utils

    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(original["Reply-To"] or original["From"])
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Message-ID"] = email.utils.make_msgid(domain="uni.example")
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = str(original["Message-ID"])
    reply["Date"] = email.utils.formatdate()
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    body = original.get_body(preferencelist=("plain",))
    quoted = "\n".join(f"> {line}" for line in body.get_content().splitlines())
    reply.set_content(
        f"{text}\n\nBest regards,\nAnna\n\nOn Wed, 1 Apr 2026 at 11:00, ALLIES bot "
        f"<allies-bot@example.org> wrote:\n{quoted}\n"
    )
    return bytes(reply)
