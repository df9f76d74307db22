"""Competition categories: scores are ranked within a bowstyle (division), age class and
gender, as World Archery and Archery GB results lists are ("Recurve Women", "Compound 50+
Men", "Barebow Under 18 Women").

What is not known falls into the open class of what is: no gender → the bowstyle's open
(mixed) category, "Recurve Open"; no age class → the adult class, which has no age in its
name. An archer is never left out of a ranking for lack of a profile field."""

from __future__ import annotations

from dataclasses import dataclass

# In the order results lists give them (a bowstyle not listed comes after these).
BOWSTYLES = ("recurve", "compound", "barebow", "longbow", "traditional", "flatbow")
AGE_CLASSES = {
    "adult": "",
    "under 21": "Under 21",
    "under 18": "Under 18",
    "under 16": "Under 16",
    "under 15": "Under 15",
    "under 14": "Under 14",
    "under 12": "Under 12",
    "50+": "50+",
}
GENDERS = {"male": "Men", "female": "Women"}  # World Archery's order: RM, RW, CM, CW
OPEN = "Open"


@dataclass(frozen=True, slots=True)
class Category:
    key: str  # "recurve/under 18/female": equal for archers ranked together
    label: str  # "Recurve Under 18 Women"
    order: int  # where it comes among categories: bowstyle, then age class, then gender


def category(bowstyle: str, gender: str | None = None, age_group: str | None = None) -> Category:
    """The category an archer shoots in, from what their profile says (None: not known)."""
    age = age_group if age_group in AGE_CLASSES else "adult"
    sex = gender if gender in GENDERS else None
    bow = bowstyle.strip().lower()
    bow_order = BOWSTYLES.index(bow) if bow in BOWSTYLES else len(BOWSTYLES)
    words = [bow.capitalize(), AGE_CLASSES[age], GENDERS[sex] if sex else OPEN]
    return Category(
        key=f"{bow}/{age}/{sex or 'open'}",
        label=" ".join(w for w in words if w),
        order=(bow_order * len(AGE_CLASSES) + list(AGE_CLASSES).index(age)) * 3
        + (list(GENDERS).index(sex) if sex else len(GENDERS)),
    )
