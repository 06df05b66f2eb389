"""The crowd benchmarks' HTTP client (harness/http1.py) against a real socket server on loopback:
it reuses its connections, reads both kinds of reply bodies, and sends a request again, once and
counted, when the server had closed the kept-alive connection it went out on.

    python -m pytest tests/test_http1.py
"""

from __future__ import annotations

import asyncio

import brotli

from harness.http1 import KeptAlive


async def _serve(close_after: int | None, chunked: bool, brotli_if_asked: bool = False):
    """A tiny HTTP/1.1 server that echoes the body (Brotli-compressed when `brotli_if_asked` and
    the request accepts it); it closes each connection after `close_after` replies (without
    saying so). Returns (server, url, connections opened)."""
    opened = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = b"echo:" + await reader.readexactly(length)
                accepts = b"br" in next(
                    (h for h in head.split(b"\r\n") if h.lower().startswith(b"accept-encoding")), b""
                )
                if brotli_if_asked and accepts:
                    body = brotli.compress(body)
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: %d\r\n\r\n%s"
                        % (len(body), body)
                    )
                elif chunked:
                    half = len(body) // 2
                    payload = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
                        half,
                        body[:half],
                        len(body) - half,
                        body[half:],
                    )
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + payload)
                else:
                    writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                served += 1
                if close_after is not None and served >= close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", opened


def test_replies_are_read_and_one_connection_serves_a_visitor_in_turn():
    async def run():
        server, url, opened = await _serve(None, chunked=False)
        async with server, KeptAlive(url) as http:
            replies = [await http.post("/x", f"drawing {i}".encode()) for i in range(5)]
        return replies, len(opened), http.resent

    replies, opened, resent = asyncio.run(run())
    assert replies == [(201, f"echo:drawing {i}".encode()) for i in range(5)]
    assert (opened, resent) == (1, 0)


def test_a_chunked_reply_is_read_whole():
    async def run():
        server, url, _ = await _serve(None, chunked=True)
        async with server, KeptAlive(url) as http:
            return await http.post("/x", b"0123456789" * 50)

    assert asyncio.run(run()) == (200, b"echo:" + b"0123456789" * 50)


def test_it_asks_for_a_compressed_reply_as_a_browser_does_and_reads_it():
    async def run():
        server, url, _ = await _serve(None, chunked=False, brotli_if_asked=True)
        async with server, KeptAlive(url) as http:
            return await http.post("/x", b"a drawing" * 40)

    assert asyncio.run(run()) == (200, b"echo:" + b"a drawing" * 40)


def test_a_request_on_a_connection_the_server_closed_is_sent_again_once_and_counted():
    async def run():
        server, url, opened = await _serve(1, chunked=False)  # the server drops each after one reply
        async with server, KeptAlive(url) as http:
            first = await http.post("/x", b"a")
            await asyncio.sleep(0.05)  # the close reaches us while the connection sits idle
            second = await http.post("/x", b"b")
        return first, second, len(opened), http.resent

    first, second, opened, resent = asyncio.run(run())
    assert (first, second) == ((201, b"echo:a"), (201, b"echo:b"))
    assert (opened, resent) == (2, 1)
