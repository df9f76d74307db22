"""HTTP routes of the sessions domain (thin: parse, authorise, call the service)."""

from fastapi import APIRouter

router = APIRouter(tags=["sessions"])
