"""Frames shared by many viewers, written straight to their sockets.

A frame that many viewers get the same (a club board's audience, a competition's results) is
encoded once (`core.ws_protocol.encode_text`) and written to each viewer's socket as it is
(`send_prepared`), `WRITE_BATCH` viewers per turn of the event loop; frames that come during a
write join the next one, so that every viewer gets them in order (`Fanout`). A viewer whose
socket has more than `ws_protocol.SLOW_BYTES` unread is dropped (4408), never buffered without
end.

A viewer is fed through its hub queue (bounded, as every subscriber's) until its socket's task
has sent what was queued (`DirectViewer.stream`), and while a first frame that must come before
everything else is due (`hold`, then `lead`): then the socket is written to directly. Used by
the club board (`board.fanout`) and live results (`competitions.live`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from arch_stats.core.ws_protocol import TOO_SLOW, SendPrepared, encode_text
from arch_stats.live.hub import Subscriber

WRITE_BATCH = 100  # viewers written to per turn of the event loop


class DirectViewer(Subscriber):
    """A subscriber whose frames go straight to its socket once its queue is sent."""

    __slots__ = ("holding", "send", "streaming")

    def __init__(
        self,
        watched: UUID,
        archer_id: UUID,
        *,
        send: SendPrepared | None,
        holding: bool,
        **kw: Any,
    ) -> None:
        super().__init__(watched, archer_id, last_seq=0, **kw)
        self._held = None  # no replay: frames queue (or go straight out) as they come
        self.send = send  # writes frames to the socket directly (None: another server)
        self.holding = holding  # a first frame is due: frames queue behind it (`lead`)
        self.streaming = False  # nothing queued: frames go straight to the socket

    def deliver(self, data: bytes, texts: Sequence[str]) -> None:
        """Frames `texts`, encoded together as `data`: written to the socket, or queued."""
        if self.closed:
            return
        if self.streaming:
            assert self.send is not None
            if not self.send(data):  # the socket dropped it (too slow), or is gone
                self.end(*TOO_SLOW)
            return
        for text in texts:
            super().push(text)

    def push(self, data: str) -> None:  # the hub's heartbeats; a frame for this viewer alone
        self.deliver(encode_text(data) if self.streaming else b"", (data,))

    def hold(self) -> None:
        """A first frame is coming: queue frames until it is queued (`lead`)."""
        self.holding = True
        self.streaming = False

    def lead(self, text: str) -> None:
        """Queue `text` before everything queued (a snapshot: what follows applies to it)."""
        self.queue.appendleft(text)
        self.holding = False
        self._wakeup()

    def stream(self) -> None:
        """Everything queued was sent: write what comes straight to the socket."""
        if self.send is not None and not self.holding and not self.queue and not self.closed:
            self.streaming = True


V = TypeVar("V", bound=DirectViewer)


class Fanout(Generic[V]):
    """Viewers who get the same frames."""

    __slots__ = ("_texts", "_writing", "viewers")

    def __init__(self) -> None:
        self.viewers: set[V] = set()
        self._texts: list[str] = []
        self._writing = False

    def send(self, text: str) -> None:
        """`text` to every viewer: queued here, written by one pass over the viewers (with
        whatever else comes before it starts)."""
        self._texts.append(text)
        if not self._writing:
            self._writing = True
            asyncio.get_running_loop().call_soon(self._write_all)

    def _write_all(self) -> None:
        texts, self._texts = self._texts, []
        data = b"".join(encode_text(text) for text in texts)
        self._write(list(self.viewers), 0, data, texts)

    def _write(self, viewers: list[V], start: int, data: bytes, texts: list[str]) -> None:
        end = start + WRITE_BATCH
        for viewer in viewers[start:end]:
            viewer.deliver(data, texts)
        loop = asyncio.get_running_loop()
        if end < len(viewers):  # the event loop serves others between batches
            loop.call_soon(self._write, viewers, end, data, texts)
        elif self._texts:
            loop.call_soon(self._write_all)
        else:
            self._writing = False
