"""Time in one place: UTC, naive in the database (SQLite keeps no zone), aware nowhere else."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the form every DateTime column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
