"""localstripe (PyPI) as the Stripe API for Paybell's Stripe tests.

    python server.py [--port PORT]

Serves localstripe's API, its webhook registry (/_config/webhooks/{name}) and its Stripe.js
stand-in (/js.stripe.com/v3/) on 127.0.0.1:PORT (0, the default: a free port), starting
empty and never writing localstripe's shared /tmp/localstripe.pickle, so tests running at
once do not see each other's objects. Prints "ready PORT" once it listens. Stops on SIGTERM
or when stdin closes (so it never outlives the test that started it).
"""

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # Each test's server is its own: nothing loaded from or saved to the shared file.
    type(resources.store).dump_to_disk = lambda self: None
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = runner.addresses[0][1]
    print("ready %d" % port, flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def on_stdin():
        if not sys.stdin.buffer.read1(4096):
            stop.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
