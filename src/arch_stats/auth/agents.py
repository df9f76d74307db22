"""A short description of a browser or client from its User-Agent: "Chrome Mobile on Android
(Pixel 8)", "Firefox on Linux", "curl". Parsed with ua-parser (the rules browserscope made);
the first call compiles them (a few hundred ms), so callers run it in a thread."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=1024)
def describe(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown client"
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    device = result.device.family if result.device else None
    if browser in (None, "Other"):
        # Scripts: the product token is the best there is ("python-httpx/0.28.1").
        browser = user_agent.split("/", 1)[0].split(" ", 1)[0][:40] or "Unknown client"
    text = browser
    if system and system != "Other":
        text += f" on {system}"
    if device and device not in ("Other", "Generic Smartphone", "Spider") and device != system:
        text += f" ({device})"
    return text
