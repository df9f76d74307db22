"""Categories: bowstyle, age class and gender; what is not known falls into the open class."""

from __future__ import annotations

import pytest

from arch_stats.ranking.categories import category


@pytest.mark.parametrize(
    ("bowstyle", "gender", "age_group", "key", "label"),
    [
        ("recurve", "male", "adult", "recurve/adult/male", "Recurve Men"),
        ("recurve", "female", "adult", "recurve/adult/female", "Recurve Women"),
        ("compound", "male", "50+", "compound/50+/male", "Compound 50+ Men"),
        ("barebow", "female", "under 18", "barebow/under 18/female", "Barebow Under 18 Women"),
        # Not known: the bowstyle's open category, the adult class.
        ("recurve", None, "adult", "recurve/adult/open", "Recurve Open"),
        ("recurve", None, None, "recurve/adult/open", "Recurve Open"),
        ("longbow", "female", None, "longbow/adult/female", "Longbow Women"),
        ("compound", None, "under 21", "compound/under 21/open", "Compound Under 21 Open"),
        ("recurve", "unsaid", "ancient", "recurve/adult/open", "Recurve Open"),
    ],
)
def test_category(
    bowstyle: str, gender: str | None, age_group: str | None, key: str, label: str
) -> None:
    c = category(bowstyle, gender, age_group)
    assert (c.key, c.label) == (key, label)


def test_recurve_and_compound_are_never_ranked_together() -> None:
    assert category("recurve", "male", "adult") != category("compound", "male", "adult")
    assert category("recurve", "male", "adult") != category("recurve", "female", "adult")
    assert category("recurve", "male", "adult") != category("recurve", "male", "under 18")
    assert category("recurve", "male", "adult") == category("recurve", "male", "adult")


def test_categories_come_in_results_list_order() -> None:
    listed = [
        category("recurve", "male", "adult"),
        category("recurve", "female", "adult"),
        category("recurve", None, "adult"),
        category("recurve", "female", "under 21"),
        category("recurve", "male", "50+"),
        category("compound", "male", "adult"),
        category("compound", "female", "adult"),
        category("barebow", "male", "adult"),
        category("flatbow", "male", "adult"),
        category("crossbow", "male", "adult"),
    ]
    assert sorted(listed, key=lambda c: c.order) == listed
    assert len({c.order for c in listed}) == len(listed)
