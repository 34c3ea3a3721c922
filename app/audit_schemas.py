"""The wire shapes of what the store keeps of its writes: revisions and audit entries."""

from typing import Any

from pydantic import BaseModel, Field


class RevisionOut(BaseModel):
    """An earlier state of a record, as it was served until a write replaced it."""

    revision: int = Field(description="1 for the oldest state on record.")
    until: str = Field(description="When a write replaced this state (UTC, ISO 8601).")
    audit_id: int = Field(description="The audit entry of the write that replaced it.")
    state: dict[str, Any] = Field(description="The record as served then, with its provenance.")


class AuditEntryOut(BaseModel):
    """One write: who made it, when, to what, and the record before and after."""

    id: int
    at: str = Field(description="UTC, ISO 8601.")
    curator: str = Field(description="The name of the token the write was made with.")
    method: str
    path: str
    action: str = Field(description="create | update | ingest")
    record_type: str = Field(description="crossing | restriction | fortification | source")
    record_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
