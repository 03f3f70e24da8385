"""UTC in the database: naive UTC columns, aware datetimes everywhere else."""

from datetime import UTC, datetime


def to_db(moment: datetime) -> datetime:
    """Store naive UTC: portable across SQLite and PostgreSQL columns."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)
