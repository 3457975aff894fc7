"""The code's email over real SMTP (aiosmtpd) with authentication, and the outbox without SMTP."""

from __future__ import annotations

import logging
import os
import stat

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.runtime.nats_server import free_port
from services.sharing.mail import OutboxMailer, SmtpMailer, code_message, mailer_for
from tests.fixtures.services import Inbox

MESSAGE = code_message("Dashloom <no-reply@x.test>", "ana@example.com", "Sales", "123456", 10)


@pytest.fixture
def authenticating_inbox():
    received = Inbox()

    def authenticator(server, session, envelope, mechanism, secret):
        valid = isinstance(secret, LoginPassword) and (secret.login, secret.password) == (b"dash", b"p@ss word")
        return AuthResult(success=valid)

    controller = Controller(received, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)  # TLS would need a certificate here
    controller.start()
    received.port = controller.port
    yield received
    controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_smtp_url_carries_the_credentials(authenticating_inbox):
    port = authenticating_inbox.port
    await SmtpMailer(f"smtp://dash:p%40ss%20word@127.0.0.1:{port}").send(MESSAGE)
    (received,) = await authenticating_inbox.wait_for(1)
    assert received["To"] == "ana@example.com" and "123456" in received.get_payload()
    with pytest.raises(aiosmtplib.SMTPResponseException, match="[Aa]uthentication required"):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=5).send(MESSAGE)  # the server does insist
    assert len(authenticating_inbox.messages) == 1


def test_a_url_that_is_not_smtp_is_refused_at_start():
    for url in ("http://mail.example.com", "smtp://", "mail.example.com:25"):
        with pytest.raises(ValueError, match="DASHLOOM_SMTP_URL"):
            mailer_for(url, None)


async def test_without_smtp_the_message_is_written_to_the_outbox_and_its_place_logged(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    mailer = mailer_for("", tmp_path / "outbox")
    assert isinstance(mailer, OutboxMailer)
    await mailer.send(MESSAGE)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert b"123456" in written.read_bytes() and str(written.resolve()) in caplog.text


async def test_the_outbox_is_the_owners_alone_whatever_the_umask(tmp_path):
    """0700 and 0600 even when the process was started with a permissive umask (a service run
    outside `dashloom up`): the .eml holds a code that opens a private dashboard."""
    permissive = os.umask(0o022)
    try:
        await OutboxMailer(tmp_path / "outbox").send(MESSAGE)
    finally:
        os.umask(permissive)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert (stat.S_IMODE((tmp_path / "outbox").stat().st_mode), stat.S_IMODE(written.stat().st_mode)) == (0o700, 0o600)
