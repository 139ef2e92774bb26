"""A real SMTP server for Paybell's e-mail tests (aiosmtpd), storing what it receives.

    python server.py --port PORT --dir DIR

Each accepted message is written to DIR/NNNN.eml (through a temporary name, so a reader never
sees half a file), with the envelope, the decoded headers and the text and HTML parts in
DIR/NNNN.json (written first: a test waits for the .json files). Prints "ready" once it
listens.
Answers on demand, by recipient local part:
  tempfail-N-...@  451 for the first N deliveries to that address, then accepts
  reject-...@      550 with an explanation
Stops on SIGTERM or when stdin closes (so it never outlives the test that started it).
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.tempfails = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject-"):
            return "550 5.1.1 <%s>: mailbox unavailable, no such user here" % address
        if local.startswith("tempfail-"):
            parts = local.split("-")
            limit = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1
            seen = self.tempfails.get(address, 0)
            if seen < limit:
                self.tempfails[address] = seen + 1
                return "451 4.3.0 try again later (%d of %d)" % (seen + 1, limit)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        raw = envelope.original_content or envelope.content
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        meta.update(parsed(raw))
        with open(base + ".json.part", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.part", base + ".json")
        with open(base + ".eml.part", "wb") as f:
            f.write(raw)
        os.rename(base + ".eml.part", base + ".eml")
        return "250 Message accepted for delivery"


def parsed(raw):
    """The headers (decoded) and the text and HTML parts, so tests need no MIME parser."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    out = {
        "headers": {name: str(value) for name, value in message.items()},
        "content_type": message.get_content_type(),
        "text": None,
        "html": None,
    }
    for part in message.walk():
        if part.get_content_type() == "text/plain" and out["text"] is None:
            out["text"] = part.get_content()
        elif part.get_content_type() == "text/html" and out["html"] is None:
            out["html"] = part.get_content()
    return out


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    store = Store(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(store, hostname="smtp.test", decode_data=False), args.host, args.port
    )
    print("ready", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def on_stdin():
        if not sys.stdin.buffer.read1(4096):
            stop.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
