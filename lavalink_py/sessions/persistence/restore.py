"""Bringing kept sessions back at start: each becomes a paused session, resumable for what is left of its
timeout, and its players play again (voice reconnected with the kept state, track reopened through its source at
the kept position; paused ones stay paused) before any client reconnects, as players of a paused session do."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from lavalink_py.protocol.filters import parse_filters
from lavalink_py.protocol.player_update import VoiceState
from lavalink_py.protocol.track import Track
from lavalink_py.protocol.track_codec import TrackDecodeError, decode_track
from lavalink_py.protocol.validation import RequestError
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.persistence.kept import KeptPlayer, KeptSession
from lavalink_py.sessions.session import Session

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RestoreReport:
    sessions: int = 0
    players: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by cause: expired, track, filters, conflict


def restore_sessions(manager: SessionManager, kept: list[KeptSession], now_ms: int) -> RestoreReport:
    report = RestoreReport()
    for entry in kept:
        remaining_ms = entry.expires_at_ms() - now_ms
        if remaining_ms <= 0:
            report.failures["expired"] += 1
            log.info("kept session's resume timeout passed while the node was down", extra={"session_id": entry.id})
            continue
        session = manager.new_session(entry.id, entry.user_id, entry.client_name)
        session.resuming, session.timeout_s = True, entry.timeout_s
        session.restore_queue([text.encode("utf-8", "surrogatepass") for text in entry.queued], entry.detached_at_ms)
        try:
            manager.adopt_paused(session, remaining_ms / 1000)
        except ValueError:
            report.failures["conflict"] += 1
            continue
        report.sessions += 1
        for player in entry.players:
            if _restore_player(session, player, report):
                report.players += 1
        log.info(
            "kept session restored with %d players; resumable for %d s",
            len(session.players),
            remaining_ms // 1000,
            extra={"session_id": session.id},
        )
    return report


def _restore_player(session: Session, kept: KeptPlayer, report: RestoreReport) -> bool:
    try:
        filters = parse_filters(kept.filters, session.services.audio.filters)
        track = None
        if kept.encoded_track is not None:
            info = decode_track(kept.encoded_track)
            track = Track(kept.encoded_track, info, kept.plugin_info, kept.user_data)
    except TrackDecodeError:
        report.failures["track"] += 1
        log.warning("kept player's track does not decode; player not restored", extra={"guild_id": kept.guild_id})
        return False
    except RequestError:
        report.failures["filters"] += 1
        log.warning("kept player's filters are invalid; player not restored", extra={"guild_id": kept.guild_id})
        return False
    player = session.get_or_create_player(kept.guild_id)
    player.set_volume(kept.volume)
    player.filters = filters
    if kept.voice is not None:
        voice = kept.voice
        state = VoiceState(voice.token, voice.endpoint, voice.session_id, voice.channel_id)
        player.set_voice(state, sink_when_connected=True)
    if track is not None:
        player.restore(track, position_ms=kept.position_ms, end_time_ms=kept.end_time_ms, paused=kept.paused)
    return True
