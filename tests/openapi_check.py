"""Checks HTTP responses against the node's OpenAPI document (`lavalink_py.api.openapi`), with jsonschema.

`ResponseChecker.check` raises `ResponseMismatch` when a response is not one the document describes: an unknown
route that is not Lavalink's 404 body, a method the route lacks that is not a 405 body, a status the operation does
not list, a missing `Lavalink-Api-Version`, a body of the wrong media type or shape, an error body whose `status`
or `path` disagree with the response. `checking_middleware` runs it on every response an aiohttp client receives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lavalink_py.api.openapi import openapi_document
from lavalink_py.app import VERSION

DOCUMENT_URI = "urn:lavalink-py:openapi"
_INT64 = (-(2**63), 2**63 - 1)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ResponseMismatch(AssertionError):
    """A response the OpenAPI document does not describe."""


def _pointer(*parts: str) -> str:
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(quote(part, safe="~") for part in escaped)


def _route_regex(template: str) -> re.Pattern[str]:
    # aiohttp's own pattern for a `{name}` segment: braces never match it.
    segments = ("[^{}/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
    return re.compile("^" + "/".join(segments) + "$")


def _formats() -> FormatChecker:
    checker = FormatChecker()

    def int64(value: object) -> bool:
        return not isinstance(value, int) or _INT64[0] <= value <= _INT64[1]

    checker.checks("int64")(int64)
    return checker


@dataclass
class ResponseChecker:
    document: dict[str, Any] = field(default_factory=lambda: openapi_document(VERSION))
    checked: int = 0
    checked_messages: int = 0

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._formats = _formats()
        self._validators: dict[str, Draft202012Validator] = {}
        self._routes = [(_route_regex(template), template) for template in self.document["paths"]]

    def template_of(self, path: str) -> str | None:
        matching = sorted((t for regex, t in self._routes if regex.match(path)), key=lambda t: t.count("{"))
        return matching[0] if matching else None

    def validate(self, instance: Any, pointer: str) -> None:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validators[pointer] = Draft202012Validator(
                {"$ref": DOCUMENT_URI + pointer}, registry=self._registry, format_checker=self._formats
            )
        try:
            validator.validate(instance)
        except ValidationError as exc:
            raise ResponseMismatch(f"{pointer}: {exc.message} at {list(exc.absolute_path)}") from exc

    def is_valid(self, instance: Any, name: str) -> bool:
        try:
            self.validate_schema(instance, name)
        except ResponseMismatch:
            return False
        return True

    def validate_schema(self, instance: Any, name: str) -> None:
        """Validate against `components/schemas/<name>` (e.g. the WebSocket messages)."""
        self.validate(instance, _pointer("components", "schemas", name))

    def check(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        raw_path: str | None = None,
    ) -> None:
        """`path` is the decoded path (what an error body names); `raw_path` is what the router matches."""
        got = Received(f"{method} {path} -> {status}", path, status, headers, b"" if method == "HEAD" else body)
        template = self.template_of(path if raw_path is None else raw_path)
        operation_method = "get" if method.lower() == "head" else method.lower()
        if template is None:
            # The router may also answer 405 to a path whose empty segments it folds onto a route's.
            self._expect_problem(
                got, "MethodNotAllowed" if status == 405 else "NotFound", 404 if status != 405 else 405
            )
        elif operation_method not in self.document["paths"][template]:
            self._expect_problem(got, "MethodNotAllowed", 405)
        else:
            responses = self.document["paths"][template][operation_method]["responses"]
            if str(status) not in responses:
                raise ResponseMismatch(f"{got.where}: status not documented for {template} ({body[:300]!r})")
            response = responses[str(status)]
            if "$ref" in response:
                self._check_response(got, ("components", "responses", response["$ref"].rsplit("/", 1)[1]))
            else:
                self._check_response(got, ("paths", template, operation_method, "responses", str(status)))
        self.checked += 1

    def _expect_problem(self, got: Received, name: str, expected: int) -> None:
        if got.status in (401, 403):
            name, expected = ("Unauthorized", 401) if got.status == 401 else ("Forbidden", 403)
        if got.status != expected:
            raise ResponseMismatch(f"{got.where}: expected {expected}")
        self._check_response(got, ("components", "responses", name))

    def _check_response(self, got: Received, pointer: tuple[str, ...]) -> None:
        response: Any = self.document
        for part in pointer:
            response = response[part]
        for header in response.get("headers", {}):
            if got.headers.get(header) != "4":
                raise ResponseMismatch(f"{got.where}: header {header} is {got.headers.get(header)!r}, expected '4'")
        content = response.get("content")
        if content is not None and not got.body and response.get("x-body-optional"):
            return
        if content is not None and "text/event-stream" in content:
            media_type = got.headers.get("Content-Type", "").partition(";")[0].strip()
            if media_type != "text/event-stream":
                raise ResponseMismatch(f"{got.where}: Content-Type {media_type!r}, expected text/event-stream")
            return
        if content is None:
            if got.body:
                raise ResponseMismatch(f"{got.where}: expected no body, got {got.body[:200]!r}")
            return
        media_type = got.headers.get("Content-Type", "").partition(";")[0].strip()
        if media_type not in content:
            raise ResponseMismatch(f"{got.where}: Content-Type {media_type!r}, expected one of {list(content)}")
        if media_type != "application/json":
            return
        instance = parse_json(got.body, got.where)
        self.validate(instance, _pointer(*pointer, "content", media_type, "schema"))
        is_error = content[media_type]["schema"] == {"$ref": "#/components/schemas/Error"}
        if is_error and (instance["status"], instance["path"]) != (got.status, got.path):
            raise ResponseMismatch(f"{got.where}: error body says status {instance['status']}, path {instance['path']}")


def parse_json(body: bytes, where: str = "body") -> Any:
    """orjson reads 1024 levels deep (the standard library about 1000 less what the stack holds); the standard
    library reads what orjson refuses but JSON's grammar allows: a lone surrogate's \\ud800 escape, which Lavalink
    (Jackson) writes for a Java string holding one."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ResponseMismatch(f"{where}: body is not JSON: {body[:200]!r}") from exc


@dataclass(frozen=True, slots=True)
class Received:
    where: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def checking_middleware(checker: ResponseChecker) -> aiohttp.ClientMiddlewareType:
    """An aiohttp client middleware: every response is read and checked before the caller sees it."""

    async def middleware(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
        response = await handler(request)
        # A WebSocket upgrade's body is the socket itself, and an event stream never ends: for both only the
        # status and headers are checked.
        streams = response.status == 101 or response.content_type == "text/event-stream"
        body = b"" if streams else await response.read()
        url = request.url
        # aiohttp's router matches `path_safe`: decoded but for %2F and %25, so an encoded slash stays in a segment.
        checker.check(request.method, url.path, response.status, response.headers, body, raw_path=url.path_safe)
        return response

    return middleware


def checking_websocket_class(checker: ResponseChecker, mismatches: list[str]) -> type[aiohttp.ClientWebSocketResponse]:
    """A client WebSocket class whose every text message is checked against `WebSocketMessage`. A mismatch is
    recorded in `mismatches` rather than raised, so the reading task lives on and the test's fixture reports it."""

    class CheckingWebSocket(aiohttp.ClientWebSocketResponse):
        async def receive(self, timeout: float | None = None) -> aiohttp.WSMessage:
            message = await super().receive(timeout)
            if message.type == aiohttp.WSMsgType.TEXT:
                try:
                    checker.validate_schema(parse_json(message.data.encode()), "WebSocketMessage")
                except ResponseMismatch as exc:
                    mismatches.append(str(exc))
                checker.checked_messages += 1
            return message

    return CheckingWebSocket
