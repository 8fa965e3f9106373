"""docs/configuration.md is generated from the typed settings; it must equal what the generator writes now."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lavalink_py.config.reference import _camel as camel
from lavalink_py.config.reference import render_markdown, rows
from lavalink_py.config.settings import LavalinkServerSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_configuration_md_is_the_generated_reference() -> None:
    assert DOC.read_text() == render_markdown(), "run: python -m lavalink_py.config.reference > docs/configuration.md"


def test_every_lavalink_server_key_is_listed_in_lavalinks_spelling_with_its_env_name() -> None:
    listed = {row.key: row for row in rows()}
    for field in dataclasses.fields(LavalinkServerSettings):
        key = field.metadata.get("key") or camel(field.name)
        assert any(k == f"lavalink.server.{key}" or k.startswith(f"lavalink.server.{key}.") for k in listed), key
    row = listed["lavalink.server.opusEncodingQuality"]
    assert (row.env, row.default, row.range) == ("LAVALINK_SERVER_OPUS_ENCODING_QUALITY", "`10`", ">= 0, <= 10")
    assert listed["lavalink.server.playerUpdateInterval"].about
    assert "metrics.collectors.<name>.enabled" in listed
    assert "lavalink.plugins.<index>.dependency" in listed
