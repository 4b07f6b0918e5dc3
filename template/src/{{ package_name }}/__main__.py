"""Serve the API with uvicorn, on the host, port and workers from settings."""

import uvicorn

from .core.config import Settings

# Seconds uvicorn waits beyond SHUTDOWN_TIMEOUT before it cancels what is left: time for the
# app to end its open streams with an error event (core/shutdown.py).
STREAM_CUT_GRACE = 1


def main() -> None:
    settings = Settings()
    uvicorn.run(
        f"{__package__}.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,  # the app configures logging itself (core/logging.py)
        access_log=False,  # the request middleware logs each request
        proxy_headers=True,
        # Without a limit uvicorn waits for open streams forever.
        timeout_graceful_shutdown=settings.shutdown_timeout + STREAM_CUT_GRACE,
    )


if __name__ == "__main__":
    main()
