"""An embedded MQTT 3.1.1 broker (amqtt) for the demo on machines without Mosquitto.

Loopback only, anonymous, no persistence: a laptop convenience, never a hall broker (see
``config/mosquitto/`` for that). amqtt speaks MQTT 3.1.1 only, so clients of this broker
connect with ``protocol = "3.1.1"``.
"""

from __future__ import annotations

import asyncio
import logging
import signal

log = logging.getLogger(__name__)


def broker_config(port: int) -> dict[str, object]:
    """amqtt configuration: one TCP listener on 127.0.0.1:``port``, anonymous clients."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


async def serve(port: int, stop: asyncio.Event) -> None:
    """Run the broker until ``stop`` is set."""
    from amqtt.broker import Broker

    broker = Broker(broker_config(port))
    await broker.start()
    log.info("embedded MQTT 3.1.1 broker listening on 127.0.0.1:%d", port)
    try:
        await stop.wait()
    finally:
        await broker.shutdown()


def run_broker(port: int) -> int:
    """Foreground entry point: serve until SIGTERM or Ctrl-C."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(port, stop)

    asyncio.run(main())
    return 0
