"""Serve the API with uvicorn, on the host, port and workers from settings."""

import uvicorn

from .core.config import Settings


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
    )


if __name__ == "__main__":
    main()
