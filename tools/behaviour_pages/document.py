"""A page as a few kinds of block, written once and rendered twice: Markdown for GitHub, HTML offline.

Inline text is a list of spans: plain strings, :class:`Code`, :class:`Link`, :class:`Strong`. A link
to another page names the page without extension (``payment_intents/capture``), so each renderer
points it at its own file; an anchor is written explicitly in both, so links never depend on how
GitHub spells heading anchors.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Link:
    text: Union[str, Code]
    page: str = ""  # another page, without extension ("" for this one)
    anchor: str = ""
    url: str = ""  # or a page elsewhere


Inline = Union[str, Code, Strong, Link]
Text = list  # of Inline


@dataclass(frozen=True)
class Heading:
    level: int
    text: Text
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: Text


@dataclass(frozen=True)
class Items:
    items: list  # of Text


@dataclass(frozen=True)
class Quote:
    text: Text


@dataclass(frozen=True)
class Table:
    head: list  # of str
    rows: list  # of list of Text
    anchors: list = field(default_factory=list)  # one per row, or none


@dataclass(frozen=True)
class Fence:
    text: str
    language: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Exchange:
    """A request and its response: one after the other in Markdown, side by side in HTML."""

    request: Fence
    response: Fence


@dataclass(frozen=True)
class Diagram:
    """A state diagram: a Mermaid block and its SVG on GitHub, the SVG itself in HTML."""

    name: str
    mermaid: str
    svg_file: str  # relative to docs/behaviours/
    svg: str  # the SVG text, inlined into HTML


Block = Union[Heading, Para, Items, Quote, Table, Fence, Exchange, Diagram]


@dataclass(frozen=True)
class Page:
    path: str  # "payment_intents/capture"; "README" is the index
    title: str
    blocks: list  # of Block
    trail: list = field(default_factory=list)  # (text, page) links above the title


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")  # not _: GitHub leaves intraword underscores alone


def _md_text(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text.replace('|', '&#124;')}{pad}{ticks}"


def _md_inline(spans: Text, here: str) -> str:
    out = []
    for span in spans:
        if isinstance(span, Code):
            out.append(_md_code(span.text))
        elif isinstance(span, Strong):
            out.append(f"**{_md_text(span.text)}**")
        elif isinstance(span, Link):
            label = _md_code(span.text.text) if isinstance(span.text, Code) else _md_text(span.text)
            out.append(f"[{label}]({_href(span, here, '.md')})")
        else:
            out.append(_md_text(span))
    return "".join(out)


def _href(link: Link, here: str, extension: str) -> str:
    if link.url:
        return link.url
    target = ""
    if link.page and link.page != here:
        page = "index" if (link.page, extension) == ("README", ".html") else link.page  # a folder's page in each
        target = posixpath.relpath(page + extension, posixpath.dirname(here) or ".")
    return target + (f"#{link.anchor}" if link.anchor else "")


def markdown(page: Page) -> str:
    lines = []
    if page.trail:
        lines += [" › ".join(f"[{_md_text(text)}]({_href(Link(text, target), page.path, '.md')})"
                             for text, target in page.trail), ""]
    lines += [f"# {_md_text(page.title)}", ""]
    for block in page.blocks:
        lines += _md_block(block, page.path) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_block(block: Block, here: str) -> list[str]:
    if isinstance(block, Heading):
        anchor = f"<a id=\"{block.anchor}\"></a>" if block.anchor else ""
        return [f"{'#' * block.level} {anchor}{_md_inline(block.text, here)}"]
    if isinstance(block, Para):
        return [_md_inline(block.text, here)]
    if isinstance(block, Items):
        return [f"- {_md_inline(item, here)}" for item in block.items]
    if isinstance(block, Quote):
        return [f"> {_md_inline(block.text, here)}"]
    if isinstance(block, Table):
        rows = [f"| {' | '.join(_md_text(cell) for cell in block.head)} |", f"|{'---|' * len(block.head)}"]
        for index, row in enumerate(block.rows):
            anchor = f"<a id=\"{block.anchors[index]}\"></a>" if block.anchors else ""
            cells = [_md_inline(cell, here) for cell in row]
            cells[0] = anchor + cells[0]
            rows.append(f"| {' | '.join(cells)} |")
        return rows
    if isinstance(block, Fence):
        fence = "````" if "```" in block.text else "```"
        caption = [f"*{_md_text(block.caption)}*", ""] if block.caption else []
        return [*caption, f"{fence}{block.language}", block.text, fence]
    if isinstance(block, Exchange):
        return [*_md_block(block.request, here), "", *_md_block(block.response, here)]
    if isinstance(block, Diagram):
        image = posixpath.relpath(block.svg_file, posixpath.dirname(here) or ".")
        return ["```mermaid", block.mermaid.rstrip("\n"), "```", "",
                f"The same diagram drawn by Graphviz: [{_md_text(block.name)} statuses (SVG)]({image})"]
    raise TypeError(block)


# ---------------------------------------------------------------- HTML

EXTRA_STYLE = """
nav.trail { color: var(--muted); font-size: 13px; margin-bottom: 6px; } nav.trail a + a::before { content: " › "; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { display: block; margin: 22px 0 4px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
.diagram { border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow-x: auto; }
.diagram svg { max-width: 100%; height: auto; } figure { margin: 8px 0; } figcaption { color: var(--muted); }
"""


def _html_inline(spans: Text, here: str) -> str:
    out = []
    for span in spans:
        if isinstance(span, Code):
            out.append(f"<code>{html.escape(span.text)}</code>")
        elif isinstance(span, Strong):
            out.append(f"<strong>{html.escape(span.text)}</strong>")
        elif isinstance(span, Link):
            label = _html_inline([span.text], here)
            out.append(f"<a href=\"{html.escape(_href(span, here, '.html'), quote=True)}\">{label}</a>")
        else:
            out.append(html.escape(span))
    return "".join(out)


def to_html(page: Page, style: str) -> str:
    trail = ""
    if page.trail:
        trail = "<nav class=\"trail\">" + "".join(
            f"<a href=\"{html.escape(_href(Link(text, target), page.path, '.html'))}\">{html.escape(text)}</a>"
            for text, target in page.trail) + "</nav>"
    body = "\n".join(_html_block(block, page.path) for block in page.blocks)
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(page.title)}</title>\n<style>{style}{EXTRA_STYLE}</style>\n</head>\n<body>\n"
            f"{trail}<h1>{html.escape(page.title)}</h1>\n{body}\n</body>\n</html>\n")


def _html_block(block: Block, here: str) -> str:
    if isinstance(block, Heading):
        anchor = f" id=\"{html.escape(block.anchor)}\"" if block.anchor else ""
        return f"<h{block.level}{anchor}>{_html_inline(block.text, here)}</h{block.level}>"
    if isinstance(block, Para):
        return f"<p>{_html_inline(block.text, here)}</p>"
    if isinstance(block, Items):
        return "<ul>" + "".join(f"<li>{_html_inline(item, here)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Quote):
        return f"<blockquote>{_html_inline(block.text, here)}</blockquote>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in block.head)
        rows = "".join(
            f"<tr{f' id={chr(34)}{html.escape(block.anchors[index])}{chr(34)}' if block.anchors else ''}>"
            + "".join(f"<td>{_html_inline(cell, here)}</td>" for cell in row) + "</tr>"
            for index, row in enumerate(block.rows))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Fence):
        caption = f"<p class=\"muted\">{html.escape(block.caption)}</p>" if block.caption else ""
        return f"{caption}<pre>{html.escape(block.text)}</pre>"
    if isinstance(block, Exchange):
        return (f"<div class=\"exchange\"><div>{_html_block(block.request, here)}</div>"
                f"<div>{_html_block(block.response, here)}</div></div>")
    if isinstance(block, Diagram):
        return (f"<figure class=\"diagram\">{block.svg}<figcaption>{html.escape(block.name)} statuses, as the "
                f"scenarios prove them</figcaption></figure><details><summary>Mermaid source</summary>"
                f"<pre>{html.escape(block.mermaid)}</pre></details>")
    raise TypeError(block)
