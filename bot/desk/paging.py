"""Validated route parameters shared by the desk's pages: page numbers for long lists
(`?halaman=N`) and row ids in paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Path, Query

from bot.db.models import MAX_ROW_ID

MAX_PAGE: Final = 1_000_000

# A route's `halaman` parameter: 1-based, validated (a bad value is a 422, never a SQL error).
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]

# A row id in a route's path (`/percakapan/{seller_id}`): in the id columns' range, so an id no
# row can have is a 422 like any malformed one, never a SQL error (PostgreSQL refuses an
# out-of-range INTEGER parameter).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    @property
    def first_item(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_item(self) -> int:
        return min(self.offset + self.per_page, self.total)
