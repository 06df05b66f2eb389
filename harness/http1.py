"""A lean HTTP/1.1 client for load generators: JSON POSTs over kept-alive connections, one
asyncio loop, no per-request work beyond writing the request and reading the reply.

    async with KeptAlive("http://127.0.0.1:7860") as http:
        status, body = await http.post("/gradio_api/component_server", b'{"...": 1}')

Why not httpx: its connection pool checks every pooled connection's expiry (a socket call each)
for every request, so with 64 visitors on one loop the client took about a core of the 2-core
machine it shares with the server (py-spy of bench.crowd, 2026-12-03: 26% of its samples in
`_assign_requests_to_connections`). Here a request takes an idle connection from a stack or
opens one, and gives it back when the reply is read.

As a browser does, it asks for compressed replies (`Accept-Encoding` as Chromium sends it: the
app's Brotli middleware then compresses each reply, about 0.1 ms of its CPU) and reads them back;
and a request that finds its kept-alive connection closed by the server before any byte of a
reply (uvicorn closes idle ones after 5 s: the request and the close cross) is sent again once on
a fresh connection; `resent` counts them.
"""

from __future__ import annotations

import asyncio
import gzip
from urllib.parse import urlsplit

import brotli

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium's fetch sends; replies come br or gzip


class _Stale(ConnectionError):
    """The server closed a reused connection before any byte of the reply."""


class KeptAlive:
    """POST to one server over kept-alive HTTP/1.1 connections (at most `connections` at once)."""

    def __init__(self, url: str, timeout: float = 60, connections: int = 128) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)
        self.resent = 0

    async def __aenter__(self) -> KeptAlive:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        while self.idle:
            _, writer = self.idle.pop()
            writer.close()

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
        """POST `body` to `path`: (status, reply body)."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: {content_type}\r\n"
            f"Accept-Encoding: {ACCEPT_ENCODING}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        async with self.slots:
            async with asyncio.timeout(self.timeout):
                while self.idle:
                    reader, writer = connection = self.idle.pop()
                    if reader.at_eof():  # closed by the server while it sat idle: as a browser, drop it
                        writer.close()
                        continue
                    try:
                        return await self._exchange(connection, head + body)
                    except _Stale:
                        self.resent += 1
                        break
                return await self._exchange(await asyncio.open_connection(self.host, self.port), head + body)

    async def _exchange(
        self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[int, bytes]:
        reader, writer = connection
        try:
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                if not e.partial:  # closed before any byte of a reply
                    raise _Stale from e
                raise
            except ConnectionError as e:  # reset, or a broken pipe as the request went out
                raise _Stale from e
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if status in (204, 304) or status < 200:
                body = b""
            elif "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                body = await _chunked(reader)
            else:  # delimited by the close
                body, headers["connection"] = await reader.read(), "close"
            encoding = headers.get("content-encoding", "").lower()
            if encoding == "br":
                body = brotli.decompress(body)
            elif encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding not in ("", "identity"):
                raise ValueError(f"a reply in an encoding this client does not read: {encoding!r}")
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append(connection)
        return status, body


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from the servers this talks to
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
