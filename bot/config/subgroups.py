"""Sub-groups: `parent = "allies"` makes a group report to another one.

A sub-group without a roster of its own works with its parent's; a roster
entry without `alliance` takes it from the parent's roster; chairs are its
own. The parent knows its sub-groups (`GroupConfig.subgroups`), so its
agenda can carry their reports.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.config.problems import Checker
from bot.config.roster import inherit

if TYPE_CHECKING:
    from bot.config.groups import GroupConfig


def link_subgroups(groups: list[GroupConfig], check: Checker) -> list[GroupConfig]:
    """Check every `parent`, inherit rosters top-down, attach children bottom-up."""
    by_id = {g.id: g for g in groups}
    index = {g.id: i for i, g in enumerate(groups)}
    broken = _broken_parents(groups, by_id, check)
    resolved: dict[str, GroupConfig] = {}

    def roster_of(group: GroupConfig) -> GroupConfig:
        if group.id not in resolved:
            if group.parent and group.id not in broken:
                parent = roster_of(by_id[group.parent])
                prefix = f"groups[{index[group.id]}]"
                members = inherit(group.members, parent.members, prefix, check)
                names = {**parent.names, **group.names}
                group = replace(group, members=members, names=names)
            resolved[group.id] = group
        return resolved[group.id]

    for group in groups:
        roster_of(group)
    for group in sorted(resolved.values(), key=lambda g: -_depth(g, by_id, broken)):
        children = tuple(resolved[c.id] for c in resolved.values() if c.parent == group.id)
        if children and group.id not in broken:
            resolved[group.id] = replace(resolved[group.id], subgroups=children)
    return [resolved[g.id] for g in groups]


def _broken_parents(
    groups: list[GroupConfig], by_id: dict[str, GroupConfig], check: Checker
) -> set[str]:
    broken: set[str] = set()
    for i, group in enumerate(groups):
        if group.parent is None:
            continue
        if group.parent not in by_id:
            check.fail(f"groups[{i}].parent", f"no group has the id {group.parent!r}")
            broken.add(group.id)
            continue
        if by_id[group.parent].network != group.network:
            check.fail(
                f"groups[{i}].parent",
                f"{group.parent!r} meets on {by_id[group.parent].network}, this group on "
                f"{group.network}: a sub-group shares its parent's network (and its people's ids)",
            )
            broken.add(group.id)
            continue
        chain, current = [group.id], group
        while current.parent is not None and current.parent in by_id:
            if current.parent in chain:
                loop = " → ".join([*chain[chain.index(current.parent) :], current.parent])
                check.fail(f"groups[{i}].parent", f"sub-groups go round in a circle: {loop}")
                broken.add(group.id)
                break
            chain.append(current.parent)
            current = by_id[current.parent]
    return broken


def _depth(group: GroupConfig, by_id: dict[str, GroupConfig], broken: set[str]) -> int:
    depth, current = 0, group
    while current.parent and current.id not in broken and current.parent in by_id:
        depth, current = depth + 1, by_id[current.parent]
    return depth
