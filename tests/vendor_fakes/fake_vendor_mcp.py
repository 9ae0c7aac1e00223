"""A fake vendor MCP server in a vendor's naming and units (budgets in micros, prices as major-unit strings), for the
proxy's tests: built in process, or run as a script over stdio or HTTP (`--http PORT --token T`)."""

from __future__ import annotations

import argparse
import hmac
from dataclasses import dataclass, field
from typing import Annotated, Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field


@dataclass
class VendorState:
    budgets_micros: dict[str, int] = field(default_factory=lambda: {"cmp-1": 100_000_000, "cmp-2": 50_000_000})
    prices: dict[str, str] = field(default_factory=lambda: {"prod-1": "19.99", "prod-2": "45.00"})
    costs: dict[str, str] = field(default_factory=lambda: {"prod-1": "8.00", "prod-2": "20.00"})
    sent: list[dict[str, Any]] = field(default_factory=list)
    wiped: bool = False


class _Verifier(TokenVerifier):
    def __init__(self, token: str) -> None:
        self.token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self.token.encode()):
            return AccessToken(token=token, client_id="proxy", scopes=["read"])
        return None


def build_vendor(state: VendorState | None = None, *, token: str | None = None, port: int = 0) -> MCPServer[Any]:
    """The fake vendor over `state` (a fresh one by default)."""
    data = state or VendorState()
    auth: dict[str, Any] = {}
    if token is not None:
        base = f"http://127.0.0.1:{port}"
        auth = {
            "token_verifier": _Verifier(token),
            "auth": AuthSettings(issuer_url=base, resource_server_url=f"{base}/mcp", required_scopes=["read"]),  # type: ignore[arg-type]
        }
    server: MCPServer[Any] = MCPServer(name="fake-vendor", log_level="WARNING", **auth)

    @server.tool()
    def get_campaign(campaign_id: str) -> dict[str, Any]:
        """Read a campaign and its daily budget (micros)."""
        if campaign_id not in data.budgets_micros:
            raise ToolError(f"CAMPAIGN_NOT_FOUND: {campaign_id}")
        budget = {"amount_micros": data.budgets_micros[campaign_id], "currency_code": "USD"}
        return {"id": campaign_id, "status": "ENABLED", "budget": budget}

    @server.tool()
    def update_campaign_budget(campaign_id: str, amount_micros: Annotated[int, Field(ge=0)]) -> dict[str, Any]:
        """Set a campaign's daily budget (micros)."""
        if campaign_id not in data.budgets_micros:
            raise ToolError(f"CAMPAIGN_NOT_FOUND: {campaign_id}")
        data.budgets_micros[campaign_id] = amount_micros
        return {"id": campaign_id, "budget": {"amount_micros": amount_micros}}

    @server.tool()
    def get_product(product_id: str) -> dict[str, Any]:
        """Read a product's price and cost (major units, strings)."""
        if product_id not in data.prices:
            raise ToolError(f"product {product_id} does not exist")
        return {"id": product_id, "price": data.prices[product_id], "cost": data.costs[product_id]}

    @server.tool()
    def update_product_price(product_id: str, price: str) -> dict[str, Any]:
        """Set a product's price (major units, e.g. "19.99")."""
        if product_id not in data.prices:
            raise ToolError(f"product {product_id} does not exist")
        if float(price) <= 0:
            raise ToolError("INVALID_PRICE: price must be greater than 0")
        if float(price) > 1000:
            raise ToolError("PRICE_TOO_HIGH: prices above 1000.00 need a manual review")
        data.prices[product_id] = price
        return {"id": product_id, "price": price}

    @server.tool()
    def send_email(recipients: list[str], subject: str, body: str) -> dict[str, Any]:
        """Send an email to recipients now."""
        data.sent.append({"recipients": recipients, "subject": subject, "body": body})
        return {"sent": len(recipients)}

    @server.tool()
    def get_account() -> dict[str, Any]:
        """Read the account; a careless vendor echoes the caller's token in its error."""
        presented = get_access_token()
        if presented is not None:
            raise ToolError(f"ACCOUNT_LOCKED for token {presented.token}")
        return {"id": "acct-1"}

    @server.tool()
    def delete_all_campaigns() -> dict[str, Any]:
        """Delete every campaign (the overlay does not name it)."""
        data.wiped = True
        data.budgets_micros.clear()
        return {"deleted": True}

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None, help="serve HTTP on this port instead of stdio")
    parser.add_argument("--token", default=None)
    options = parser.parse_args()
    if options.http is None:
        build_vendor().run("stdio")
        return
    import uvicorn

    server = build_vendor(token=options.token, port=options.http)
    app = server.streamable_http_app(json_response=True, stateless_http=True)
    uvicorn.run(app, host="127.0.0.1", port=options.http, log_level="warning")


if __name__ == "__main__":
    main()
