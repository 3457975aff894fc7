"""`re.match` with a `$`-anchored pattern lets one final newline through (`$` matches before it):
every id and name check reads the whole value (the attack run found this on embed origins)."""

from __future__ import annotations

import pytest

from services.eventlog.blobs import check_name
from services.gateway.edge.bounds import _iso_date
from services.sharing.signing import project_of_kid


def test_a_kid_with_a_final_line_break_names_no_project():
    assert project_of_kid("p1.0123456789ab") == "p1"
    assert project_of_kid("p1.0123456789ab\n") is None


def test_a_blob_name_with_a_final_line_break_is_refused():
    assert check_name("uploads/p1/a.csv") == "uploads/p1/a.csv"
    with pytest.raises(ValueError):
        check_name("uploads/p1/a.csv\n")


def test_a_date_with_a_final_line_break_is_refused():
    assert _iso_date("2024-01-01") == "2024-01-01"
    with pytest.raises(ValueError):
        _iso_date("2024-01-01\n")

