"""Request and response bodies of the equipment domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool

from arch_stats.arrows.schemas import ArrowOut
from arch_stats.arrows.schemas import ArrowSetIn as NumberedArrows
from arch_stats.auth.schemas import Bowstyle
from arch_stats.sessions.schemas import TEXT_PATTERN
from arch_stats.stats.schemas import GroupOut

Handedness = Literal["right", "left"]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
Part = Annotated[str, Field(max_length=100, pattern=r"^([^\x00-\x1f\x7f]*)$")]
Notes = Annotated[str, Field(max_length=2000)]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=TEXT_PATTERN)]
DrawWeight = Annotated[
    float, Field(gt=0, le=200, strict=True, description="Draw weight on the fingers, in lb.")
]
BraceHeight = Annotated[float, Field(gt=0, le=500, strict=True, description="In mm.")]
Tiller = Annotated[
    float, Field(ge=-500, le=500, strict=True, description="Limb to string at the limb root, mm.")
]
NockingPoint = Annotated[
    float,
    Field(ge=-100, le=100, strict=True, description="Nocking point height above square, in mm."),
]
SightRadius = Annotated[
    float,
    Field(
        gt=0,
        le=2000,
        strict=True,
        description="Eye to sight aperture at full draw, in mm (for sight corrections).",
    ),
]
Spine = Annotated[int, Field(gt=0, le=10000, strict=True)]
ShaftLength = Annotated[float, Field(gt=0, le=2000, strict=True, description="In mm.")]
PointWeight = Annotated[float, Field(gt=0, le=1000, strict=True, description="In grains.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# The setup of a bow: every version has all of it. Setup fields are `SETUP_FIELDS`.
class BowSetup(Strict):
    bowstyle: Bowstyle = "recurve"
    handedness: Handedness = Field(default="right", description="The hand that draws.")
    riser: Part = ""
    limbs: Part = ""
    draw_weight_lb: DrawWeight | None = None
    brace_height_mm: BraceHeight | None = None
    tiller_top_mm: Tiller | None = None
    tiller_bottom_mm: Tiller | None = None
    nocking_point_mm: NockingPoint | None = None
    plunger: Part = Field(default="", description="Plunger and its setting (spring, position).")
    sight: Part = ""
    sight_radius_mm: SightRadius | None = None
    notes: Notes = ""


SETUP_FIELDS = tuple(BowSetup.model_fields)


class BowIn(BowSetup):
    name: Name


class BowPatch(Strict):
    """Only the fields sent change. A change to the setup makes a new version (sessions keep
    the version they were shot with); `name` and `is_active` do not."""

    name: Name | MISSING = MISSING
    is_active: StrictBool | MISSING = MISSING
    bowstyle: Bowstyle | MISSING = MISSING
    handedness: Handedness | MISSING = MISSING
    riser: Part | MISSING = MISSING
    limbs: Part | MISSING = MISSING
    draw_weight_lb: DrawWeight | MISSING | None = MISSING
    brace_height_mm: BraceHeight | MISSING | None = MISSING
    tiller_top_mm: Tiller | MISSING | None = MISSING
    tiller_bottom_mm: Tiller | MISSING | None = MISSING
    nocking_point_mm: NockingPoint | MISSING | None = MISSING
    plunger: Part | MISSING = MISSING
    sight: Part | MISSING = MISSING
    sight_radius_mm: SightRadius | MISSING | None = MISSING
    notes: Notes | MISSING = MISSING


class BowVersionOut(BowSetup):
    id: UUID
    version: int
    created_at: datetime


class BowOut(Strict):
    id: UUID
    name: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    current: BowVersionOut
    versions: list[BowVersionOut] | None = Field(
        description="Every version, newest first (one bow); null in the list of bows."
    )


class SightMarkIn(Strict):
    distance_m: float = Field(gt=0, le=200, strict=True)
    mark: float = Field(ge=-1000, le=1000, strict=True, description="The reading on the sight.")
    session_id: UUID | None = Field(
        default=None,
        description="Confirmed from this session (yours); `distance_m` must be one it was shot at.",
    )


class SightMarkOut(Strict):
    id: UUID
    bow_id: UUID
    distance_m: float
    mark: float
    session_id: UUID | None
    created_at: datetime
    updated_at: datetime


class SightMarkQuery(Strict):
    predict: float | None = Field(
        default=None, gt=0, le=200, description="A distance (m) to predict the mark for."
    )


class PredictionOut(Strict):
    distance_m: float
    mark: float
    low: float = Field(description="95 % prediction interval, low end.")
    high: float
    uncertainty: float = Field(description="Half-width of the 95 % prediction interval.")
    extrapolated: bool = Field(description="Outside the distances marked.")


class FitOut(Strict):
    degree: int = Field(description="1: a line (3–4 marks), 2: a quadratic (5 or more).")
    coefficients: list[float] = Field(description="Constant first: mark = c0 + c1·d (+ c2·d²).")
    residual_sd: float
    dof: int


class SightMarksOut(Strict):
    bow_id: UUID
    marks: list[SightMarkOut]
    fit: FitOut | None = Field(description="Null below 3 distances.")
    curve: list[PredictionOut]
    prediction: PredictionOut | None


class ArrowSetSpec(Strict):
    shaft: Part = ""
    spine: Spine | None = None
    length_mm: ShaftLength | None = None
    point_grains: PointWeight | None = None
    fletching: Part = ""
    nock: Part = ""


class ArrowSetIn(ArrowSetSpec):
    """A set, and with `arrows` its numbered arrows made at once (as `POST /arrow/set`
    makes them; their spine and length are the set's unless given there)."""

    name: Name
    arrows: NumberedArrows | None = None


class ArrowSetPatch(Strict):
    """Only the fields sent change; `arrow_ids` adds arrows of yours to the set (an arrow
    is in one set at most: it leaves the one it was in)."""

    name: Name | MISSING = MISSING
    is_active: StrictBool | MISSING = MISSING
    shaft: Part | MISSING = MISSING
    spine: Spine | MISSING | None = MISSING
    length_mm: ShaftLength | MISSING | None = MISSING
    point_grains: PointWeight | MISSING | None = MISSING
    fletching: Part | MISSING = MISSING
    nock: Part | MISSING = MISSING
    arrow_ids: Annotated[list[UUID], Field(min_length=1, max_length=16)] | MISSING = MISSING


class ArrowSetOut(ArrowSetSpec):
    id: UUID
    name: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    arrows: list[ArrowOut]


class SessionEquipmentIn(Strict):
    """What the session was shot with: a bow (its current version is recorded, and stays
    the session's when the bow changes later) and an arrow set; null for neither."""

    bow_id: UUID | None = None
    arrow_set_id: UUID | None = None


class SessionEquipmentOut(Strict):
    session_id: UUID
    bow_id: UUID | None
    bow_name: str | None
    bow_version: BowVersionOut | None
    arrow_set_id: UUID | None
    arrow_set_name: str | None


ArrowIds = Annotated[list[UUID], Field(min_length=1, max_length=16)]


class TuningIn(Strict):
    """A tuning session's arrows in two groups: `a` the reference (e.g. fletched), `b` what
    is compared with it (e.g. bare shafts). An arrow is in one group at most."""

    label_a: Label = "Fletched"
    label_b: Label = "Bare shafts"
    arrows_a: ArrowIds
    arrows_b: ArrowIds


class TuningArrowOut(Strict):
    id: UUID
    identifier: str


class TuningOut(Strict):
    session_id: UUID
    label_a: str
    label_b: str
    arrows_a: list[TuningArrowOut]
    arrows_b: list[TuningArrowOut]
    handedness: Handedness
    bowstyle: Bowstyle
    from_bow: bool = Field(
        description="Hand and bowstyle are the session's bow's; false: the archer's bowstyle "
        "and a right hand were assumed (record the bow to change that)."
    )
    a: GroupOut
    b: GroupOut
    shift_x_mm: float | None = Field(description="Centre of b − centre of a, x (right).")
    shift_y_mm: float | None = Field(description="Centre of b − centre of a, y (up).")
    ci_x_mm: float | None = Field(description="95 % half-width of shift_x (Welch).")
    ci_y_mm: float | None
    p_value: float | None = Field(description="Two-sample Hotelling T² (≥ 3 impacts each).")
    significant: bool = Field(description="An axis's interval excludes 0.")
    advice: list[str]
    advice_given: bool = Field(description="False for a compound bow (release-aid rules differ).")


class SightCorrectionQuery(Strict):
    end_no: int | None = Field(default=None, ge=1, le=100_000, description="One end only.")


class SightCorrectionOut(Strict):
    distance_m: float
    impacts: int
    centre_x_mm: float | None = Field(description="Group centre from the face centre (x right).")
    centre_y_mm: float | None = Field(description="y up.")
    sigma_x_mm: float | None
    sigma_y_mm: float | None
    ci_x_mm: float | None = Field(description="95 % half-width of the centre, x.")
    ci_y_mm: float | None
    move_x_mm: float | None = Field(
        description="Move the sight this far (right +); null within the uncertainty."
    )
    move_y_mm: float | None = Field(description="Up +; null within the uncertainty.")
    advice: str


class SightCorrectionsOut(Strict):
    session_id: UUID
    end_no: int | None
    sight_radius_mm: float | None
    group: str | None = Field(
        description="A tuning session's: only the arrows of its reference group (a) count."
    )
    distances: list[SightCorrectionOut] = Field(description="One per distance shot.")


class SetSpreadOut(Strict):
    impacts: int
    groups: int = Field(description="Sessions × distances the impacts came from.")
    mean_radius_mrad: float | None = Field(
        description="Mean distance from the own group's centre, mm per m of distance."
    )
    sd_radius_mrad: float | None


class SetComparisonOut(Strict):
    a_id: UUID
    a_name: str
    b_id: UUID
    b_name: str
    a: SetSpreadOut
    b: SetSpreadOut
    difference_mrad: float | None = Field(description="Mean radius of b − a.")
    ci_mrad: float | None = Field(description="95 % half-width (Welch).")
    p_value: float | None
    tighter: Literal["a", "b"] | None = Field(description="Null: no real difference shown.")


class CullArrowOut(Strict):
    arrow_id: UUID
    identifier: str
    impacts: int
    groups: int
    offset_x_mrad: float | None
    offset_y_mrad: float | None
    p_value: float | None
    p_adjusted: float | None = Field(description="Holm-adjusted over the set's arrows.")
    flagged: bool


class CullingOut(Strict):
    arrow_set_id: UUID
    arrows: list[CullArrowOut]
