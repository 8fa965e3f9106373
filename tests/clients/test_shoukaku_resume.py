"""Shoukaku's own resume: the socket is cut, Shoukaku reconnects with `Session-Id`, reads `Session-Resumed: true`
and the player it left is still there."""

from __future__ import annotations

from tests.clients.scenario import voice_server
from tests.clients.shoukaku_driver import shoukaku_driver
from tests.node import RunningNode, TcpProxy, wait_until


async def test_shoukaku_resumes_its_session_after_a_dropped_socket(node: RunningNode) -> None:
    proxy = TcpProxy(int(node.url.rsplit(":", 1)[1]))
    await proxy.start()
    options = {"resume": True, "resumeTimeout": 30, "reconnectTries": 5, "reconnectInterval": 0.2}
    try:
        async with voice_server() as server, shoukaku_driver(node, server, port=proxy.port, options=options) as driver:
            assert (await driver.js.event("ready"))["resumed"] is False  # the first connection's
            session_id = await driver.js.call("sessionId")
            # Shoukaku enables resuming with a PATCH after `ready`; wait until the node has it.
            await wait_until(lambda: (s := node.node.sessions.get(session_id)) is not None and s.resuming, 20)
            await driver.join(server)
            await driver.set_volume(70)

            proxy.drop_all()
            resumed = await driver.js.event("ready")
            assert resumed["resumed"] is True
            assert await driver.js.call("sessionId") == session_id
            assert (await driver.remote_player())["volume"] == 70
            await driver.destroy()
    finally:
        await proxy.close()
