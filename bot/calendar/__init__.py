"""The pure arithmetic of time: cadences, member-typed dates, .ics files.

No storage, network or scheduler here, so every rule (DST, breaks, moved
meetings) is tested in microseconds.
"""
