"""Errors the API answers with, in Lavalink's error body.

Exceptions:
    ApiError(Exception): a handler's refusal: HTTP status + message. Rendered by `middleware.errors`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        # Response headers that go with the refusal (e.g. `Accept` on a 415, as Spring sends).
        self.headers: Mapping[str, str] = headers or {}


def error_body(status: int, message: str, path: str, trace: BaseException | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "timestamp": int(time.time() * 1000),
        "status": status,
        "error": HTTPStatus(status).phrase,
    }
    if trace is not None:
        body["trace"] = "".join(traceback.format_exception(trace))
    body["message"] = message
    body["path"] = path
    return body
