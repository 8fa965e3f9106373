"""Fuzzing the REST API of a real node: whatever a client sends, the node answers with a status the OpenAPI
document lists (never a 5xx), refusals in Lavalink's error body, a refused request changes nothing, and the node and
its players stay readable afterwards.

Every response is checked against `/v4/openapi.json` by the harness's client (`tests/openapi_check.py`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as _quote

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lavalink_py.protocol.track import TrackInfo, track_info_json
from lavalink_py.protocol.track_codec import TrackEncodeError, encode_track
from tests.fuzz import strategies as fs
from tests.fuzz.harness import FuzzNode, examples

settings.load_profile("fuzz")


def quote(text: str, safe: str = "/") -> str:
    # A lone surrogate has no UTF-8 form: it goes out as the bytes Java's or Python's lenient encoders write for it.
    return _quote(text, safe=safe, errors="surrogatepass")


def without_time(player: Any) -> Any:
    """What a refused PATCH must leave alone: the player without what moves by itself (the state's time, and the
    frame counters and Opus complexity of the extra `frames` field, which the playback updates as it runs)."""
    player = {k: v for k, v in player.items() if k != "frames"}
    if player["state"] is None:
        return player
    return {**player, "state": {k: v for k, v in player["state"].items() if k != "time"}}


def assert_answered(status: int, body: Any, path_prefix: str = "/v4/") -> None:
    assert status < 500, body
    if status >= 400 and body is not None:
        assert body["status"] == status
        assert body["path"].startswith(path_prefix)


def assert_not_a_fault(result: Any) -> None:
    """Severity `fault` is lavaplayer's "probably a bug": bad input is `common` or `suspicious`, never that."""
    if result["loadType"] == "error":
        assert result["data"]["severity"] != "fault", result["data"]


def _baseline(fuzz: FuzzNode) -> tuple[int, Any]:
    """A player with a track, a volume, a pause and a filter, so a refusal has something to leave alone. Refusals
    leave it as it is, so it serves the next example too; one that was changed is replaced by a fresh one."""
    if fuzz.baseline is not None:
        return fuzz.baseline
    guild = fuzz.next_guild()
    encoded = fuzz.media_encoded
    body = {
        "track": {"encoded": encoded, "userData": {"n": 1}},
        "volume": 50,
        "paused": True,
        "filters": {"timescale": {"speed": 1.5}},
    }
    status, player = fuzz.run(fuzz.request("PATCH", fuzz.player_url(guild), body=fs.dumps(body)))
    assert status == 200, player
    fuzz.baseline = guild, player
    return guild, player


def _read_player(fuzz: FuzzNode, guild: int) -> Any:
    status, player = fuzz.run(fuzz.request("GET", fuzz.player_url(guild)))
    assert status == 200, player
    return player


def _destroy(fuzz: FuzzNode, guild: int) -> None:
    status, body = fuzz.run(fuzz.request("DELETE", fuzz.player_url(guild)))
    assert status == 204, body


@settings(max_examples=examples(250))
@given(data=st.data(), content_type=fs.content_types, no_replace=st.booleans())
def test_player_patch(fuzz: FuzzNode, data: st.DataObject, content_type: str, no_replace: bool) -> None:
    body = data.draw(fs.player_updates(str(fuzz.media)), label="body")
    guild, before = _baseline(fuzz)
    url = fuzz.player_url(guild) + ("?noReplace=true" if no_replace else "")
    status, answer = fuzz.run(fuzz.request("PATCH", url, body=fs.dumps(body), content_type=content_type))
    assert_answered(status, answer)
    if content_type.startswith("application/json") and not fuzz.checker.is_valid(body, "UpdatePlayer"):
        # What the document calls malformed the node refuses (the converse does not hold: a track can fail to load).
        assert status == 400, (body, answer)
    after = _read_player(fuzz, guild)
    if status >= 400:
        assert without_time(after) == without_time(before)
    else:
        fuzz.baseline = None
        _destroy(fuzz, guild)
        if after["track"] is None and answer["track"] is not None:
            # The track ended since (its source failed, asynchronously, as in Lavalink), and its position with it.
            after, answer = ({**player, "track": None, "state": None} for player in (after, answer))
        assert without_time(after) == without_time(answer)


@settings(max_examples=examples(200))
@given(body=fs.session_updates, content_type=fs.content_types)
def test_session_patch(fuzz: FuzzNode, body: Any, content_type: str) -> None:
    url = f"{fuzz.node.url}/v4/sessions/{fuzz.session_id}"
    status, before = fuzz.run(fuzz.request("PATCH", url, body=b"{}"))
    assert status == 200
    status, answer = fuzz.run(fuzz.request("PATCH", url, body=fs.dumps(body), content_type=content_type))
    assert_answered(status, answer)
    if content_type.startswith("application/json") and not fuzz.checker.is_valid(body, "SessionUpdate"):
        assert status == 400, (body, answer)
    _, after = fuzz.run(fuzz.request("PATCH", url, body=b"{}"))
    assert after == (before if status >= 400 else answer)
    # Leave the fuzz session as it was: ending with its socket, so the node's teardown has nothing paused.
    fuzz.run(fuzz.request("PATCH", url, body=fs.dumps({"resuming": False, "timeout": 60})))


@settings(max_examples=examples(200))
@given(data=st.data())
def test_loadtracks(fuzz: FuzzNode, data: st.DataObject) -> None:
    identifier = data.draw(fs.identifiers(str(fuzz.media)), label="identifier")
    status, result = fuzz.run(fuzz.request("GET", f"{fuzz.node.url}/v4/loadtracks?identifier={quote(identifier)}"))
    assert_answered(status, result)
    assert_not_a_fault(result)
    if status == 200 and result["loadType"] == "track":
        encoded = result["data"]["encoded"]
        status, decoded = fuzz.run(fuzz.request("GET", f"{fuzz.node.url}/v4/decodetrack?encodedTrack={quote(encoded)}"))
        assert (status, decoded["info"]) == (200, result["data"]["info"])


@settings(max_examples=examples(200))
@given(info=fs.track_infos)
def test_encoded_tracks_round_trip(fuzz: FuzzNode, info: TrackInfo) -> None:
    try:
        encoded = encode_track(info)
    except TrackEncodeError:
        assume(False)
    status, track = fuzz.run(fuzz.request("GET", f"{fuzz.node.url}/v4/decodetrack?encodedTrack={quote(encoded)}"))
    assert status == 200, track
    assert track["encoded"] == encoded
    assert track["info"] == track_info_json(info)
    status, tracks = fuzz.run(fuzz.request("POST", f"{fuzz.node.url}/v4/decodetracks", body=fs.dumps([encoded] * 2)))
    assert (status, tracks) == (200, [track, track])


@settings(max_examples=examples(200))
@given(encoded=fs.encoded_tracks | fs.mutated_encoded())
def test_any_encoded_track(fuzz: FuzzNode, encoded: str) -> None:
    url = fuzz.node.url
    status, one = fuzz.run(fuzz.request("GET", f"{url}/v4/decodetrack?encodedTrack={quote(encoded)}"))
    assert_answered(status, one)
    status_many, many = fuzz.run(fuzz.request("POST", f"{url}/v4/decodetracks", body=fs.dumps([encoded])))
    assert_answered(status_many, many)
    assert status_many == status
    if status == 200:
        assert many == [one]
    guild = fuzz.next_guild()
    status, player = fuzz.run(
        fuzz.request("PATCH", fuzz.player_url(guild), body=fs.dumps({"track": {"encoded": encoded}}))
    )
    assert_answered(status, player)
    status_read, _ = fuzz.run(fuzz.request("GET", fuzz.player_url(guild)))
    assert status_read == (200 if status == 200 else 404)
    _destroy(fuzz, guild)


raw_bodies = (
    st.binary(max_size=64)
    | fs.json_values.map(fs.dumps)
    | st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n)
    | st.integers(1, 5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
    | st.sampled_from([b"", b"null", b"[]", b"{", b'"\\ud800"', b'{"volume":1e999}', b"\xef\xbb\xbf{}", b"{}\x00"])
)


@settings(max_examples=examples(200))
@given(body=raw_bodies, route=st.sampled_from(["player", "session", "decodetracks"]), content_type=fs.content_types)
def test_raw_bodies(fuzz: FuzzNode, body: bytes, route: str, content_type: str) -> None:
    guild = fuzz.next_guild()
    method, url = {
        "player": ("PATCH", fuzz.player_url(guild)),
        "session": ("PATCH", f"{fuzz.node.url}/v4/sessions/{fuzz.session_id}"),
        "decodetracks": ("POST", f"{fuzz.node.url}/v4/decodetracks"),
    }[route]
    status, answer = fuzz.run(fuzz.request(method, url, body=body, content_type=content_type))
    assert_answered(status, answer)
    if route == "player":
        status_read, _ = fuzz.run(fuzz.request("GET", fuzz.player_url(guild)))
        assert status_read == (200 if status == 200 else 404)
        _destroy(fuzz, guild)
    if route == "session":
        fuzz.run(fuzz.request("PATCH", url, body=fs.dumps({"resuming": False, "timeout": 60})))


@settings(max_examples=examples(200))
@given(
    session=st.text(max_size=20) | st.just("SESSION"),
    guild=fs.snowflakes | fs.TEXT,
    method=st.sampled_from(["GET", "PATCH", "DELETE", "POST", "PUT"]),
)
def test_paths(fuzz: FuzzNode, session: str, guild: str, method: str) -> None:
    session = fuzz.session_id if session == "SESSION" else session
    url = f"{fuzz.node.url}/v4/sessions/{quote(session, safe='')}/players/{quote(guild, safe='')}"
    status, answer = fuzz.run(fuzz.request(method, url, body=b"{}" if method in ("PATCH", "POST", "PUT") else None))
    assert status < 500, answer
    if status == 200 and method == "PATCH":
        status, _ = fuzz.run(fuzz.request("DELETE", url))
        assert status == 204


def test_the_node_still_answers(fuzz: FuzzNode) -> None:
    if fuzz.baseline is not None:
        _destroy(fuzz, fuzz.baseline[0])
    fuzz.check_node_answers()
    status, players = fuzz.run(fuzz.request("GET", f"{fuzz.node.url}/v4/sessions/{fuzz.session_id}/players"))
    assert (status, players) == (200, [])
    # Every response went through the checker (pytest-xdist may have run this module's other tests, whose requests
    # these count, in other processes, each with its own node: a fixed total here failed when they did).
    assert fuzz.requests_sent > 0 and fuzz.checker.checked >= fuzz.requests_sent
    # The media file plays under whatever filters, volume, position or endTime a PATCH was allowed to set: an
    # accepted update never makes the audio pipeline fail (the garbage tracks fail, as their sources do).
    failed = [
        m
        for m in fuzz.socket.seen
        if m["op"] == "event" and m["type"] == "TrackExceptionEvent" and m["track"]["encoded"] == fuzz.media_encoded
    ]
    assert failed == []


@settings(max_examples=examples(150))
@example(lines=["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXTINF:inf,", "seg.ts", "#EXT-X-ENDLIST"], extension="m3u8")
@given(lines=st.lists(fs.playlist_lines, max_size=8), extension=st.sampled_from(["m3u", "m3u8", "pls", "txt", "mp3"]))
def test_playlist_files(fuzz: FuzzNode, lines: list[str], extension: str) -> None:
    """A playlist file on disk, any content: loading it answers a load result, never a 5xx."""
    path = fuzz.media_dir / f"list{fuzz.next_guild()}.{extension}"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    status, result = fuzz.run(fuzz.request("GET", f"{fuzz.node.url}/v4/loadtracks?identifier={quote(str(path))}"))
    assert_answered(status, result)
    assert_not_a_fault(result)
