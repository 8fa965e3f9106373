"""The REST call being handled, as the spans it starts see it: its session, the node, its `traceparent`.

The W3C header is parsed only when a span is started under the call (about 15 us a parse), so clients that send
`traceparent` on every call pay nothing on the calls that start no span. Imported only with tracing on.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from multidict import CIMultiDictProxy
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lavalink_py.sessions.node import Node

_PROPAGATOR = TraceContextTextMapPropagator()


@dataclass(slots=True)
class RequestScope:
    session_id: str | None
    node: Node
    headers: CIMultiDictProxy[str]
    _parent: Context | None = None
    _parsed: bool = field(default=False)

    def parent(self) -> Context | None:
        """The client's span as an OpenTelemetry context; None (a new trace) without a `traceparent`."""
        if not self._parsed:
            self._parent = _PROPAGATOR.extract(self.headers) if "traceparent" in self.headers else None
            self._parsed = True
        return self._parent


CURRENT: ContextVar[RequestScope | None] = ContextVar("lavalink_trace_scope", default=None)
