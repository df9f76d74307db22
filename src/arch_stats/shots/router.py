"""HTTP routes of the shots domain (thin: parse, authorise, call the service)."""

from fastapi import APIRouter

router = APIRouter(tags=["shots"])
