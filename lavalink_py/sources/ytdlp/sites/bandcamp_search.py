"""`bcsearch:` — Bandcamp's search page read directly, as lavaplayer does (yt-dlp has no Bandcamp search).

GET <base>/search?q=<query>&item_type=t, then each `li.searchresult` whose `.itemtype` says TRACK gives: title
(`.heading a`), artist (`.subhead`, after the last "by"), page URL (`.itemurl a`, query dropped), art (`.art img`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import aiohttp

from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from lavalink_py.sources.routing.outbound import Outbound
from lavalink_py.sources.ytdlp.mapping import UNKNOWN_AUTHOR, UNKNOWN_TITLE


@dataclass(slots=True)
class _Result:
    fields: dict[str, list[str]] = field(default_factory=dict)
    art: str | None = None

    def text(self, name: str) -> str:
        return " ".join(" ".join(self.fields.get(name, ())).split())


_BY = re.compile(r"\bby\b")

# Which class, on the way down from a search result, marks text we keep.
_FIELDS = ("itemtype", "heading", "subhead", "itemurl")


class _SearchPageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.results: list[_Result] = []
        self._stack: list[tuple[str, bool, str | None]] = []  # tag, opens a result, field it opens

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        opens_result = "searchresult" in classes
        if opens_result:
            self.results.append(_Result())
        opened = next((name for name in _FIELDS if name in classes), None)
        if tag == "img" and self._inside("art") and self.results and self.results[-1].art is None:
            self.results[-1].art = dict(attrs).get("src")
        if tag not in ("img", "br", "meta", "link", "input", "source"):
            self._stack.append((tag, opens_result, opened or ("art" if "art" in classes else None)))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.results or not any(opens for _, opens, _ in self._stack):
            return
        current = next((name for _, _, name in reversed(self._stack) if name in _FIELDS), None)
        if current is not None:
            self.results[-1].fields.setdefault(current, []).append(data)

    def _inside(self, name: str) -> bool:
        return any(opened == name for _, _, opened in self._stack)


def parse_search_page(html: str, source_name: str = "bandcamp") -> list[TrackInfo]:
    parser = _SearchPageParser()
    parser.feed(html)
    parser.close()
    tracks: list[TrackInfo] = []
    for result in parser.results:
        url = result.text("itemurl").split("?", 1)[0]
        if result.text("itemtype").lower() != "track" or not url:
            continue
        artist = _BY.split(result.text("subhead"))[-1].split(",")[0].strip()
        tracks.append(TrackInfo(
            title=result.text("heading") or UNKNOWN_TITLE,
            author=artist or UNKNOWN_AUTHOR,
            length_ms=STREAM_LENGTH_MS,  # the search page gives no length; lavaplayer reports it unknown too
            identifier=url,
            is_stream=False,
            uri=url,
            source_name=source_name,
            artwork_url=result.art or None,
        ))
    return tracks


async def search_bandcamp(
    query: str, *, base_url: str, timeout_s: float, outbound: Outbound | None = None
) -> list[TrackInfo]:
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    routed = outbound or Outbound()
    async with aiohttp.ClientSession(timeout=timeout) as session, routed.get(
        session, f"{base_url.rstrip('/')}/search", search=True, params={"q": query, "item_type": "t"}
    ) as response:
        response.raise_for_status()
        return parse_search_page(await response.text())
