"""Request and response bodies of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from arch_stats.core.types import JsonFloat, JsonInt

Bowstyle = Literal["recurve", "compound", "barebow", "longbow", "traditional", "flatbow"]
Gender = Literal["male", "female"]
AgeGroup = Literal[
    "adult", "50+", "under 21", "under 18", "under 16", "under 15", "under 14", "under 12"
]

Password = Field(min_length=8, max_length=128)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Strict):
    email: EmailStr = Field(max_length=254)
    password: str = Password
    name: str = Field(min_length=1, max_length=100)
    bowstyle: Bowstyle = "recurve"
    gender: Gender = "male"
    age_group: AgeGroup = "adult"
    draw_weight_lbs: JsonFloat | None = Field(default=None, gt=0, lt=200)


class LoginIn(Strict):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=128)


class ArcherPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    bowstyle: Bowstyle | None = None
    gender: Gender | None = None
    age_group: AgeGroup | None = None
    draw_weight_lbs: JsonFloat | None = Field(default=None, gt=0, lt=200)
    current_password: str | None = Field(default=None, min_length=1, max_length=128)
    new_password: str | None = Field(default=None, min_length=8, max_length=128)


class ArcherOut(Strict):
    id: UUID
    email: str
    name: str
    bowstyle: Bowstyle
    gender: Gender
    age_group: AgeGroup
    draw_weight_lbs: float | None
    created_at: datetime


class LoginOut(Strict):
    token: str = Field(description="Opaque bearer token; also set as the HttpOnly cookie.")
    token_type: Literal["bearer"]
    expires_at: datetime
    archer: ArcherOut


class DeviceTokenIn(Strict):
    name: str = Field(min_length=1, max_length=100, description="e.g. 'target reader lane 3'")
    expires_in_days: JsonInt | None = Field(
        default=None, ge=1, le=3650, description="Omit for a token that never expires."
    )


class DeviceTokenOut(Strict):
    id: UUID
    name: str | None
    scope: Literal["sensor"]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class DeviceTokenCreated(DeviceTokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")
