"""The sharing service in-process (tests.fixtures.services): these tests mail to its SMTP inbox."""

import pytest


@pytest.fixture
def settings(mail_settings):
    return mail_settings
