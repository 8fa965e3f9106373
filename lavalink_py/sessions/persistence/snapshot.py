"""Reading what is to be kept from the live sessions: on the event loop, pure reads, no I/O (the store writes it
in its own thread)."""

from __future__ import annotations

from lavalink_py.player.player import Player
from lavalink_py.protocol.filters import filters_json
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.persistence.kept import KeptPlayer, KeptSession, KeptVoice
from lavalink_py.sessions.session import Session


def take_snapshot(sessions: SessionManager, now_ms: int) -> list[KeptSession]:
    """Every resumable session (connected or paused) with its players. Non-resumable sessions are left out: a
    restart ends them, as Lavalink forgets them when their socket closes."""
    return [_session(s, now_ms) for s in sessions.sessions() if s.resuming and not s.shut_down]


def _session(session: Session, now_ms: int) -> KeptSession:
    detached = session.detached_at_ms if session.detached_at_ms is not None else now_ms
    queued = tuple(payload.decode("utf-8", "surrogatepass") for payload in session.queued)
    players = tuple(_player(p, now_ms) for p in session.players.values() if not p.destroyed)
    return KeptSession(session.id, session.user_id, session.client_name, session.timeout_s, detached, queued, players)


def _player(player: Player, now_ms: int) -> KeptPlayer:
    track = player.track
    voice = player.voice
    kept_voice = KeptVoice(voice.token, voice.endpoint, voice.session_id, voice.channel_id) if voice.endpoint else None
    return KeptPlayer(
        guild_id=player.guild_id,
        encoded_track=None if track is None else track.encoded,
        user_data={} if track is None else dict(track.user_data),
        plugin_info={} if track is None else dict(track.plugin_info),
        position_ms=player.position_ms,
        taken_at_ms=now_ms,
        paused=player.paused,
        volume=player.volume,
        filters=filters_json(player.filters),
        end_time_ms=player.end_time_ms,
        voice=kept_voice,
    )
