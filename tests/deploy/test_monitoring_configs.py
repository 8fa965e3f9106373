"""deploy/'s Alertmanager and Promtail examples: checked by Alertmanager's own tool, and matched against what
the node's rules and JSON log lines really carry (Promtail has no Debian or PyPI package to check it with)."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import orjson
import yaml

from lavalink_py.config import configure_logging
from lavalink_py.config.logs import log_context
from lavalink_py.config.settings import LoggingSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def test_amtool_accepts_the_alertmanager_config() -> None:
    amtool = shutil.which("amtool")
    assert amtool is not None, "scripts/test.sh installs prometheus-alertmanager"
    command = [amtool, "check-config", str(DEPLOY / "alertmanager.yml")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_routes_every_severity_the_rules_use() -> None:
    rules = yaml.safe_load((REPO / "rules" / "lavalink_rules.yml").read_text())
    severities = {r["labels"]["severity"] for g in rules["groups"] for r in g["rules"]}
    config = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text())
    routed = {m.split("=", 1)[1].strip('"') for route in config["route"]["routes"] for m in route["matchers"]}
    # warning goes to the default receiver; the others have their own route.
    assert severities - {"warning"} <= routed
    receivers = {r["name"] for r in config["receivers"]}
    assert {config["route"]["receiver"]} | {r["receiver"] for r in config["route"]["routes"]} <= receivers


def test_promtail_extracts_fields_the_json_log_lines_carry() -> None:
    stream = io.StringIO()
    configure_logging(LoggingSettings(format="json"), stream=stream)
    try:
        with log_context(guild_id="170939974227591168", session_id="abc", track="Song"):
            logging.getLogger("lavalink_py.player").info("player created")
    finally:
        logging.getLogger().handlers.clear()
    line = orjson.loads(stream.getvalue().splitlines()[-1])
    config = yaml.safe_load((DEPLOY / "promtail.yml").read_text())
    [job] = config["scrape_configs"]
    stages = {next(iter(stage)): stage[next(iter(stage))] for stage in job["pipeline_stages"]}
    for field in stages["json"]["expressions"].values():
        assert field in line, field
    assert set(stages["labels"]) <= set(stages["json"]["expressions"])
    assert stages["timestamp"]["format"] == "RFC3339Nano"
    datetime.fromisoformat(line[stages["timestamp"]["source"]])  # RFC 3339
