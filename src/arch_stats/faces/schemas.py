"""Response bodies of the faces domain (static data: faces, standard rounds)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Location = Literal["indoor", "outdoor", "field"]
Body = Literal["WA", "AGB", "AA", "IFAA", "WAExp", "WA-VI", "AGB-VI", "custom"]
DistanceUnit = Literal["metre", "yard"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RingOut(Strict):
    outer_radius_mm: float = Field(description="Outer edge of the zone, from the spot centre")
    value: int = Field(ge=1, le=11)
    colour: str = Field(description="WA colour name: gold, red, light blue, black, white")
    colour_hex: str = Field(pattern=r"^#[0-9A-F]{6}$")


class SpotOut(Strict):
    x_mm: float = Field(description="Spot centre from the face centre, to the right")
    y_mm: float = Field(description="Spot centre from the face centre, up")


class FaceOut(Strict):
    face_type: str
    name: str
    diameter_mm: float = Field(description="Nominal face size (a 40 cm triple spot: 400)")
    spot_diameter_mm: float = Field(description="Diameter of the scoring area of one spot")
    rings: list[RingOut] = Field(description="Scoring zones, innermost first")
    x_radius_mm: float | None = Field(description="X ring radius; null: no X ring")
    spots: list[SpotOut] = Field(description="Spot centres; one at (0, 0) on single faces")
    max_score: int
    compound_applies: bool = Field(
        description="Compound (inner-10) scoring changes this face: the X ring is the 10"
    )
    compound_rings: list[RingOut] | None = Field(
        description="Scoring zones under compound scoring; null where it does not apply"
    )
    au_scoring: str = Field(description="archeryutils scoring system of the face")
    au_compound_scoring: str | None
    au_diameter_cm: float
    values: list[str] = Field(
        description="What an arrow may score on it, highest first, as a score given by value "
        "is called: 'X' (an X ring: the innermost value), the rings' values, 'M'"
    )
    compound_values: list[str] | None = Field(
        description="The same under compound scoring (the inner 10 is the X, the only 10); "
        "null where it does not apply"
    )


class PassOut(Strict):
    n_arrows: int
    distance_m: float
    distance: float = Field(description="Distance in `distance_unit`, as the round names it")
    distance_unit: DistanceUnit
    face_diameter_cm: float
    scoring: str = Field(description="archeryutils scoring system")
    indoor: bool
    compound_scoring: bool = Field(description="Inner-10 scoring: the X ring is the 10")
    face_type: str | None = Field(description="The Arch Stats face for this pass; null: none")
    face_types: list[str] = Field(description="Every Arch Stats face that scores this pass")
    max_score: int


class RoundSummaryOut(Strict):
    code: str = Field(description="archeryutils codename, the session's `round_code`")
    name: str
    location: Location | None
    body: Body | None = Field(description="Governing body (WAExp: WA experimental rounds)")
    family: str | None
    n_arrows: int
    max_score: int
    face_types: list[str] = Field(description="The Arch Stats faces of its passes, in order")
    distances: list[str] = Field(
        description="The distances of its passes, in order, each once", examples=[["70 m"]]
    )
    supported: bool = Field(description="Every pass has an Arch Stats face to score it on")


class RoundOut(RoundSummaryOut):
    passes: list[PassOut]
