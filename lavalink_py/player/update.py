"""Applying a validated PlayerUpdate to a player, in Lavalink's order of effects (PlayerRestHandler.patchPlayer).

Everything that can fail (parsing, disabled filters, decoding or loading the track) has happened before this runs,
so an update is applied whole or not at all.
"""

from __future__ import annotations

from lavalink_py.player.player import Player
from lavalink_py.protocol.player_update import PlayerUpdate
from lavalink_py.protocol.track import Track
from lavalink_py.protocol.validation import OMITTED, Omitted


def apply_update(player: Player, update: PlayerUpdate, new_track: Track | Omitted | None, now_ms: int) -> None:
    """`new_track`: the track to play, None to stop, OMITTED when the track does not change (or noReplace held)."""
    if not isinstance(update.voice, Omitted):
        player.set_voice(update.voice)
    # A request that names a track applies paused, userData, position and endTime to the new track instead.
    for_current = not update.track.plays
    if for_current and not isinstance(update.paused, Omitted):
        player.set_paused(update.paused)
    if for_current and not isinstance(update.track.user_data, Omitted):
        player.set_user_data(update.track.user_data)
    if not isinstance(update.volume, Omitted):
        player.set_volume(update.volume)
    if for_current and not isinstance(update.position_ms, Omitted):
        player.seek(update.position_ms, now_ms)
    if for_current and update.end_time_ms is not OMITTED:
        player.set_end_time(None if isinstance(update.end_time_ms, Omitted) else update.end_time_ms)
    if not isinstance(update.filters, Omitted):
        player.set_filters(update.filters, now_ms)
    if new_track is OMITTED:
        return
    paused = update.paused if not isinstance(update.paused, Omitted) else False
    if new_track is None:
        player.set_paused(paused)
        player.stop()
        return
    assert isinstance(new_track, Track)
    if not isinstance(update.track.user_data, Omitted):
        new_track = Track(new_track.encoded, new_track.info, new_track.plugin_info, update.track.user_data)
    start_ms = update.position_ms if not isinstance(update.position_ms, Omitted) else new_track.info.position_ms
    end_time = update.end_time_ms if isinstance(update.end_time_ms, int) else None
    player.play(new_track, start_ms=start_ms, end_time_ms=end_time, paused=paused, now_ms=now_ms)
