"""HTTP routes of the targets domain (thin: parse, authorise, call the service)."""

from fastapi import APIRouter

router = APIRouter(tags=["targets"])
