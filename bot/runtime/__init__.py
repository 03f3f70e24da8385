"""What turns incoming events and clock ticks into stored effects and queued
posts: the core (exactly-once handling), the router, the outbox, the poster
of automatic posts, housekeeping, and the glue that loads domain values from
storage."""
