"""The dashboard laid out on A4 or Letter pages: title, KPIs with their notes, cards, page numbers.

Charts and tables are drawn by vl-convert from the same Vega-Lite the viewer page runs; the title,
KPIs and notes are plain SVG text, wrapped here. Each block is an SVG placed on a page's SVG (scaled
down when wider than its slot), each page becomes a PDF page (vl-convert's svg_to_pdf), and pypdf
joins them. A block never straddles two pages: a long table is cut into parts beforehand.
The grid layout puts two charts side by side; tables and notes take the full width (six columns
need it); the scrollable layout gives every card the full width and all of its rows.
"""

from __future__ import annotations

import copy
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

PAGE_SIZES = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}  # points
MARGIN = 36.0
FOOTER = 18.0  # below the content: the page number
GAP = 18.0
FONT = "DejaVu Sans"  # Debian's fonts-dejavu-core; the Dockerfile and the Makefile install it
CHART_HEIGHT = 180
AXES = 70.0  # what a chart's axis labels and titles usually add to its width
TABLE_ROW = 16.0
TABLE_HEADER = 60.0  # the card's title and the column names above the rows
KPIS_PER_ROW = 3
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


@dataclass(frozen=True)
class Block:
    svg: str
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """Blocks side by side, each in one of `columns` equal slots."""
    blocks: list[Block]
    columns: int = 1


@dataclass(frozen=True)
class Placed:
    block: Block
    x: float
    y: float
    scale: float


def paged_pdf(spec: dict, page_size: str) -> bytes:
    import vl_convert
    from pypdf import PdfReader, PdfWriter

    width, height = PAGE_SIZES[page_size]
    content = width - 2 * MARGIN
    pages = flow(rows_of(spec, content), content, height - 2 * MARGIN - FOOTER)
    writer = PdfWriter()
    for number, page in enumerate(pages, 1):
        svg = page_svg(page, width, height, f"{spec['title']} · page {number} of {len(pages)}")
        writer.append(PdfReader(io.BytesIO(vl_convert.svg_to_pdf(svg))))
    writer.add_metadata({"/Title": _xml_text(spec["title"])})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rows_of(spec: dict, width: float) -> list[Row]:
    """The page's blocks, top to bottom; the blocks of one row stand side by side."""
    scrollable = spec.get("layout") == "scrollable"
    cards = spec["cards"]
    kpis = [_kpi_block(card, (width - GAP * (KPIS_PER_ROW - 1)) / KPIS_PER_ROW)
            for card in cards if card["kind"] == "kpi"]
    rows = [Row([_title_block(spec["title"], width)])]
    rows += [Row(kpis[i:i + KPIS_PER_ROW], KPIS_PER_ROW) for i in range(0, len(kpis), KPIS_PER_ROW)]
    # a map draws over the base map the viewer fetches from Dashloom; paper has no server to ask
    charts = [card for card in cards if card["kind"] == "chart" and not card["id"].startswith("map-")]
    per_row = 1 if scrollable else 2
    chart_width = (width - GAP * (per_row - 1)) / per_row
    blocks = [_chart_block(card, chart_width) for card in charts]
    rows += [Row(blocks[i:i + per_row], per_row) for i in range(0, len(blocks), per_row)]
    for card in cards:
        if card["kind"] == "table":
            rows += [Row([block]) for block in _table_blocks(card, width)]
        elif card["kind"] == "notes":
            rows.append(Row([_notes_block(card, width)]))
    return rows


def flow(rows: list[Row], width: float, height: float) -> list[list[Placed]]:
    """Rows onto pages: a row that does not fit below the last one starts a new page."""
    pages: list[list[Placed]] = [[]]
    y = 0.0
    for row in rows:
        slot = (width - GAP * (row.columns - 1)) / row.columns
        scales = [min(1.0, slot / block.width, height / block.height) for block in row.blocks]
        row_height = max(block.height * scale for block, scale in zip(row.blocks, scales, strict=True))
        if pages[-1] and y + row_height > height:
            pages.append([])
            y = 0.0
        for i, (block, scale) in enumerate(zip(row.blocks, scales, strict=True)):
            pages[-1].append(Placed(block, MARGIN + i * (slot + GAP), MARGIN + y, scale))
        y += row_height + GAP
    return pages


def page_svg(page: list[Placed], width: float, height: float, footer: str) -> str:
    blocks = "".join(f'<g transform="translate({p.x:.2f} {p.y:.2f}) scale({p.scale:.4f})">{p.block.svg}</g>'
                     for p in page)
    number = (f'<text x="{width - MARGIN:.2f}" y="{height - MARGIN / 2:.2f}" text-anchor="end" '
              f'font-family="{FONT}" font-size="8" fill="#6b7280">{_text(footer)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="white"/>'
            f"{blocks}{number}</svg>")


def _title_block(title: str, width: float) -> Block:
    lines = _wrapped(title, width, 20, bold=True)
    return _text_block(width, [(line, 20, "bold", "#111827") for line in lines])


def _kpi_block(card: dict, width: float) -> Block:
    lines = [(line, 10, "normal", "#4b5563") for line in _wrapped(card["title"], width, 10, most=2)]
    lines.append((card["display"], 22, "bold", "#111827"))
    if card.get("note"):  # what the number is of: "in Dec 2015" tells a latest value from an average
        lines += [(line, 9, "normal", "#6b7280") for line in _wrapped(card["note"], width, 9, most=3)]
    return _text_block(width, lines)


def _notes_block(card: dict, width: float) -> Block:
    lines = [(line, 13, "bold", "#111827") for line in _wrapped(card["title"], width, 13, bold=True)]
    for note in card.get("notes", []):
        wrapped = _wrapped(note, width - 12, 10)
        lines += [(("• " if i == 0 else "  ") + line, 10, "normal", "#1f2937") for i, line in enumerate(wrapped)]
    return _text_block(width, lines)


def _text_block(width: float, lines: Sequence[tuple[str, float, str, str]]) -> Block:
    y, texts = 0.0, []
    for text, size, weight, color in lines:
        y += size * 1.3
        texts.append(f'<text x="5" y="{y - size * 0.3:.1f}" font-family="{FONT}" font-size="{size}" '
                     f'font-weight="{weight}" fill="{color}" xml:space="preserve">{_text(text)}</text>')
    height = y + 4
    return Block(f'<svg width="{width:.2f}" height="{height:.2f}" viewBox="0 0 {width:.2f} {height:.2f}" '
                 'overflow="visible">'
                 f'{"".join(texts)}</svg>', width, height)


def _chart_block(card: dict, width: float) -> Block:
    view = copy.deepcopy(card["vega_lite"])
    view.pop("$schema", None)
    # the plot's size; its axes and legend come around it, and the block is scaled into its slot
    view |= {"title": _card_title(card["title"], width), "width": width - AXES, "height": CHART_HEIGHT}
    return _vega_block(view)


def _table_blocks(card: dict, width: float, page_rows: int = 40) -> list[Block]:
    """The table in parts of at most `page_rows` rows, each with the column names; "(continued)"
    after the first."""
    rows = card["rows"] or [{}]
    parts = [rows[i:i + page_rows] for i in range(0, len(rows), page_rows)]
    return [_vega_block(_table_view(card, part, width, card["title"] + (" (continued)" if i else "")))
            for i, part in enumerate(parts)]


def _table_view(card: dict, rows: list[dict], width: float, title: str) -> dict:
    columns = card["columns"][:6]  # the card holds as many rows as its layout shows (cards.CardSizes)
    cell_width = width / max(len(columns), 1) - 8
    cells = [{"row": i, "column": name, "value": _cell(row.get(name))}
             for i, row in enumerate(rows) for name in columns]
    return {"title": _card_title(title, width), "width": width, "height": {"step": TABLE_ROW},
            "data": {"values": cells},
            "mark": {"type": "text", "align": "left", "limit": cell_width, "fontSize": 9},
            "encoding": {"y": {"field": "row", "type": "ordinal", "axis": None},
                         "x": {"field": "column", "type": "nominal", "sort": columns, "title": None,
                               "bandPosition": 0, "scale": {"paddingInner": 0, "paddingOuter": 0},
                               "axis": {"orient": "top", "labelAngle": 0, "domain": False, "ticks": False,
                                        "bandPosition": 0, "labelAlign": "left", "labelFontWeight": "bold",
                                        "labelLimit": cell_width}},
                         "text": {"field": "value"}}}


def _vega_block(view: dict) -> Block:
    import vl_convert

    view |= {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
             "config": {"font": FONT, "view": {"stroke": "#e5e7eb"}, "background": "white"}}
    svg = vl_convert.vegalite_to_svg(xml_clean(view))
    size = _SVG_SIZE.search(svg)
    if size is None:
        raise ValueError("vl-convert drew an SVG without a size")
    return Block(svg, float(size.group(1)), float(size.group(2)))


def _card_title(text: str, width: float) -> dict:
    return {"text": _wrapped(text, width, 13, bold=True, most=2), "anchor": "start", "fontSize": 13,
            "font": FONT, "offset": 8}


def _wrapped(text: str, width: float, size: float, bold: bool = False, most: int = 4) -> list[str]:
    """`text` in lines that fit `width` at `size` (DejaVu Sans: about 0.58 em a character, bold
    0.66, measured on titles with wide letters), at most `most` lines, the last cut with an ellipsis."""
    per_line = max(8, int(width / (size * (0.66 if bold else 0.58))))
    lines = textwrap.wrap(_xml_text(text), per_line, break_long_words=True) or [""]
    if len(lines) > most:
        lines = [*lines[:most - 1], lines[most - 1][:per_line - 1] + "…"]
    return lines


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return _xml_text(str(value))[:60]


def _xml_text(text: str) -> str:
    """Without the characters XML cannot hold (a file's column names may carry them)."""
    return _NOT_XML.sub("", text)


def xml_clean(value):
    """Every text of a Vega-Lite spec without them: vl-convert aborts measuring such a text (a
    category or column name from the file, say)."""
    if isinstance(value, str):
        return _xml_text(value)
    if isinstance(value, dict):
        return {_xml_text(key): xml_clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [xml_clean(item) for item in value]
    return value


def _text(text: str) -> str:
    return escape(_xml_text(text))

