"""`upsert_rows` with rows sharing a key ends as upserting them one after the other (a batched
form must keep this: a multi-row ON CONFLICT DO UPDATE refuses a key twice on PostgreSQL); text
holding NUL is written on both backends, by upserts and by a rebuild's COPY."""

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select

from services.readmodels.upsert import insert_new_rows, upsert_rows


def probe_table(name: str) -> Table:
    return Table(name, MetaData(), Column("project_id", String(20), primary_key=True),
                 Column("id", String(20), primary_key=True), Column("count", Integer), Column("note", String(20)))


def rows_of(engine, table: Table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


def test_one_flush_with_a_key_twice_ends_as_upserting_the_rows_in_turn(engine):
    together, in_turn = probe_table("upsert_together"), probe_table("upsert_in_turn")
    for table in (together, in_turn):
        table.create(engine)
    earlier = {"project_id": "p", "id": "a", "count": 0, "note": "there before"}
    rows = [{"project_id": "p", "id": "a", "count": 1, "note": "first"},
            {"project_id": "p", "id": "b", "count": 1, "note": None},
            {"project_id": "q", "id": "a", "count": 7, "note": "other project"},
            {"project_id": "p", "id": "a", "count": 2, "note": None}]
    with engine.begin() as conn:
        for table in (together, in_turn):
            upsert_rows(conn, table, [earlier])
        upsert_rows(conn, together, rows)
        for row in rows:
            upsert_rows(conn, in_turn, [row])
    assert rows_of(engine, together) == rows_of(engine, in_turn) == [
        ("p", "a", 2, None), ("p", "b", 1, None), ("q", "a", 7, "other project")]


def test_text_holding_nul_is_written_on_both_backends_never_a_data_error(engine):
    table = Table("upsert_nul", MetaData(), Column("id", String(20), primary_key=True), Column("note", Text))
    table.create(engine)
    with engine.begin() as conn:
        upsert_rows(conn, table, [{"id": "a\x00", "note": "before\x00after"}])
        insert_new_rows(conn, table, [{"id": f"copied-{n}", "note": "\x00"} for n in range(3)])
    kept = dict(rows_of(engine, table))
    expected = "\ufffd" if engine.dialect.name == "postgresql" else "\x00"
    assert kept[f"a{expected}"] == f"before{expected}after"
    assert {kept[f"copied-{n}"] for n in range(3)} == {expected}
