"""A real Prometheus (Debian's `prometheus`) on loopback, scraping a target, queried through its HTTP API.

Reusable beyond these tests: point `run_prometheus` at any node (host:port, metrics path, basic-auth
credentials), wait for scrapes with `wait_for_scrapes`, then `query` expressions. `dashboard_expressions` and
`rule_expressions` list every PromQL expression the shipped dashboards and rules use, with Grafana's variables
replaced so Prometheus can run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "dashboards"
RULES = REPO / "rules"
POLL_S = 0.1

Sample = dict[str, Any]


class PrometheusError(Exception):
    """Prometheus did not start, or answered an API call with an error."""


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    address: str  # host:port
    metrics_path: str = "/metrics"
    username: str | None = None
    password: str | None = None
    job: str = "lavalink"


def without_idle_zero(expr: str) -> str:
    """`expr` without its idle-node zero fallback (always the last `or on(...)`, see rules/lavalink_rules.yml):
    the series that real activity must create."""
    expr = expr.strip()
    cut = expr.rfind(" or on(")
    if cut < 0:
        return expr
    fed = expr[:cut].strip()
    # `(A or on(...) (0 * up))`: the fallback closed the parenthesis that opened before A.
    if fed.count("(") > fed.count(")"):
        fed = fed.removeprefix("(")
    return fed


@dataclass(frozen=True, slots=True)
class Expression:
    origin: str  # file and panel/rule it comes from, for failure messages
    expr: str

    @property
    def fed(self) -> str:
        return without_idle_zero(self.expr)


class PrometheusServer:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self._session = session

    async def api(self, path: str, **params: str) -> Any:
        async with self._session.get(f"{self.base_url}/api/v1/{path}", params=params) as response:
            body = await response.json()
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    async def query(self, expr: str) -> list[Sample]:
        """Instant query; raises PrometheusError if Prometheus rejects the expression."""
        data = await self.api("query", query=expr)
        result: list[Sample] = data["result"] if data["resultType"] == "vector" else [data]
        return result

    async def wait_until(
        self, expr: str, timeout_s: float, accept: Callable[[list[Sample]], bool] = bool
    ) -> list[Sample]:
        """Poll `expr` until `accept(result)`; TimeoutError after `timeout_s`."""

        async def poll() -> list[Sample]:
            while True:
                result = await self.query(expr)
                if accept(result):
                    return result
                await asyncio.sleep(POLL_S)

        return await asyncio.wait_for(poll(), timeout_s)

    async def wait_for_scrapes(self, job: str, count: int, timeout_s: float = 60.0) -> None:
        """Wait until the target of `job` was scraped successfully `count` times in the last minute."""
        await self.wait_until(f'sum_over_time(up{{job="{job}"}}[1m]) >= {count}', timeout_s)

    async def targets(self) -> list[dict[str, Any]]:
        data = await self.api("targets")
        active: list[dict[str, Any]] = data["activeTargets"]
        return active

    async def rules(self) -> list[dict[str, Any]]:
        data = await self.api("rules")
        return [rule for group in data["groups"] for rule in group["rules"]]

    async def wait_for_rule_evaluation(self, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Wait until every loaded rule was evaluated at least once; returns the rules."""

        async def poll() -> list[dict[str, Any]]:
            while True:
                rules = await self.rules()
                # Never-evaluated rules report Go's zero time.
                if rules and all(not r["lastEvaluation"].startswith("0001-") for r in rules):
                    return rules
                await asyncio.sleep(POLL_S)

        return await asyncio.wait_for(poll(), timeout_s)


# Prometheus (exporter-toolkit) logs the address it actually bound; with port 0 that is the OS's choice.
_LISTENING = re.compile(r'msg="Listening on" address=127\.0\.0\.1:(?P<port>\d+)')


def _scrape_job(workdir: Path, target: ScrapeTarget, interval: str) -> dict[str, Any]:
    job: dict[str, Any] = {
        "job_name": target.job,
        "metrics_path": target.metrics_path,
        "scrape_interval": interval,
        "scrape_timeout": interval,
        "static_configs": [{"targets": [target.address]}],
    }
    if target.username is not None:
        password_file = workdir / f"{target.job}.password"
        password_file.write_text(target.password or "")
        password_file.chmod(0o600)
        job["basic_auth"] = {"username": target.username, "password_file": str(password_file)}
    return job


def write_config(
    workdir: Path, targets: Sequence[ScrapeTarget], rule_files: Sequence[Path], scrape_interval_s: float
) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    interval = f"{round(scrape_interval_s * 1000)}ms"
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [_scrape_job(workdir, t, interval) for t in targets],
    }
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextlib.asynccontextmanager
async def run_prometheus(
    target: ScrapeTarget | Sequence[ScrapeTarget],
    workdir: Path,
    *,
    rule_files: Sequence[Path] = (),
    scrape_interval_s: float = 1.0,
    binary: str = "prometheus",
    startup_timeout_s: float = 30.0,
) -> AsyncIterator[PrometheusServer]:
    """Run Prometheus on 127.0.0.1 scraping `target` (one job each), config and storage under `workdir`."""
    targets = [target] if isinstance(target, ScrapeTarget) else list(target)
    config = write_config(workdir, targets, rule_files, scrape_interval_s)
    log_path = workdir / "prometheus.log"
    with log_path.open("wb") as log:
        # Port 0, never a port probed free and closed again: a parallel run could take that port in between,
        # and its Prometheus would answer our queries.
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            "--web.listen-address=127.0.0.1:0",
            stdout=log,
            stderr=log,
        )
    try:
        port = await _listening_port(process, log_path, startup_timeout_s)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            server = PrometheusServer(f"http://127.0.0.1:{port}", session)
            await _wait_ready(server, session, process, log_path, startup_timeout_s)
            yield server
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _listening_port(process: asyncio.subprocess.Process, log_path: Path, timeout_s: float) -> int:
    async def poll() -> int:
        while process.returncode is None:
            if match := _LISTENING.search(await asyncio.to_thread(log_path.read_text, errors="replace")):
                return int(match["port"])
            await asyncio.sleep(POLL_S)
        raise PrometheusError(f"prometheus exited with {process.returncode}:\n{_log_tail(log_path)}")

    try:
        return await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise PrometheusError(f"prometheus did not listen in {timeout_s}s:\n{_log_tail(log_path)}") from None


async def _wait_ready(
    server: PrometheusServer,
    session: aiohttp.ClientSession,
    process: asyncio.subprocess.Process,
    log_path: Path,
    timeout_s: float,
) -> None:
    async def poll() -> None:
        while process.returncode is None:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{server.base_url}/-/ready") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(POLL_S)
        raise PrometheusError(f"prometheus exited with {process.returncode}:\n{_log_tail(log_path)}")

    try:
        await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise PrometheusError(f"prometheus not ready in {timeout_s}s:\n{_log_tail(log_path)}") from None


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]


_LABEL_VALUES = re.compile(r"^label_values\((?P<metric>.+),\s*[a-zA-Z_]+\)$")


def grafana_to_promql(expr: str, job: str, instance: str = ".*") -> str:
    """Replace the dashboards' variables by values Prometheus accepts."""
    match = _LABEL_VALUES.match(expr.strip())
    if match:
        expr = match["metric"]
    return (
        expr.replace("$__rate_interval", "1m")
        .replace("$__interval", "15s")
        .replace("$job", re.escape(job))
        .replace("$instance", instance)
    )


def dashboard_expressions(job: str, directory: Path = DASHBOARDS) -> list[Expression]:
    out = []
    for path in sorted(directory.glob("*.json")):
        dashboard = json.loads(path.read_text())
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]
                text = query["query"] if isinstance(query, dict) else query
                out.append(Expression(f"{path.name} variable ${variable['name']}", grafana_to_promql(text, job)))
        for panel in dashboard.get("panels", []):
            for target in panel.get("targets", []):
                origin = f"{path.name} panel {panel['title']!r} {target['refId']}"
                out.append(Expression(origin, grafana_to_promql(target["expr"], job)))
    return out


async def empty_dashboard_queries(prometheus: PrometheusServer, job: str) -> list[str]:
    """Origins of the dashboard queries that return no data (all must parse, else PrometheusError)."""
    return [e.origin for e in dashboard_expressions(job) if not await prometheus.query(e.expr)]


def rule_expressions(directory: Path = RULES) -> list[Expression]:
    out = []
    for path in sorted(directory.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                out.append(Expression(f"{path.name} {name}", rule["expr"]))
    return out
