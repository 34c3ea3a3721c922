"""What a search answers: its hits."""

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    """A record or a sentence matching every word asked for. Records come first (crossings,
    restrictions, fortifications, borders), then facts and events, then sentences."""

    type: str = Field(description="crossing | restriction | fortification | border | fact | ...")
    id: str
    title: str = Field(
        description="A record's name or summary; a sentence's own text (cut at 120 characters)."
    )
    text: str
    url: str = Field(description="Where the hit's record or sentence is served.")
    article_file: str | None = Field(
        None, description="For a sentence: the article it comes from (null for a record)."
    )
    article_title: str | None = Field(None, description="For a sentence: the article's headline.")
