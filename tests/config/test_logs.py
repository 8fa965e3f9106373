"""configure_logging and log_context, checked on the real output lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lavalink_py.config import ConfigError, configure_logging, log_context, settings_from_dict
from lavalink_py.config.logs import current_log_context
from lavalink_py.config.settings import LoggingSettings

pytestmark = pytest.mark.usefixtures("restore_logging")


def logging_settings(**section: Any) -> LoggingSettings:
    return settings_from_dict({"logging": section}).settings.logging


def configure(**section: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(logging_settings(**section), stream=stream)
    return stream


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def messages(stream: io.StringIO) -> list[str]:
    """The message part of each text line: after the date, time, level and logger."""
    return [line.split(maxsplit=4)[-1] for line in lines(stream)]


class TestText:
    def test_line_carries_time_level_logger_context_and_message(self) -> None:
        stream = configure(format="text")
        with log_context(guild_id=123, session_id="abc", track="Song"):
            logging.getLogger("lavalink_py.player").info("playing %s", "now")
        [line] = lines(stream)
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO    lavalink_py\.player \[guild=123 session=abc track=Song\] "
            r"playing now",
            line,
        ), line

    def test_no_brackets_without_context(self) -> None:
        stream = configure()
        logging.getLogger("lavalink_py").warning("plain")
        [line] = lines(stream)
        assert line.endswith(" WARNING lavalink_py plain")

    def test_extra_fields_join_the_context(self) -> None:
        stream = configure()
        with log_context(guild_id=1):
            logging.getLogger("lavalink_py").warning("closed", extra={"code": 4006})
        assert lines(stream)[0].endswith("[guild=1 code=4006] closed")


    def test_a_lone_surrogate_is_escaped_so_the_line_can_be_written(self, tmp_path: Path) -> None:
        configure(format="text", file={"path": str(tmp_path)})
        logging.getLogger("lavalink_py").warning("title %s", "bad \ud800 title")
        assert "title bad \\ud800 title" in (tmp_path / "spring.log").read_text()


class TestJson:
    def test_one_object_per_line_with_context_fields(self) -> None:
        stream = configure(format="json")
        with log_context(guild_id="42", session_id="s1", track="t1"):
            logging.getLogger("lavalink_py.player").info("line %d", 1)
        logging.getLogger("lavalink_py.player").info("line %d", 2)
        first, second = (json.loads(line) for line in lines(stream))
        assert first == {
            "time": first["time"],
            "level": "INFO",
            "logger": "lavalink_py.player",
            "message": "line 1",
            "guild_id": "42",
            "session_id": "s1",
            "track": "t1",
        }
        assert datetime.fromisoformat(first["time"]).utcoffset() is not None
        assert set(second) == {"time", "level", "logger", "message"}

    def test_exception_and_extra_fields(self) -> None:
        stream = configure(format="json")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("lavalink_py").exception("failed", extra={"attempt": 3, "where": Path("/tmp/x")})
        [entry] = (json.loads(line) for line in lines(stream))
        assert entry["level"] == "ERROR"
        assert entry["attempt"] == 3
        assert entry["where"] == "/tmp/x"  # not JSON-native: written as str()
        assert "ValueError: boom" in entry["exception"]

    def test_discord_ids_are_strings(self) -> None:
        # Snowflakes pass 2^53: a JSON number would lose digits in JavaScript-based log tools (issue 9).
        stream = configure(format="json")
        big = 2**64 - 1
        with log_context(guild_id=big, session_id="s1"):
            logging.getLogger("lavalink_py").info("x", extra={"user_id": 170939974227591168, "id": 5, "code": 4006})
        [entry] = (json.loads(line) for line in lines(stream))
        assert entry["guild_id"] == str(big)
        assert entry["user_id"] == "170939974227591168"
        assert entry["id"] == "5"
        assert entry["code"] == 4006  # not an id: stays a number
        assert '"guild_id":"18446744073709551615"' in stream.getvalue()

    def test_a_lone_surrogate_is_escaped_not_lost(self) -> None:
        stream = configure(format="json")
        logging.getLogger("lavalink_py").info("title %s", "bad \ud800 title", extra={"guild_id": 1})
        [line] = lines(stream)
        assert "\\ud800" in line
        assert json.loads(line)["message"] == "title bad \ud800 title"

    def test_context_cannot_hide_the_standard_fields(self) -> None:
        stream = configure(format="json")
        with log_context(level="spoofed", logger="spoofed", guild_id=7):
            logging.getLogger("lavalink_py").warning("real")
        [entry] = (json.loads(line) for line in lines(stream))
        assert (entry["level"], entry["logger"], entry["message"], entry["guild_id"]) == (
            "WARNING", "lavalink_py", "real", "7")


class TestLevels:
    def test_levels_per_logger(self) -> None:
        stream = configure(level={"root": "WARN", "lavalink": "DEBUG", "aiohttp.access": "ERROR", "noisy": "OFF"})
        logging.getLogger("lavalink_py.player").debug("ours debug")
        logging.getLogger("lavalink").debug("lavalink debug")
        logging.getLogger("other").info("other info")
        logging.getLogger("other").warning("other warning")
        logging.getLogger("aiohttp.access").warning("access warning")
        logging.getLogger("aiohttp.access").error("access error")
        logging.getLogger("noisy").critical("noisy critical")
        assert messages(stream) == ["ours debug", "lavalink debug", "other warning", "access error"]

    def test_explicit_lavalink_py_level_wins_over_the_lavalink_alias(self) -> None:
        stream = configure(level={"lavalink_py": "ERROR", "lavalink": "DEBUG"})
        logging.getLogger("lavalink_py").warning("hidden")
        logging.getLogger("lavalink").debug("shown")
        assert messages(stream) == ["shown"]

    def test_trace_sits_below_debug_and_root_defaults_to_info(self) -> None:
        stream = configure(level={"lavalink": "TRACE"})
        logging.getLogger("lavalink_py").log(5, "trace line")
        logging.getLogger("other").debug("hidden")
        logging.getLogger("other").info("info line")
        assert messages(stream) == ["trace line", "info line"]
        assert lines(stream)[0].split()[2] == "TRACE"


class TestHandlers:
    def test_lines_go_to_stdout_by_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging(logging_settings())
        logging.getLogger("lavalink_py").warning("to stdout")
        captured = capsys.readouterr()
        assert captured.out.endswith(" WARNING lavalink_py to stdout\n")
        assert "to stdout" not in captured.err

    def test_configuring_twice_replaces_the_handlers(self) -> None:
        first = configure()
        second = configure(format="json")
        logging.getLogger("lavalink_py").warning("once")
        assert lines(first) == []
        assert [json.loads(line)["message"] for line in lines(second)] == ["once"]
        names = [h.get_name() for h in logging.getLogger().handlers]
        assert names.count("lavalink_py.console") == 1

    def test_rotating_file_under_logging_file_path(self, tmp_path: Path) -> None:
        log_dir = tmp_path / "logs"
        configure(file={"path": str(log_dir)}, logback={"rollingpolicy": {"max-file-size": "300B", "max-history": 2}})
        logger = logging.getLogger("lavalink_py")
        for i in range(40):
            logger.warning("line %02d %s", i, "x" * 20)
        files = sorted(p.name for p in log_dir.iterdir())
        assert files == ["spring.log", "spring.log.1", "spring.log.2"]
        assert all((log_dir / name).stat().st_size <= 300 for name in files)
        newest = (log_dir / "spring.log").read_text().splitlines()
        assert newest[-1].split(maxsplit=4)[-1] == "line 39 " + "x" * 20

    def test_file_name_wins_over_path_and_uses_the_format(self, tmp_path: Path) -> None:
        target = tmp_path / "custom" / "node.log"
        stream = configure(format="json", file={"path": str(tmp_path / "unused"), "name": str(target)})
        with log_context(session_id="s"):
            logging.getLogger("lavalink_py").warning("to both")
        assert not (tmp_path / "unused").exists()
        [entry] = (json.loads(line) for line in target.read_text().splitlines())
        assert (entry["message"], entry["session_id"]) == ("to both", "s")
        assert lines(stream) == target.read_text().splitlines()


    def test_unwritable_log_file_is_a_config_error(self, tmp_path: Path) -> None:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("")
        stream = configure()
        with pytest.raises(ConfigError, match=r"^logging\.file\.path: cannot write the log file '.*spring\.log': "):
            configure(file={"path": str(blocker / "logs")})
        logging.getLogger("lavalink_py").warning("still logging")
        assert messages(stream) == ["still logging"]


class TestContext:
    def test_nested_contexts_merge_and_none_removes_a_field(self) -> None:
        stream = configure()
        log = logging.getLogger("lavalink_py")
        with log_context(session_id="s", guild_id=1):
            with log_context(track="t", guild_id=2):
                log.warning("inner")
                with log_context(track=None):
                    log.warning("no track")
            log.warning("outer")
        log.warning("outside")
        tags = [m[1] if (m := re.search(r"\[(.*)\]", line)) else "" for line in lines(stream)]
        assert tags == ["session=s guild=2 track=t", "session=s guild=2", "session=s guild=1", ""]
        assert current_log_context() == {}

    async def test_each_task_keeps_its_own_context(self) -> None:
        stream = configure(format="json")
        log = logging.getLogger("lavalink_py.player")
        turns = [asyncio.Event() for _ in range(4)]

        async def player(guild: int, waits: tuple[int, int], signals: tuple[int, int]) -> None:
            with log_context(guild_id=guild):
                await turns[waits[0]].wait() if waits[0] >= 0 else None
                log.warning("first")
                turns[signals[0]].set()
                await turns[waits[1]].wait()
                log.warning("second")
                turns[signals[1]].set()

        # Strict interleaving: A first, B first, A second, B second.
        await asyncio.wait_for(
            asyncio.gather(player(1, (-1, 1), (0, 2)), player(2, (0, 2), (1, 3))), timeout=5
        )
        seen = [(entry["guild_id"], entry["message"]) for entry in map(json.loads, lines(stream))]
        assert seen == [("1", "first"), ("2", "first"), ("1", "second"), ("2", "second")]
