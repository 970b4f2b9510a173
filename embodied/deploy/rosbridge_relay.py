"""A minimal rosbridge v2 server that relays topics between its websocket clients.

It speaks the part of the rosbridge protocol the deploy bridge uses (advertise, unadvertise,
publish, subscribe, unsubscribe) so the rosbridge transport can be tested and benchmarked on
loopback without a ROS 2 installation: ``python -m embodied.deploy.rosbridge_relay --port 9090``.
A robot runs the real rosbridge_server instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)


class Relay:
    """Topic subscriptions of the connected clients; publishes go to every subscriber."""

    def __init__(self) -> None:
        self.subscribers: dict[str, set[ServerConnection]] = defaultdict(set)
        self.types: dict[str, str] = {}
        self.published = 0

    async def handle(self, connection: ServerConnection) -> None:
        try:
            async for text in connection:
                await self.dispatch(connection, text)
        except ConnectionClosed:
            pass
        finally:
            for clients in self.subscribers.values():
                clients.discard(connection)

    async def dispatch(self, connection: ServerConnection, text: str | bytes) -> None:
        try:
            request: dict[str, Any] = json.loads(text)
            op, topic = request["op"], request.get("topic")
        except (ValueError, KeyError, TypeError):
            await self._status(connection, "error", f"not a rosbridge request: {text!r:.80}")
            return
        if op in ("advertise", "subscribe") and request.get("type"):
            self.types.setdefault(topic, request["type"])
        if op == "subscribe":
            self.subscribers[topic].add(connection)
        elif op == "unsubscribe":
            self.subscribers[topic].discard(connection)
        elif op == "publish":
            self.published += 1
            out = json.dumps({"op": "publish", "topic": topic, "msg": request.get("msg")})
            for client in list(self.subscribers.get(topic, ())):
                try:
                    await client.send(out)
                except ConnectionClosed:
                    self.subscribers[topic].discard(client)
        elif op not in ("advertise", "unadvertise"):
            await self._status(connection, "warning", f"op {op!r} is not relayed")

    @staticmethod
    async def _status(connection: ServerConnection, level: str, msg: str) -> None:
        await connection.send(json.dumps({"op": "status", "level": level, "msg": msg}))


async def serve_forever(host: str, port: int) -> None:
    relay = Relay()
    async with serve(relay.handle, host, port, compression=None) as server:
        log.info("rosbridge relay on ws://%s:%d", host, port)
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.host, args.port))


if __name__ == "__main__":
    main()
