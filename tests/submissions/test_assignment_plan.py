"""Reviewer assignment plans: hand-worked rounds with known answers, then invariants under hypothesis."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from submissions.assignment_plan import AssignmentPlan, Party, conflict_reason, plan_assignments

# -- factories -----------------------------------------------------------------------------------


def make_party(id: int, organisation_id: int | None = None, region: str | None = None) -> Party:
    return Party(id=id, organisation_id=organisation_id, region=region)


def reviewers_per_application(plan: AssignmentPlan, existing=()) -> Counter:
    return Counter(a for a, _ in [*plan.pairs, *existing])


# -- conflict_reason -----------------------------------------------------------------------------


def test_conflict_reason_declared_comes_first():
    app, rev = make_party(1, organisation_id=7, region="广东"), make_party(10, organisation_id=7, region="广东")

    assert conflict_reason(app, rev, same_region=True, declared={(1, 10)}) == "declared"


def test_conflict_reason_same_organisation():
    app, rev = make_party(1, organisation_id=7, region="广东"), make_party(10, organisation_id=7, region="广东")

    assert conflict_reason(app, rev, same_region=True, declared=()) == "same_organisation"


def test_conflict_reason_same_region_only_when_asked():
    app, rev = make_party(1, organisation_id=7, region="广东"), make_party(10, organisation_id=8, region="广东")

    assert conflict_reason(app, rev, same_region=True, declared=()) == "same_region"
    assert conflict_reason(app, rev, same_region=False, declared=()) is None


def test_conflict_reason_unknown_organisation_and_region_never_match():
    app, rev = make_party(1), make_party(10)

    assert conflict_reason(app, rev, same_region=True, declared={(10, 1)}) is None


# -- hand-worked rounds --------------------------------------------------------------------------


def test_plan_four_applications_three_reviewers_two_each_loads_even():
    apps = [make_party(i) for i in (1, 2, 3, 4)]
    revs = [make_party(i) for i in (10, 11, 12)]

    plan = plan_assignments(apps, revs, per_application=2, seed=0)

    # 8 pairs over 3 reviewers: the only loads within 1 of each other are 3, 3 and 2.
    assert sorted(plan.loads.values()) == [2, 3, 3]
    assert set(plan.loads) == {10, 11, 12}
    assert reviewers_per_application(plan) == {1: 2, 2: 2, 3: 2, 4: 2}
    assert len(set(plan.pairs)) == 8
    assert plan.shortfalls == {}


def test_plan_same_organisation_never_paired():
    apps = [make_party(1, organisation_id=7)]
    revs = [make_party(10, organisation_id=7), make_party(11, organisation_id=8)]

    plan = plan_assignments(apps, revs, per_application=1, seed=0)

    assert plan.pairs == ((1, 11),)
    assert plan.loads == {10: 0, 11: 1}


def test_plan_same_region_excluded_only_when_asked():
    apps = [make_party(1, region="广东")]
    revs = [make_party(10, region="广东"), make_party(11, region="北京")]

    strict = plan_assignments(apps, revs, per_application=2, seed=0, same_region=True)
    lenient = plan_assignments(apps, revs, per_application=2, seed=0, same_region=False)

    assert strict.pairs == ((1, 11),)
    assert strict.shortfalls == {1: 1}
    assert lenient.pairs == ((1, 10), (1, 11))
    assert lenient.shortfalls == {}


def test_plan_declared_conflict_respected():
    apps = [make_party(1)]
    revs = [make_party(10), make_party(11)]

    plan = plan_assignments(apps, revs, per_application=1, seed=0, declared_conflicts={(1, 10)})

    assert plan.pairs == ((1, 11),)


def test_plan_one_eligible_reviewer_for_two_reports_shortfall():
    apps = [make_party(1, organisation_id=7)]
    revs = [make_party(10, organisation_id=7), make_party(11)]

    plan = plan_assignments(apps, revs, per_application=2, seed=0)

    assert plan.pairs == ((1, 11),)
    assert plan.shortfalls == {1: 1}
    assert plan.loads == {10: 0, 11: 1}


@pytest.mark.parametrize("seed", range(100))
def test_plan_single_move_repair_reaches_the_only_even_plan(seed):
    # Application 1 can only go to 12, so 10 and 11 must share 0 and 2. Served first, 0 may take 10,
    # and then 2 may take 10 as well (tied with 12): loads 2, 0, 1 until 0 moves from 10 to 11.
    apps = [make_party(0, organisation_id=2), make_party(1, organisation_id=1), make_party(2)]
    revs = [make_party(10, organisation_id=1), make_party(11, organisation_id=1), make_party(12, organisation_id=2)]

    plan = plan_assignments(apps, revs, per_application=1, seed=seed, declared_conflicts={(2, 11)})

    assert plan.pairs == ((0, 11), (1, 12), (2, 10))
    assert plan.loads == {10: 1, 11: 1, 12: 1}


@pytest.mark.parametrize("seed", range(100))
def test_plan_chain_repair_reaches_the_only_even_plan(seed):
    # Eligible: 0 → {11}; 1 → {11, 12}; 2 → none; 3 → {10, 12}. If 1 lands on 11 next to 0, no single
    # move helps (1 may not go to 10); the chain "1: 11 → 12, 3: 12 → 10" does.
    apps = [make_party(0, organisation_id=1), make_party(1), make_party(2, organisation_id=1), make_party(3)]
    revs = [make_party(10, organisation_id=1), make_party(11, organisation_id=2), make_party(12, organisation_id=1)]
    declared = {(1, 10), (2, 11), (2, 12), (3, 11)}

    plan = plan_assignments(apps, revs, per_application=1, seed=seed, declared_conflicts=declared)

    assert plan.pairs == ((0, 11), (1, 12), (3, 10))
    assert plan.loads == {10: 1, 11: 1, 12: 1}
    assert plan.shortfalls == {2: 1}


def test_plan_existing_pairs_extended_not_replaced():
    apps = [make_party(1), make_party(2)]
    revs = [make_party(10), make_party(11), make_party(12)]
    existing = {(1, 10)}

    plan = plan_assignments(apps, revs, per_application=2, seed=0, existing=existing)

    assert set(plan.pairs).isdisjoint(existing)
    assert len(plan.pairs) == 3
    assert reviewers_per_application(plan, existing) == {1: 2, 2: 2}
    assert sorted(plan.loads.values()) == [1, 1, 2]
    assert plan.shortfalls == {}


def test_plan_existing_imbalance_new_work_goes_to_least_loaded():
    apps = [make_party(1), make_party(2), make_party(3)]
    revs = [make_party(10), make_party(11)]

    plan = plan_assignments(apps, revs, per_application=1, seed=0, existing={(1, 10), (2, 10)})

    assert plan.pairs == ((3, 11),)
    assert plan.loads == {10: 2, 11: 1}


def test_plan_application_with_more_existing_reviewers_than_asked_gets_none():
    apps = [make_party(1)]
    revs = [make_party(10), make_party(11), make_party(12)]

    plan = plan_assignments(apps, revs, per_application=2, seed=0, existing={(1, 10), (1, 11), (1, 12)})

    assert plan == AssignmentPlan(pairs=(), loads={10: 1, 11: 1, 12: 1}, shortfalls={})


def test_plan_no_reviewers_every_application_short():
    plan = plan_assignments([make_party(1), make_party(2)], [], per_application=3, seed=0)

    assert plan == AssignmentPlan(pairs=(), loads={}, shortfalls={1: 3, 2: 3})


@pytest.mark.slow
def test_plan_national_round_scale_loads_exactly_even():
    apps = [make_party(i, organisation_id=i, region=f"r{i % 31}") for i in range(10_000)]
    revs = [make_party(100_000 + j, organisation_id=50_000 + j, region=f"r{j % 31}") for j in range(200)]

    plan = plan_assignments(apps, revs, per_application=5, seed=1, same_region=True)

    assert len(plan.pairs) == 50_000
    assert set(plan.loads.values()) == {250}
    assert plan.shortfalls == {}


# -- argument checks -----------------------------------------------------------------------------


def test_plan_per_application_below_one_rejected():
    with pytest.raises(ValueError, match="per_application must be at least 1, got 0"):
        plan_assignments([make_party(1)], [make_party(10)], per_application=0, seed=0)


def test_plan_repeated_application_id_rejected():
    with pytest.raises(ValueError, match=r"application ids must be unique; repeated: \[1\]"):
        plan_assignments([make_party(1), make_party(1)], [make_party(10)], per_application=1, seed=0)


def test_plan_repeated_reviewer_id_rejected():
    with pytest.raises(ValueError, match=r"reviewer ids must be unique; repeated: \[10\]"):
        plan_assignments([make_party(1)], [make_party(10), make_party(10)], per_application=1, seed=0)


def test_plan_existing_pair_with_unknown_id_rejected():
    with pytest.raises(ValueError, match=r"unknown ids: \[\(1, 99\), \(5, 10\)\]"):
        plan_assignments([make_party(1)], [make_party(10)], per_application=1, seed=0, existing={(1, 99), (5, 10)})


def test_plan_existing_conflicted_pair_rejected():
    apps, revs = [make_party(1, organisation_id=7)], [make_party(10, organisation_id=7)]

    with pytest.raises(ValueError, match=r"conflicted: \[\(\(1, 10\), 'same_organisation'\)\]"):
        plan_assignments(apps, revs, per_application=1, seed=0, existing={(1, 10)})


# -- invariants ----------------------------------------------------------------------------------

ORGANISATIONS = st.one_of(st.none(), st.integers(1, 3))
REGIONS = st.one_of(st.none(), st.sampled_from(["广东", "北京"]))


@st.composite
def rounds(draw, max_applications=8, max_reviewers=6, conflicts=True, with_existing=True):
    """A review round: parties, k, seed and conflicts; existing pairs are non-conflicted by construction."""
    orgs, regions = (ORGANISATIONS, REGIONS) if conflicts else (st.none(), st.none())
    app_ids = draw(st.lists(st.integers(0, 50), max_size=max_applications, unique=True))
    rev_ids = draw(st.lists(st.integers(100, 150), max_size=max_reviewers, unique=True))
    apps = [Party(i, draw(orgs), draw(regions)) for i in app_ids]
    revs = [Party(i, draw(orgs), draw(regions)) for i in rev_ids]
    all_pairs = sorted(itertools.product(app_ids, rev_ids))
    declared = set(draw(st.lists(st.sampled_from(all_pairs)))) if conflicts and all_pairs else set()
    same_region = draw(st.booleans()) if conflicts else False
    existing: set[tuple[int, int]] = set()
    if with_existing and all_pairs:
        by_id = {p.id: p for p in apps + revs}
        existing = {
            (a, r)
            for a, r in draw(st.lists(st.sampled_from(all_pairs), max_size=6))
            if conflict_reason(by_id[a], by_id[r], same_region=same_region, declared=declared) is None
        }
    return {
        "applications": apps,
        "reviewers": revs,
        "per_application": draw(st.integers(1, 4)),
        "seed": draw(st.integers(0, 2**32)),
        "declared_conflicts": declared,
        "same_region": same_region,
        "existing": existing,
    }


def eligible_new(app: Party, revs: list[Party], kw: dict) -> list[int]:
    return [
        r.id
        for r in revs
        if conflict_reason(app, r, same_region=kw["same_region"], declared=kw["declared_conflicts"]) is None
        and (app.id, r.id) not in kw["existing"]
    ]


@given(rounds())
def test_plan_never_pairs_conflicted(kw):
    plan = plan_assignments(**kw)

    apps = {a.id: a for a in kw["applications"]}
    revs = {r.id: r for r in kw["reviewers"]}
    reasons = [
        conflict_reason(apps[a], revs[r], same_region=kw["same_region"], declared=kw["declared_conflicts"])
        for a, r in plan.pairs
    ]
    assert reasons == [None] * len(plan.pairs)


@given(rounds())
def test_plan_pairs_are_sorted_distinct_and_new(kw):
    plan = plan_assignments(**kw)

    assert list(plan.pairs) == sorted(set(plan.pairs))
    assert set(plan.pairs).isdisjoint(kw["existing"])


@given(rounds())
def test_plan_each_application_gets_k_or_every_eligible_reviewer(kw):
    plan = plan_assignments(**kw)

    k = kw["per_application"]
    have = Counter(a for a, _ in kw["existing"])
    new = Counter(a for a, _ in plan.pairs)
    for app in kw["applications"]:
        reachable = have[app.id] + len(eligible_new(app, kw["reviewers"], kw))
        assert have[app.id] + new[app.id] == max(have[app.id], min(k, reachable))
    assert plan.shortfalls == {
        a.id: k - have[a.id] - new[a.id] for a in kw["applications"] if k - have[a.id] - new[a.id] > 0
    }


@given(rounds())
def test_plan_loads_are_existing_plus_new_for_every_reviewer(kw):
    plan = plan_assignments(**kw)

    counted = Counter(r for _, r in [*kw["existing"], *plan.pairs])
    assert plan.loads == {r.id: counted[r.id] for r in kw["reviewers"]}


@given(rounds(max_applications=30, max_reviewers=10, conflicts=False, with_existing=False))
def test_plan_loads_within_one_without_conflicts(kw):
    plan = plan_assignments(**kw)

    loads = list(plan.loads.values()) or [0]
    assert max(loads) - min(loads) <= 1
    assert len(plan.pairs) == len(kw["applications"]) * min(kw["per_application"], len(kw["reviewers"]))


def most_even_loads(kw) -> tuple[int, int]:
    """(least max − min, least sum of squared loads) over every complete plan, by enumeration."""
    existing, k = kw["existing"], kw["per_application"]
    have = Counter(a for a, _ in existing)
    choices = [
        [
            [(app.id, r) for r in combo]
            for combo in itertools.combinations(eligible, max(0, min(k - have[app.id], len(eligible))))
        ]
        for app in kw["applications"]
        for eligible in [eligible_new(app, kw["reviewers"], kw)]
    ]
    best = None
    for plan in itertools.product(*choices):
        counted = Counter(r for _, r in [*existing, *itertools.chain.from_iterable(plan)])
        loads = [counted[r.id] for r in kw["reviewers"]] or [0]
        score = (max(loads) - min(loads), sum(n * n for n in loads))
        best = score if best is None or score < best else best
    return best


@settings(max_examples=300)
@given(rounds(max_applications=4, max_reviewers=4))
def test_plan_loads_as_even_as_any_plan_allows(kw):
    kw["per_application"] = min(kw["per_application"], 3)  # keeps the enumeration small

    plan = plan_assignments(**kw)

    loads = list(plan.loads.values()) or [0]
    assert (max(loads) - min(loads), sum(n * n for n in loads)) == most_even_loads(kw)


@given(rounds())
def test_plan_same_seed_same_plan(kw):
    assert plan_assignments(**kw) == plan_assignments(**kw)


@given(rounds(), st.randoms(use_true_random=False))
def test_plan_input_order_does_not_matter(kw, shuffler):
    shuffled = dict(kw)
    shuffled["applications"] = shuffler.sample(kw["applications"], len(kw["applications"]))
    shuffled["reviewers"] = shuffler.sample(kw["reviewers"], len(kw["reviewers"]))
    shuffled["declared_conflicts"] = shuffler.sample(sorted(kw["declared_conflicts"]), len(kw["declared_conflicts"]))
    shuffled["existing"] = shuffler.sample(sorted(kw["existing"]), len(kw["existing"]))

    assert plan_assignments(**shuffled) == plan_assignments(**kw)
