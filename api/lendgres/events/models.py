"""The events feed: what a reader asks for and what it gets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import PathId, QueryInt32, Strict, Text, checked_range

# Every event type there is (lending_private.record_application_event and the row triggers of db/src/events/event.sql
# write them); the feed shows only what a role may read. MCP clients check answers against this list, so a type
# written and not listed here breaks wait_for_events for them.
EventType = Literal[
    "application.filed",
    "application.updated",
    "application.assessed",
    "application.decided",
    "application.review_claimed",
    "application.decision_confirmed",
    "application.decision_declined",
    "application.offer_accepted",
    "application.offer_declined",
    "application.offer_expired",
    "application.notice_sent",
    "application.withdrawn",
]

# How long a reader may wait for the next change, at most.
MAX_WAIT_SECONDS = 30


class EventsQuery(Strict):
    after: Text | None = Field(
        None,
        description="next_cursor of your previous call, as it came (cursors are opaque); omit to start at the "
        "beginning.",
    )
    limit: Annotated[QueryInt32, checked_range(1, 1000)] = Field(100, description="Events per call.")
    wait: float = Field(0, ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for a change when there is none.")
    application_id: PathId | None = Field(None, description="Only this application's.")
    event_type: EventType | None = Field(None, alias="type", description="Only events of this type.")


_EVENT_EXAMPLE: dict[str, Any] = {
    "cursor": "NzQyMS0xOA==",
    "event_type": "application.decided",
    "application_id": 1,
    "payload": {
        "status": "approved",
        "version": 2,
        "previous_status": "pending",
        "decision": {"decision_id": 3, "outcome": "approved", "reason_codes": ["DTI_OK"]},
    },
    "actor": "underwriter-1",
    "request_id": "5f0c7c2e9b1d4f7a",
    "occurred_at": "2026-11-25T16:02:11.482913Z",
}


class Event(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    cursor: str = Field(description="Resume after this event by passing it as `after`.")
    event_type: EventType
    application_id: int
    payload: dict[str, Any]
    actor: str
    request_id: str | None
    occurred_at: str


class EventPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [_EVENT_EXAMPLE],
                    "next_cursor": "NzQyMi0w",
                }
            ]
        }
    )

    events: list[Event]
    next_cursor: str = Field(
        description="Pass as `after` next time, whether or not events came back: after a page shorter than `limit`, "
        "it has moved past every event the call examined, matching or not."
    )
