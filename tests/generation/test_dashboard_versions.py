"""A generation's dashboard: a new one, or the next version of one (refresh in place); card ids
stay where the query is the same. Decided on the dashboard's events, as the worker does."""

from __future__ import annotations

import pytest

from contracts import DashboardCreated, DashboardDeleted, DashboardVersionAdded
from contracts.rpc import Refused
from services.generation.dashboards import keep_card_ids, version_events
from tests.factories import requested

SPEC = {"name": "specs/x.json", "sha256": "0" * 64, "size": 10}
ADDED = {"title": "Sales", "spec": SPEC, "pdf": None, "row_count": 12, "card_count": 3}


def kpi(card_id: str, measure: str, aggregate: str = "sum") -> dict:
    return {"id": card_id, "kind": "kpi", "query": {"measure": measure, "aggregate": aggregate}}


def test_cards_keep_their_ids_where_their_query_is_the_same():
    previous = [kpi("kpi-sales", "sales"), kpi("kpi-units", "units"), {"id": "top-rows", "kind": "table",
                                                                       "columns": ["a", "b"]}]
    cards = [kpi("kpi-units", "units"), kpi("kpi-amount", "sales"), {"id": "top-rows", "kind": "table",
                                                                     "columns": ["a", "b"]}]
    keep_card_ids(previous, cards)
    assert [c["id"] for c in cards] == ["kpi-units", "kpi-sales", "top-rows"]  # a renamed card keeps its id


def test_a_card_whose_query_changed_gets_an_id_of_its_own():
    previous = [kpi("kpi-sales", "sales", "sum"), {"id": "top-rows", "kind": "table", "columns": ["a"]}]
    cards = [kpi("kpi-sales", "sales", "mean"), {"id": "top-rows", "kind": "table", "columns": ["a", "c"]}]
    keep_card_ids(previous, cards)
    assert cards[0]["id"].startswith("kpi-sales-") and cards[1]["id"].startswith("top-rows-")
    again = [kpi("kpi-sales", "sales", "mean"), {"id": "top-rows", "kind": "table", "columns": ["a", "c"]}]
    keep_card_ids(cards, again)  # the next refresh with the same queries: the same ids again
    assert [c["id"] for c in again] == [c["id"] for c in cards]


def test_ids_stay_unique_when_a_kept_id_is_also_a_new_cards_readable_id():
    previous = [kpi("kpi-a", "a")]
    cards = [kpi("kpi-b", "a"), kpi("kpi-a", "z"), kpi("kpi-c", "a")]
    keep_card_ids(previous, cards)
    assert cards[0]["id"] == "kpi-a" and cards[2]["id"] == "kpi-c" and len({c["id"] for c in cards}) == 3


def refresh_of(dashboard_id: str, generation_id: str, project_id: str = "p1"):
    first = requested(generation_id, project_id)
    return first.model_copy(update={"payload": first.payload.model_copy(update={"dashboard_id": dashboard_id})})


def test_a_new_upload_creates_its_dashboard_at_version_one_and_a_rerun_adds_nothing():
    upload = requested("g1")
    created, added = version_events(upload, [], ADDED)
    assert isinstance(created, DashboardCreated) and created.aggregate_id == "dsh_g1"
    assert isinstance(added, DashboardVersionAdded) and added.payload.version == 1
    assert added.payload.generation_id == "g1" and added.payload.upload == upload.payload.upload
    assert version_events(upload, [created, added], ADDED) == []


def test_a_refresh_is_the_next_version_of_the_same_dashboard():
    created, first = version_events(requested("g1"), [], ADDED)
    [second] = version_events(refresh_of("dsh_g1", "g2"), [created, first], ADDED)
    assert second.aggregate_id == "dsh_g1" and second.payload.version == 2


@pytest.mark.parametrize("case", ["missing", "other project", "deleted"])
def test_a_refresh_of_a_missing_foreign_or_deleted_dashboard_is_refused(case):
    created, first = version_events(requested("g1"), [], ADDED)
    history = {"missing": [], "other project": [created, first],
               "deleted": [created, first, created.caused(DashboardDeleted, payload={"dashboard_id": "dsh_g1"})]}[case]
    with pytest.raises(Refused):
        version_events(refresh_of("dsh_g1", "g2", "p2" if case == "other project" else "p1"), history, ADDED)
