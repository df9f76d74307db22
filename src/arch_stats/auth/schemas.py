"""Request and response bodies of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from arch_stats.clubs.schemas import ClubOut, InviteCode
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
    invite_code: InviteCode | None = Field(
        default=None,
        description="A club's invite code: the new account joins the club in the same step, "
        "and a working code does not count against REGISTER_MAX_ATTEMPTS (a club night "
        "behind one address). A code that does not work is a 404 and counts.",
    )


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
    is_admin: bool = Field(
        default=False, description="An administrator of this instance (`arch-stats admin grant`)."
    )


class RegisteredOut(ArcherOut):
    club: ClubOut | None = Field(
        default=None, description="The club joined with `invite_code`; null without one."
    )


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


class LoginTokenOut(Strict):
    """One place where the account is signed in (a login token, never its secret)."""

    id: UUID
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(
        description="Noted in memory on every use, written at most every TOKEN_USE_FLUSH_SECONDS."
    )
    user_agent: str | None
    device: str = Field(description="The browser or client, e.g. 'Firefox on Linux'.")
    address: str | None = Field(description="The client address it signed in from.")
    current: bool = Field(description="The token of this very request.")
    revoked_at: datetime | None


class SignOutIn(Strict):
    keep_current: StrictBool = Field(
        description="true: sign out every other browser and client, stay signed in here; "
        "false: this one too."
    )
    include_device_tokens: StrictBool = Field(
        default=False, description="Also revoke the device tokens of the sensor readers."
    )


class SignedOut(Strict):
    login_tokens: int = Field(description="Login tokens revoked.")
    device_tokens: int = Field(description="Device tokens (sensor readers) revoked.")
    current_kept: bool = Field(description="Whether the token of this request still works.")
    message: str


class ArcherUpdated(ArcherOut):
    signed_out: SignedOut | None = Field(
        default=None,
        description="After a password change: every other token of the account was revoked.",
    )
