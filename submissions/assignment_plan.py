"""Which reviewers read which applications in a review round: a pure, seeded plan.

`plan_assignments(applications, reviewers, per_application=k, seed=s, ...)` returns an
`AssignmentPlan` of *new* (application_id, reviewer_id) pairs to add to the round's `existing` ones.
It reads no database and changes none of its inputs. Invariants of every plan:

- No new pair is conflicted (`conflict_reason` is None for it): the reviewer has not declared a
  conflict with the application, does not belong to its organisation and, when `same_region` is set,
  does not come from its region.
- No new pair repeats another or an existing one; existing pairs are kept, never removed.
- Each application ends with `k` distinct reviewers, existing ones included, when enough
  non-conflicted reviewers exist; otherwise with all of them, and `shortfalls` says how many it lacks.
  Reviewers have no capacity limit, so this is always reachable and no application is starved to
  balance another.
- Loads (existing + new pairs per reviewer) are as even as the conflicts and the existing pairs
  allow: max − min is the least achievable, so it is ≤ 1 whenever any plan reaches ≤ 1, and always
  with no conflicts and no existing pairs. More precisely no load can be moved from one reviewer to
  another with at least 2 fewer, which for this problem makes the load vector the most even there is.
- Same inputs and seed → the same plan, whatever the order of the input sequences.

An existing pair that is itself conflicted is refused with ValueError rather than counted: a
conflict discovered after assignment is the store's to resolve (drop the pair, then plan again).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["AssignmentPlan", "Party", "conflict_reason", "plan_assignments"]

Pair = tuple[int, int]  # (application_id, reviewer_id)


@dataclass(frozen=True)
class Party:
    """An application or a reviewer, as far as conflicts of interest go. None means unknown."""

    id: int
    organisation_id: int | None
    region: str | None


@dataclass(frozen=True)
class AssignmentPlan:
    """New pairs to add (sorted), every reviewer's load afterwards, and each application's gap (> 0 only)."""

    pairs: tuple[Pair, ...]
    loads: Mapping[int, int]
    shortfalls: Mapping[int, int]


def conflict_reason(
    application: Party, reviewer: Party, *, same_region: bool, declared: Collection[Pair]
) -> str | None:
    """Why `reviewer` may not review `application`: "declared", "same_organisation", "same_region", or None."""
    if (application.id, reviewer.id) in declared:
        return "declared"
    if application.organisation_id is not None and application.organisation_id == reviewer.organisation_id:
        return "same_organisation"
    if same_region and application.region is not None and application.region == reviewer.region:
        return "same_region"
    return None


def plan_assignments(
    applications: Sequence[Party],
    reviewers: Sequence[Party],
    *,
    per_application: int,
    seed: int,
    declared_conflicts: Collection[Pair] = (),
    same_region: bool = False,
    existing: Collection[Pair] = (),
) -> AssignmentPlan:
    """Plan new pairs so each application has `per_application` reviewers, loads even, no conflicts.

    Raises ValueError when `per_application` < 1, an id repeats within `applications` or `reviewers`,
    or an `existing` pair names an unknown id or is conflicted. Declared conflicts naming unknown ids
    are ignored: they may come from a list kept across rounds.
    """
    apps = sorted(applications, key=lambda p: p.id)
    revs = sorted(reviewers, key=lambda p: p.id)
    declared = set(declared_conflicts)
    kept = set(existing)
    _check_arguments(apps, revs, per_application, kept, same_region, declared)

    # Reviewers are handled by index in id order from here on, so nothing depends on input order.
    rev_index = {r.id: i for i, r in enumerate(revs)}
    kept_by_app: dict[int, set[int]] = defaultdict(set)
    for app_id, rev_id in kept:
        kept_by_app[app_id].add(rev_index[rev_id])
    declared_by_app: dict[int, set[int]] = defaultdict(set)
    for app_id, rev_id in declared:
        if rev_id in rev_index:
            declared_by_app[app_id].add(rev_index[rev_id])
    # The rules of `conflict_reason`, looked up rather than checked pair by pair: scanning all
    # reviewers for each application took most of the time at 10,000 × 200. Unknown (None)
    # organisations and regions are never grouped, so they never match.
    by_organisation: dict[int, set[int]] = defaultdict(set)
    by_region: dict[str, set[int]] = defaultdict(set)
    for i, r in enumerate(revs):
        if r.organisation_id is not None:
            by_organisation[r.organisation_id].add(i)
        if same_region and r.region is not None:
            by_region[r.region].add(i)
    blocked = [
        frozenset().union(
            kept_by_app[a.id],
            declared_by_app[a.id],
            by_organisation.get(a.organisation_id, ()),
            by_region.get(a.region, ()),
        )
        for a in apps
    ]
    need = [
        max(0, min(per_application - len(kept_by_app[a.id]), len(revs) - len(b)))
        for a, b in zip(apps, blocked, strict=True)
    ]

    load = [0] * len(revs)
    for _, rev_id in kept:
        load[rev_index[rev_id]] += 1

    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    chosen = _greedy(blocked, need, load, rng)
    _rebalance(chosen, blocked, load)

    pairs = sorted((apps[a].id, revs[r].id) for a, rs in enumerate(chosen) for r in rs)
    shortfalls = {
        a.id: gap
        for a, rs in zip(apps, chosen, strict=True)
        if (gap := per_application - len(kept_by_app[a.id]) - len(rs)) > 0
    }
    return AssignmentPlan(
        pairs=tuple(pairs),
        loads=MappingProxyType({r.id: load[i] for i, r in enumerate(revs)}),
        shortfalls=MappingProxyType(shortfalls),
    )


# -- arguments -----------------------------------------------------------------------------------


def _check_arguments(
    apps: list[Party],
    revs: list[Party],
    per_application: int,
    kept: set[Pair],
    same_region: bool,
    declared: set[Pair],
) -> None:
    if per_application < 1:
        raise ValueError(f"per_application must be at least 1, got {per_application}; ask for 1 or more reviewers.")
    for what, parties in (("application", apps), ("reviewer", revs)):
        repeated = sorted(i for i, n in Counter(p.id for p in parties).items() if n > 1)
        if repeated:
            raise ValueError(f"{what} ids must be unique; repeated: {repeated}.")
    app_by_id = {a.id: a for a in apps}
    rev_by_id = {r.id: r for r in revs}
    unknown = sorted(p for p in kept if p[0] not in app_by_id or p[1] not in rev_by_id)
    if unknown:
        raise ValueError(
            f"existing pairs (application_id, reviewer_id) name unknown ids: {unknown}; "
            "pass every application and reviewer of the round."
        )
    reasons = {
        (a, r): conflict_reason(app_by_id[a], rev_by_id[r], same_region=same_region, declared=declared) for a, r in kept
    }
    conflicted = sorted((pair, reason) for pair, reason in reasons.items() if reason)
    if conflicted:
        raise ValueError(f"existing pairs are conflicted: {conflicted}; remove them from the round before planning.")


# -- greedy pass ---------------------------------------------------------------------------------


def _greedy(blocked: list[frozenset[int]], need: list[int], load: list[int], rng: random.Random) -> list[set[int]]:
    """Give each application its `need` least-loaded unblocked reviewers; updates `load` in place.

    Applications go in a seeded random order, and ties among equally loaded reviewers are broken at
    random, so no application or reviewer is favoured by its id. Serving the most constrained
    applications first, the usual heuristic, was tried and measured worse here: whole classes of
    similar applications then fill their reviewers before the others start, and on conflict-heavy
    rounds of 10,000 × 200 the repair had 1,000-4,800 chains to move (up to 40 s); in random order
    every reviewer fills at the same pace and the repair moves at most a handful (all under 2 s).
    """
    order = list(range(len(need)))
    rng.shuffle(order)

    # Reviewers bucketed by load: with loads kept even there are one or two buckets, so picking
    # the least-loaded reviewers costs a set difference, not a sort of all reviewers.
    buckets: dict[int, set[int]] = defaultdict(set)
    for r, n in enumerate(load):
        buckets[n].add(r)

    chosen: list[set[int]] = [set() for _ in need]
    for a in order:
        # Pick level by level first and move the picks up afterwards, so the scan sees each reviewer
        # once, at its load before this application.
        picks: list[tuple[int, int]] = []
        for level in sorted(buckets):
            wanted = need[a] - len(picks)
            if wanted == 0:
                break
            free = sorted(buckets[level] - blocked[a])  # sorted: rng.sample must see a fixed order
            picks += [(level, r) for r in (free if len(free) <= wanted else rng.sample(free, wanted))]
        for level, r in picks:
            chosen[a].add(r)
            load[r] += 1
            buckets[level].discard(r)
            if not buckets[level]:
                del buckets[level]
            buckets[level + 1].add(r)
    return chosen


# -- repair --------------------------------------------------------------------------------------


def _rebalance(chosen: list[set[int]], blocked: list[frozenset[int]], load: list[int]) -> None:
    """Move new pairs along chains until no reviewer could pass one to a reviewer 2 or more below.

    A single move (a, heavy) → (a, light) is not always possible: `light` may be blocked on every
    application `heavy` holds. A chain can still be: heavy hands application a1 to r1, r1 hands a2 to
    light, and only the two ends change load. Each chain lowers the sum of squared loads, so this
    ends; when no chain exists, no plan has a smaller max − min (the feasible load vectors form an
    M-convex set, where this local optimum is the global, most even one). An even greedy plan, as
    without conflicts, skips the search.
    """
    holds: list[set[int]] = [set() for _ in load]  # reviewer -> applications it holds by a new pair
    for a, rs in enumerate(chosen):
        for r in rs:
            holds[r].add(a)
    while max(load, default=0) - min(load, default=0) >= 2:
        chain = _find_chain(chosen, blocked, holds, load)
        if chain is None:
            return
        for a, giver, taker in chain:
            chosen[a].remove(giver)
            chosen[a].add(taker)
            holds[giver].remove(a)
            holds[taker].add(a)
        load[chain[0][1]] -= 1
        load[chain[-1][2]] += 1


def _find_chain(
    chosen: list[set[int]], blocked: list[frozenset[int]], holds: list[set[int]], load: list[int]
) -> list[tuple[int, int, int]] | None:
    """A chain [(application, giver, taker), ...] from a reviewer to one loaded at least 2 less, or None.

    One breadth-first search serves every source level: sources are added from the highest load
    down, and a reviewer reached while sources are at `level` or above is a target when its load is
    `level` − 2 or below. Reviewers reached earlier are never targets later, as they were above a
    higher threshold. Each application appears at most once in a chain, so its moves can be applied
    in order and every application keeps distinct, unblocked reviewers.
    """
    by_level: dict[int, list[int]] = defaultdict(list)
    for r, n in enumerate(load):
        if holds[r]:  # only a reviewer with new pairs can give one away; existing pairs stay
            by_level[n].append(r)
    lowest = min(load)
    came_from: dict[int, tuple[int, int] | None] = {}
    unreached = set(range(len(load)))
    seen_apps: set[int] = set()
    queue: deque[int] = deque()
    for level in sorted(by_level, reverse=True):
        if level - lowest < 2:
            return None
        for r in by_level[level]:
            if r in unreached:
                unreached.discard(r)
                came_from[r] = None
                queue.append(r)
        while queue and unreached:
            giver = queue.popleft()
            for a in sorted(holds[giver] - seen_apps):  # sorted: the chain must not depend on set order
                seen_apps.add(a)
                # Set differences run in C: at 200 reviewers this is the search's inner loop.
                for taker in sorted(unreached - blocked[a] - chosen[a]):
                    unreached.discard(taker)
                    came_from[taker] = (a, giver)
                    if load[taker] <= level - 2:
                        return _unwind(came_from, taker)
                    queue.append(taker)
    return None


def _unwind(came_from: dict[int, tuple[int, int] | None], end: int) -> list[tuple[int, int, int]]:
    chain = []
    taker = end
    while (step := came_from[taker]) is not None:
        a, giver = step
        chain.append((a, giver, taker))
        taker = giver
    return chain[::-1]
