"""The crowd benchmarks' HTTP client (harness/http1.py) against a real socket server on loopback:
it reuses its connections, reads every kind of reply body it asks for, drops a connection the
server closed while it sat idle, and sends a request again, once and counted, when the server
closed the connection as the request went out.

    python -m pytest tests/test_http1.py
"""

from __future__ import annotations

import asyncio
import gzip

import brotli

from harness.http1 import KeptAlive
from tests.conftest import run_apart


def _header(head: bytes, name: bytes) -> bytes:
    return next(
        (line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(name)), b""
    )


async def _serve(close_after: int | None = None, answer_last: bool = True, reply: str = "length"):
    """A tiny HTTP/1.1 server that echoes the body. `reply`: "length" (Content-Length), "chunked",
    "compressed" (Brotli if the request accepts it, else gzip) or "gzip". After `close_after` replies on a
    connection it closes it unannounced: at once (`answer_last`), or after reading the next
    request without answering it (the close and the request cross). Returns (server, url,
    connections opened)."""
    opened = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = b"echo:" + await reader.readexactly(int(_header(head, b"content-length")))
                if close_after is not None and served >= close_after:
                    break  # read, never answered
                if reply in ("compressed", "gzip"):
                    br = reply == "compressed" and b"br" in _header(head, b"accept-encoding")
                    body, coding = (brotli.compress(body), b"br") if br else (gzip.compress(body), b"gzip")
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n" % coding)
                    writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                elif reply == "chunked":
                    half = len(body) // 2
                    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
                        half,
                        body[:half],
                        len(body) - half,
                        body[half:],
                    )
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
                else:
                    writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                served += 1
                if answer_last and close_after is not None and served >= close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", opened


def test_replies_are_read_and_one_connection_serves_a_visitor_in_turn():
    async def run():
        server, url, opened = await _serve()
        async with server, KeptAlive(url) as http:
            replies = [await http.post("/x", f"drawing {i}".encode()) for i in range(5)]
        return replies, len(opened), http.resent

    replies, opened, resent = run_apart(run())
    assert replies == [(201, f"echo:drawing {i}".encode()) for i in range(5)]
    assert (opened, resent) == (1, 0)


def test_a_chunked_reply_is_read_whole():
    async def run():
        server, url, _ = await _serve(reply="chunked")
        async with server, KeptAlive(url) as http:
            return await http.post("/x", b"0123456789" * 50)

    assert run_apart(run()) == (200, b"echo:" + b"0123456789" * 50)


def test_it_asks_for_a_compressed_reply_as_a_browser_does_and_reads_it():
    async def run(reply: str):
        server, url, _ = await _serve(reply=reply)
        async with server, KeptAlive(url) as http:
            return await http.post("/x", b"a drawing" * 40)

    assert run_apart(run("compressed")) == (200, b"echo:" + b"a drawing" * 40)  # Brotli
    assert run_apart(run("gzip")) == (200, b"echo:" + b"a drawing" * 40)


def test_a_connection_the_server_closed_while_it_sat_idle_is_not_used_again():
    async def run():
        server, url, opened = await _serve(close_after=1)  # the server drops each after one reply
        async with server, KeptAlive(url) as http:
            first = await http.post("/x", b"a")
            await asyncio.sleep(0.05)  # the close reaches us while the connection sits idle
            second = await http.post("/x", b"b")
        return first, second, len(opened), http.resent

    first, second, opened, resent = run_apart(run())
    assert (first, second) == ((201, b"echo:a"), (201, b"echo:b"))
    assert (opened, resent) == (2, 0)


def test_a_request_the_servers_close_crossed_is_sent_again_once_and_counted():
    async def run():
        # the second request on a connection is read, then the connection closed unanswered
        server, url, opened = await _serve(close_after=1, answer_last=False)
        async with server, KeptAlive(url) as http:
            first = await http.post("/x", b"a")
            second = await http.post("/x", b"b")
        return first, second, len(opened), http.resent

    first, second, opened, resent = run_apart(run())
    assert (first, second) == ((201, b"echo:a"), (201, b"echo:b"))
    assert (opened, resent) == (2, 1)
