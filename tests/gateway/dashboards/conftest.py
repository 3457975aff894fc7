"""Tenant dashboards end to end: the gateway, a generation worker and the sharing service, each
against the test's nats-server, mailing to the test's SMTP inbox."""

import pytest


@pytest.fixture
def settings(mail_settings):
    return mail_settings
