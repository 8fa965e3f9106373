"""Recorded yt-dlp answers, replayed through the extraction seam (the third-party boundary).

Each fixture file holds the URL (or search key) yt-dlp was given and either the info dict it returned or the error
it raised; errors are rebuilt as yt-dlp raises them: a DownloadError carrying the extractor's ExtractorError.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yt_dlp.networking.common import Response
from yt_dlp.networking.exceptions import HTTPError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError, RegexNotFoundError, UserNotLive

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
    return data


def _raise_extractor_error(spec: Mapping[str, Any], url: str) -> None:
    kind, message = spec["type"], spec["message"]
    where = {"video_id": spec.get("video_id"), "ie": spec.get("ie")}
    if kind == "HTTPError404":
        response = Response(io.BytesIO(b""), url, {}, status=404, reason="Not Found")
        raise ExtractorError(message, cause=HTTPError(response), expected=True, **where)
    if kind == "UserNotLive":
        raise UserNotLive(message, **where)
    if kind == "GeoRestrictedError":
        raise GeoRestrictedError(message, **where)
    if kind == "RegexNotFoundError":
        raise RegexNotFoundError(message, **where)
    raise ExtractorError(message, expected=spec.get("expected", False), **where)


def recorded_error(spec: Mapping[str, Any], url: str) -> DownloadError:
    try:
        _raise_extractor_error(spec, url)
    except ExtractorError as inner:
        return DownloadError(f"ERROR: {inner}", sys.exc_info())
    raise AssertionError("unreachable: _raise_extractor_error always raises")


class RecordedExtract:
    def __init__(self) -> None:
        self._by_request: dict[str, dict[str, Any]] = {}
        for path in sorted(FIXTURES.rglob("*.json")):
            fixture = json.loads(path.read_text(encoding="utf-8"))
            self._by_request[fixture["request"]] = fixture
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, options: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append((url, dict(options)))
        fixture = self._by_request.get(url)
        if fixture is None:
            raise AssertionError(f"no recording for {url!r}: the manager asked yt-dlp for something unexpected")
        if "error" in fixture:
            raise recorded_error(fixture["error"], url)
        info: dict[str, Any] = copy.deepcopy(fixture["info"])
        return info

    def urls(self) -> list[str]:
        return [url for url, _ in self.calls]
