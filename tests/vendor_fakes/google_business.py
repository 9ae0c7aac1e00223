"""A fake Google Business Profile reviews API (v4) for one location, seeded from the sandbox's reviews and replies.

Reviews are listed newest first in pages of at most 50 (`pageToken`), replies are PUT (create or overwrite), errors
use the `google.rpc.Status` envelope; the bearer must be the one the fake OAuth endpoint issued.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from cadencia.tools.reviews.tables import review_replies, reviews
from cadencia.tools.store.store import Store
from vendor_fakes.google_ads import ACCESS_TOKEN

ACCOUNT = "111222333"
LOCATION = "4445556667"
STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


def status(code: int, grpc: str, message: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": message, "status": grpc}})


@dataclass
class FakeGoogleBusiness:
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    edits: list[tuple[str, str]] = field(default_factory=list)
    throttle_next: int = 0

    @classmethod
    def from_store(cls, store: Store) -> FakeGoogleBusiness:
        fake = cls()
        with store.reading() as conn:
            replies = {r["review_id"]: r for r in conn.execute(select(review_replies)).mappings()}
            rows = conn.execute(select(reviews).order_by(reviews.c.created_on.desc(), reviews.c.id.desc())).mappings()
            for row in rows:
                stamp = f"{row['created_on']}T10:00:00Z"
                review: dict[str, Any] = {
                    "name": f"accounts/{ACCOUNT}/locations/{LOCATION}/reviews/{row['id']}",
                    "reviewId": row["id"],
                    "reviewer": {"displayName": row["author"], "isAnonymous": False},
                    "starRating": STARS[row["rating"]],
                    "comment": f"{row['title']}. {row['body']}",
                    "createTime": stamp,
                    "updateTime": stamp,
                }
                if row["id"] in replies:
                    reply = replies[row["id"]]
                    review["reviewReply"] = {"comment": reply["body"], "updateTime": f"{reply['created_on']}T12:00:00Z"}
                fake.reviews[row["id"]] = review
        return fake

    def state(self) -> str:
        return json.dumps(self.reviews, sort_keys=True)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return status(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if self.throttle_next:
            self.throttle_next -= 1
            return status(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests'.")
        prefix = f"/v4/accounts/{ACCOUNT}/locations/{LOCATION}/reviews"
        if not request.url.path.startswith(prefix):
            return status(404, "NOT_FOUND", "Requested entity was not found.")
        rest = request.url.path.removeprefix(prefix).strip("/")
        if request.method == "GET" and not rest:
            return self._list(dict(request.url.params))
        match = re.fullmatch(r"([\w-]+)(/reply)?", rest)
        review = self.reviews.get(match.group(1)) if match else None
        if review is None or match is None:
            return status(404, "NOT_FOUND", "Requested entity was not found.")
        if request.method == "GET" and not match.group(2):
            return httpx.Response(200, json=review)
        if request.method == "PUT" and match.group(2):
            comment = json.loads(request.content).get("comment", "")
            if not comment or len(comment) > 4096:
                return status(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            review["reviewReply"] = {"comment": comment, "updateTime": "2026-03-02T09:00:00Z"}
            self.edits.append((review["reviewId"], comment))
            return httpx.Response(200, json=review["reviewReply"])
        return status(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")

    def _list(self, params: dict[str, str]) -> httpx.Response:
        size = int(params.get("pageSize", 50))
        if not 1 <= size <= 50:
            return status(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 50.")
        ordered = list(self.reviews.values())
        start = int(params.get("pageToken") or 0)
        page: dict[str, Any] = {
            "reviews": ordered[start : start + size],
            "averageRating": round(sum(int(_stars(r)) for r in ordered) / len(ordered), 2),
            "totalReviewCount": len(ordered),
        }
        if start + size < len(ordered):
            page["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=page)


def _stars(review: dict[str, Any]) -> int:
    return {v: k for k, v in STARS.items()}[review["starRating"]]
