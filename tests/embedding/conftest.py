"""Embedding end to end: the gateway, the sharing service and a generation worker on the test's
nats-server, with the sharing service's movable clock, mailing to the test's SMTP inbox."""

import pytest


@pytest.fixture
def settings(mail_settings):
    return mail_settings
