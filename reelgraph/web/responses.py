"""Sending an opened run-folder file: whole, or one byte range (what a `<video>` element asks for when it seeks)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from email.utils import formatdate

import anyio
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from reelgraph.web.files import OpenFile

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end inclusive) of a single `Range: bytes=…` header, None for the whole file; 416 when it cannot
    be served (several ranges, or past the end)."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m[1] and not m[2]):
        raise HTTPException(416, "only one byte range (bytes=start-end) is served")
    if not m[1]:  # the last N bytes
        start, end = max(size - int(m[2]), 0), size - 1
    else:
        start = int(m[1])
        end = min(int(m[2]), size - 1) if m[2] else size - 1
    if start >= size or start > end:
        raise HTTPException(416, f"range past the end of a {size}-byte file")
    return start, end


async def _chunks(fd: int, start: int, length: int) -> AsyncIterator[bytes]:
    try:
        offset, left = start, length
        while left > 0:
            data = await anyio.to_thread.run_sync(os.pread, fd, min(CHUNK, left), offset)
            if not data:
                break
            offset += len(data)
            left -= len(data)
            yield data
    finally:
        os.close(fd)


def file_response(opened: OpenFile, range_header: str | None, head: bool = False) -> Response:
    """A 200 (whole file) or 206 (one range) response streaming from the already-open descriptor, which it closes."""
    try:
        span = byte_range(range_header, opened.size)
    except HTTPException:
        os.close(opened.fd)
        raise
    start, end = span if span else (0, opened.size - 1)
    length = max(end - start + 1, 0)
    headers = {"accept-ranges": "bytes", "content-length": str(length), "cache-control": "no-cache",
               "last-modified": formatdate(opened.mtime, usegmt=True), "x-content-type-options": "nosniff"}
    if span:
        headers["content-range"] = f"bytes {start}-{end}/{opened.size}"
    status = 206 if span else 200
    if head or length == 0:
        os.close(opened.fd)
        return Response(status_code=status, headers=headers, media_type=opened.media_type)
    return StreamingResponse(_chunks(opened.fd, start, length), status_code=status, headers=headers,
                             media_type=opened.media_type)
