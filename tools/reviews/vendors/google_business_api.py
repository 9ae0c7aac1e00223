"""Google Business Profile reviews API (My Business API v4: reviews were not moved to the newer per-feature APIs).

Doc pages used (developers.google.com/my-business):
- /reference/rest/v4/accounts.locations.reviews: Review `{name, reviewId, reviewer{displayName, isAnonymous},
  starRating, comment, createTime, updateTime, reviewReply{comment, updateTime}}`; methods list, get, updateReply
  (PUT `…/reviews/{id}/reply` creates or overwrites) and deleteReply (not used: no Cadencia tool deletes a reply).
- /content/review-data: `GET https://mybusiness.googleapis.com/v4/accounts/{a}/locations/{l}/reviews`, reply, delete.
- /content/known-issues (2026-06-17): pages after the first may rarely miss reviews (we cannot fix that).
Unverified here: `pageSize` maximum 50 and `orderBy` values (from the reference as remembered and public clients),
the `ListReviewsResponse` field names `averageRating`/`totalReviewCount`/`nextPageToken`, and the "about 10 edits
per minute per profile" limit (a usage guideline, paced here with aiolimiter).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.vendors.google import raise_for_google
from cadencia.tools.vendors.http import VendorHttp

GBP_URL = "https://mybusiness.googleapis.com"
PAGE_SIZE = 50
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GReviewer(_Model):
    display_name: str = Field("", alias="displayName")
    is_anonymous: bool = Field(False, alias="isAnonymous")


class GReply(_Model):
    comment: str
    update_time: str = Field("", alias="updateTime")


class GReview(_Model):
    review_id: str = Field(alias="reviewId")
    reviewer: GReviewer = GReviewer()
    star_rating: str = Field("STAR_RATING_UNSPECIFIED", alias="starRating")
    comment: str = ""
    create_time: str = Field(alias="createTime")
    update_time: str = Field("", alias="updateTime")
    review_reply: GReply | None = Field(None, alias="reviewReply")

    @property
    def stars(self) -> int:
        """1-5; 0 when Google reports no star rating."""
        return STARS.get(self.star_rating, 0)

    @property
    def created_on(self) -> date:
        return day(self.create_time)


class ReviewsPage(_Model):
    reviews: list[GReview] = Field(default_factory=list)
    average_rating: float | None = Field(None, alias="averageRating")
    total: int | None = Field(None, alias="totalReviewCount")
    next_page_token: str | None = Field(None, alias="nextPageToken")


def day(timestamp: str) -> date:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).date()


class GoogleBusinessApi:
    """Reads and replies to the reviews of one location through VendorHttp (OAuth bearer, retries, breaker)."""

    def __init__(self, http: VendorHttp, *, account_id: str, location_id: str, base_url: str = GBP_URL) -> None:
        self.http = http
        self.root = f"{base_url.rstrip('/')}/v4/accounts/{account_id}/locations/{location_id}/reviews"

    async def _send(self, method: str, url: str, *, what: str, json: Any = None, params: Any = None) -> dict[str, Any]:
        response = await self.http.send(method, url, json=json, params=params, retry_safe=True)
        raise_for_google(response, vendor="Google Business Profile", scrub=self.http.scrub, what=what)
        return response.json() if response.content else {}

    async def page(self, token: str | None) -> ReviewsPage:
        params = {"pageSize": str(PAGE_SIZE), "orderBy": "updateTime desc"}
        if token:
            params["pageToken"] = token
        return ReviewsPage.model_validate(await self._send("GET", self.root, what="the review list", params=params))

    async def review(self, review_id: str) -> GReview:
        return GReview.model_validate(await self._send("GET", f"{self.root}/{review_id}", what=f"review {review_id}"))

    async def put_reply(self, review_id: str, comment: str) -> GReply:
        """Creates or overwrites the reply (PUT is idempotent: a retried call writes the same text)."""
        body = await self._send("PUT", f"{self.root}/{review_id}/reply", what="the reply", json={"comment": comment})
        return GReply.model_validate(body)
