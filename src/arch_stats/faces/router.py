"""HTTP routes of the faces domain (thin: parse, authorise, call the service)."""

from fastapi import APIRouter

router = APIRouter(tags=["faces"])
