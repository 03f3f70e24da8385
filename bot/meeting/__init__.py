"""The pure domain of the meeting cycle: agendas, minutes, action items, the
automatic posts a meeting calls for, and the Markdown every message is made of.

Data in, text or decisions out: nothing here reads the clock, the database
or the network, so these modules are tested without either.
"""
