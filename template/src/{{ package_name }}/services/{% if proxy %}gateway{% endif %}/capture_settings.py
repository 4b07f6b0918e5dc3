"""The settings of capturing what the gateway relays into a recording (README: "Recording what
the gateway relays"; exchange_recording.py does it)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from ...core.settings import CommaList


class RecordingSettings(BaseSettings):
    # RECORD_TO: every exchange relayed on a generating endpoint is added to this mock script
    # (created when missing), which this project's mock replays (MOCK_SCRIPT). Unset: nothing
    # is recorded, and relaying costs nothing more.
    record_to: Path | None = None
    # Request and answer fields written as "[redacted]" in the recording.
    record_redact: CommaList = []
    # At most this many bytes of one exchange are recorded (a larger one is relayed, not kept).
    record_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1)
