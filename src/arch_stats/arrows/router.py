"""HTTP routes of the arrows domain (thin: parse, authorise, call the service)."""

from fastapi import APIRouter

router = APIRouter(tags=["arrows"])
