"""Graceful shutdown, which uvicorn does not tell the app about.

At the first SIGTERM or SIGINT the readiness probe turns 503 at once; `delay` seconds later
uvicorn is told to stop (it stops accepting connections and waits for open responses); streams
still open `timeout` seconds after that are ended with an error event (uvicorn cancels what is
left shortly after: the serve command gives it a little longer than `timeout`). When the app's
lifespan ends, the clients it holds open (Redis connection pools) are closed.
"""

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    """The app's view of a shutdown: whether it began, and when open streams must end."""

    def __init__(self, delay: float, timeout: int) -> None:
        self.delay = delay
        self.timeout = timeout
        self.began = False
        self.streams_must_end = asyncio.Event()
        # What the app holds open, closed when its lifespan ends (see `close_at_end`).
        self.closers: list[Callable[[], Awaitable[object]]] = []

    def close_at_end(self, close: Callable[[], Awaitable[object]]) -> None:
        """Call `close` (a client's `aclose`) when the app's lifespan ends: the last one given
        first, so that what uses a client (background runs storing their end) ends before it."""
        self.closers.append(close)

    def begin(self) -> None:
        """Shutdown began: readiness fails from now on; streams end after delay + timeout."""
        if self.began:
            return
        self.began = True
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay + self.timeout, self.streams_must_end.set)

    @contextmanager
    def signals_watched(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        """Chain onto the server's SIGTERM/SIGINT handlers: the first signal begins the
        shutdown and reaches the server `delay` seconds later; a second one at once."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals are delivered to the main thread only: nothing to watch here
            return
        previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}

        def on_signal(sig: int, frame: FrameType | None) -> None:
            server_handler = previous[sig]
            if self.began:
                server_handler(sig, frame)
                return
            loop.call_soon_threadsafe(self.begin)
            loop.call_soon_threadsafe(loop.call_later, self.delay, server_handler, sig, frame)

        for sig in SIGNALS:
            if callable(previous[sig]):
                signal.signal(sig, on_signal)
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Watch for the server's shutdown signals while the app runs; close what it holds open
    when it ends."""
    shutdown: Shutdown = app.state.shutdown
    try:
        with shutdown.signals_watched(asyncio.get_running_loop()):
            yield
    finally:
        for close in reversed(shutdown.closers):
            await close()


def get_shutdown(app: Any) -> Shutdown | None:
    """The shutdown state of the app an ASGI scope belongs to (`scope["app"]`)."""
    shutdown: Shutdown | None = getattr(getattr(app, "state", None), "shutdown", None)
    return shutdown
