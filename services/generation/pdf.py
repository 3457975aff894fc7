"""The dashboard as a PDF: the whole page composed as one Vega-Lite spec, drawn by vl-convert.

No browser: vl-convert embeds the same Vega-Lite the viewer page runs, so charts in the PDF
and on the page come from the same specs. KPIs, tables and notes become text marks.
The grid layout puts two cards side by side at their fixed size; paper cannot scroll, so the
scrollable layout gives each card the full width and all of its rows (it holds more of them).
"""

from __future__ import annotations

import copy

PAGE_WIDTH = 760
FONT = "DejaVu Sans"  # Debian's fonts-dejavu-core; the Dockerfile installs it


def dashboard_pdf(spec: dict) -> bytes:
    import vl_convert  # 9 MB resident once loaded: only workers that draw a PDF pay for it

    return vl_convert.vegalite_to_pdf(dashboard_vega_lite(spec))


def dashboard_vega_lite(spec: dict) -> dict:
    scrollable = spec.get("layout") == "scrollable"
    columns = 1 if scrollable else 2
    width = PAGE_WIDTH if scrollable else PAGE_WIDTH // 2 - 40
    # a map draws over the base map the viewer fetches from Dashloom; paper has no server to ask
    cards = [card for card in spec["cards"] if card["kind"] != "kpi" and not card["id"].startswith("map-")]
    kpis = [card for card in spec["cards"] if card["kind"] == "kpi"]
    views = [_card_view(card, width) for card in cards]
    parts: list[dict] = [{"hconcat": [_kpi_view(card) for card in kpis]}] if kpis else []
    parts.append({"concat": views, "columns": columns, "spacing": 30})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "title": {"text": spec["title"], "anchor": "start", "fontSize": 22, "font": FONT},
            "vconcat": parts, "spacing": 30,
            "config": {"font": FONT, "view": {"stroke": "#e5e7eb"}, "background": "white"}}


def _card_view(card: dict, width: int) -> dict:
    title = {"text": card["title"], "anchor": "start", "fontSize": 14}
    if card["kind"] == "chart":
        view = copy.deepcopy(card["vega_lite"])
        view.pop("$schema", None)
        return {**view, "title": title, "width": width, "height": 220}
    if card["kind"] == "table":
        return _table_view(card, width, title)
    return _notes_view(card, width, title)


def _kpi_view(card: dict) -> dict:
    return {"title": {"text": card["title"], "anchor": "start", "fontSize": 12, "color": "#4b5563"},
            "width": 150, "height": 40, "data": {"values": [{"value": card["display"]}]},
            "mark": {"type": "text", "fontSize": 24, "fontWeight": "bold", "align": "left", "x": 0, "y": 20},
            "encoding": {"text": {"field": "value"}}}


def _table_view(card: dict, width: int, title: dict) -> dict:
    columns = card["columns"][:6]  # the card holds as many rows as its layout shows (cards.CardSizes)
    cells = [{"row": i, "column": name, "value": _cell(row.get(name))}
             for i, row in enumerate(card["rows"]) for name in columns]
    return {"title": title, "width": width, "height": {"step": 18}, "data": {"values": cells},
            "mark": {"type": "text", "align": "left", "limit": width / max(len(columns), 1) - 8, "fontSize": 10},
            "encoding": {"y": {"field": "row", "type": "ordinal", "axis": None},
                         "x": {"field": "column", "type": "nominal", "sort": columns, "title": None,
                               "bandPosition": 0, "scale": {"paddingInner": 0, "paddingOuter": 0},
                               "axis": {"orient": "top", "labelAngle": 0, "domain": False, "ticks": False,
                                        "bandPosition": 0, "labelAlign": "left", "labelFontWeight": "bold",
                                        "labelLimit": width / max(len(columns), 1) - 8}},
                         "text": {"field": "value"}}}


def _notes_view(card: dict, width: int, title: dict) -> dict:
    notes = [{"row": i, "note": f"• {note}"} for i, note in enumerate(card.get("notes", []))]
    return {"title": title, "width": width, "height": {"step": 18}, "data": {"values": notes},
            "mark": {"type": "text", "align": "left", "x": 0, "limit": width, "fontSize": 11},
            "encoding": {"y": {"field": "row", "type": "ordinal", "axis": None}, "text": {"field": "note"}}}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)[:60]
