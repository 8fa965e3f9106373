"""Per-packet CPU of the voice send path with hot caches: one VoiceConnection to one in-process fake voice server.

    python -m bench.voice_packet [--packets 5000]

Prints thread CPU per call (time.thread_time, so time the scheduler gives to others is not counted) of:
`VoiceConnection.send_frame` (DAVE + RTP + AEAD + sock.send + the connection's checks), `FrameSender.packet_for`
(no send), `DaveAdapter.encrypt` alone, the reference path the sender fuses (`RtpPacketizer.next_header` +
`TransportCipher.encrypt` over a DAVE frame), `sock.send` alone and the asyncio transport's `sendto` alone.
bench/voice.py measures the same path across 50-200 connections, where caches are cold at every tick.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Callable


def per_call_us(function: Callable[[bytes], object], frames: list[bytes], count: int) -> float:
    began = time.thread_time()
    for index in range(count):
        function(frames[index % len(frames)])
    return round((time.thread_time() - began) / count * 1e6, 2)


async def run(count: int) -> dict[str, float]:
    from lavalink_py.voice.cipher import AES_GCM, make_cipher
    from lavalink_py.voice.connection import VoiceConnection
    from lavalink_py.voice.rtp import RtpPacketizer
    from tests.fakes.discord_voice.server import FakeVoiceServer
    from tests.voice.audio import encode_opus, sweep

    # The fake checks headers only (decrypt one in a million): its work here is not what is measured.
    server = FakeVoiceServer(listener_ids=(444,), decode_audio=False, decrypt_every=1_000_000)
    await server.start()
    state = server.voice_state()
    connection = VoiceConnection(
        guild_id=server.guild_id, user_id=server.node_user_id, channel_id=int(state["channelId"]),
        session_id=state["sessionId"], token=state["token"], endpoint=state["endpoint"],
        on_event=lambda _e: None, ssl_context=FakeVoiceServer.client_ssl_context(),
    )
    try:
        await connection.wait_e2ee_ready(60)
        frames = encode_opus(sweep(2.0))
        sender = connection._sender  # bench only: the parts, to time each alone
        udp = connection._udp
        assert sender is not None and udp is not None and udp.transport is not None
        # The same mode as the session's; the key does not change the cost.
        cipher = make_cipher(server.selected_mode or AES_GCM, bytes(32))
        reference = RtpPacketizer(1)
        packet = sender.packet_for(frames[0])
        assert packet is not None
        transport = udp.transport

        # (Before this branch the connection had no socket of its own: the transport's then.)
        sock = getattr(udp, "sock", None) or transport._sock  # type: ignore[attr-defined]

        def sock_send(_frame: bytes) -> None:
            with contextlib.suppress(OSError):
                sock.send(packet)

        def reference_path(frame: bytes) -> bytes:
            payload = connection.dave.encrypt(frame)
            assert payload is not None
            return cipher.encrypt(reference.next_header(), payload, 7)

        results: dict[str, float] = {}
        for name, function in (
            ("send_frame", connection.send_frame),
            ("packet_for", sender.packet_for),
            ("reference_packet", reference_path),
            ("dave_encrypt", connection.dave.encrypt),
            ("sock_send", sock_send),
            ("transport_sendto", lambda _frame: transport.sendto(packet)),
        ):
            runs = []
            for _ in range(3):
                runs.append(per_call_us(function, frames, count))
                await asyncio.sleep(0.2)  # the fake drains its socket
            results[name] = min(runs)
        return results
    finally:
        await connection.close()
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=5000)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    print(json.dumps({"us_per_call_cpu": asyncio.run(run(args.packets)), "loadavg": load}))


if __name__ == "__main__":
    main()
