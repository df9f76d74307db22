"""The multi-spot rule: within an end, one arrow per spot counts.

World Archery Rulebook, Book 3 (Target Archery), scoring on the 40 cm triple faces: an
athlete shoots one arrow at each spot of a multi-spot face; should more than one arrow hit
the same spot in an end, all of them count as arrows of that end but only the lowest in
value is scored, and any other arrow in that spot is scored as a miss. The rulebook's own
text was not in the reference library searched while this was written (searched: "same
spot", "triple face", "lowest in value"); two summaries found there say the same:
Archery Australia's indoor rules (https://aboutarchery.com/what-is-indoor-archery: "if an
archer shoots more then one arrow into an individual target on a triple face, the highest
scoring arrow will be scored as a miss (M)") and IFAA's for its multi-spot face
(http://ifaaarchery.com/ifaa19/rules.php: "if more than one arrow is shot into the same
spot, only the lowest scoring arrow shall be counted").

How it is kept (definitions/shot_insert.sql, definitions/shot_same_spot.sql):

* A hit on a spot of a multi-spot face (a face of the catalogue with more than one spot)
  carries its value in `spot_score`/`spot_is_x`; every other shot has null there, so a
  session on single-spot faces never pays for the rule.
* Among the hits of one end on one spot (target, face, spot), the lowest value counts, an X
  ranking above a plain 10 of the same value; between equal values the earlier arrow (`seq`)
  counts. Every other one is a same-spot miss: `score` 0, `is_x` false, `same_spot_miss`.
* The writers keep it right: the insert (`shot_insert`) scores new arrows against their end,
  and a move, a correction or a delete rescores the ends it touches (`shot_same_spot`); the
  arrows that change go out as shot.updated. Totals, summaries, statistics and exports read
  `score`, which is always the counted value.
"""

from __future__ import annotations

from arch_stats.faces.scoring import FACES
from arch_stats.shots.repository import TargetInfo


def spot_value(
    target: TargetInfo, face_index: int | None, score: int, is_x: bool
) -> tuple[int | None, bool | None]:
    """(spot_score, spot_is_x) of a shot: its value when it hit a spot of a multi-spot face
    (the rule applies to it), else (None, None)."""
    if face_index is None or score <= 0:
        return None, None
    if len(FACES[target.faces[face_index].face_type].spots) < 2:
        return None, None
    return score, is_x
