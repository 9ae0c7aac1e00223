"""The market's hidden truth, kept in the simulator's own tables and never in the store's capability tables.

When a world first opens a seeded store it adopts the demo brand's latent traits (the figures and per-entity traits
the seed drew the brand's past from, so the simulated future continues that past). A product or campaign the world
first sees later — a campaign an agent created — gets traits the world derives from (brand seed, id) and the
adopted market figures, at its budget when first seen: the same entity always responds the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy import Connection, func, insert, select

from cadencia.evals.world.tables import create_sim_tables, sim_campaign_truth, sim_market, sim_product_truth
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.inventory.tables import products
from cadencia.tools.seed import MARKET, CampaignTraits, MarketSpec, ProductTraits, Scale
from cadencia.tools.seed import campaign_traits as seeded_campaign_traits
from cadencia.tools.seed import product_traits as seeded_product_traits
from cadencia.tools.seed.latent import draw_campaign_curve, draw_product_traits
from cadencia.tools.seed.rand import stream
from cadencia.tools.store.store import Store

MARKET_ROW = "market"
BATCH = 5_000

NEW_CAMPAIGNS = (
    select(campaigns.c.id, campaigns.c.platform, campaigns.c.daily_budget_minor)
    .outerjoin(sim_campaign_truth, sim_campaign_truth.c.campaign_id == campaigns.c.id)
    .where(sim_campaign_truth.c.campaign_id.is_(None))
    .order_by(campaigns.c.id)
)
NEW_PRODUCTS = (
    select(products.c.sku)
    .outerjoin(sim_product_truth, sim_product_truth.c.sku == products.c.sku)
    .where(sim_product_truth.c.sku.is_(None))
    .order_by(products.c.sku)
)


def load_market(conn: Connection) -> MarketSpec:
    spec = conn.execute(select(sim_market.c.spec).where(sim_market.c.name == MARKET_ROW)).scalar()
    if spec is None:
        raise LookupError("the world has no market yet: open the store with World(...) or adopt_truth(...) first")
    return MarketSpec.model_validate_json(spec)


def open_truth(store: Store) -> MarketSpec:
    """Create the simulator's tables and give every product and campaign its truth (before a scenario patches it)."""
    create_sim_tables(store.engine)
    with store.writing() as conn:
        return adopt_truth(store, conn)


def adopt_truth(store: Store, conn: Connection) -> MarketSpec:
    """Give every product and campaign without truth its truth (adopted or derived); returns the market's figures."""
    if conn.execute(select(sim_market.c.name).where(sim_market.c.name == MARKET_ROW)).first() is None:
        conn.execute(insert(sim_market).values(name=MARKET_ROW, spec=MARKET.model_dump_json()))
    market = load_market(conn)
    seed, scale = _brand(store, conn)
    _truth_for_products(conn, market, seed, scale)
    _truth_for_campaigns(conn, market, seed, scale)
    return market


def _brand(store: Store, conn: Connection) -> tuple[int, Scale]:
    seed, scale = store.get_world("seed", conn), store.get_world("scale", conn)
    if seed is None or scale is None:
        raise LookupError("not a seeded store: the world simulates stores written by cadencia.tools.seed.seed_store")
    return int(seed), Scale(scale)


def _truth_for_products(conn: Connection, market: MarketSpec, seed: int, scale: Scale) -> None:
    known = conn.execute(select(func.count()).select_from(sim_product_truth)).scalar()
    if known == conn.execute(select(func.count()).select_from(products)).scalar():
        return
    missing = set(conn.execute(NEW_PRODUCTS).scalars())
    adopted = ((sku, traits) for sku, traits in seeded_product_traits(seed, scale) if sku in missing)
    rows = _product_rows(adopted, missing, market, seed)
    while chunk := list(islice(rows, BATCH)):
        conn.execute(insert(sim_product_truth), chunk)


def _product_rows(
    adopted: Iterable[tuple[str, ProductTraits]], missing: set[str], market: MarketSpec, seed: int
) -> Iterator[dict[str, object]]:
    for sku, traits in adopted:
        missing.discard(sku)
        yield {"sku": sku, **traits.model_dump()}
    for sku in sorted(missing):
        yield {"sku": sku, **draw_product_traits(stream(seed, "new-product", sku), market).model_dump()}


def _truth_for_campaigns(conn: Connection, market: MarketSpec, seed: int, scale: Scale) -> None:
    missing = conn.execute(NEW_CAMPAIGNS).all()
    if not missing:
        return
    seeded = dict(seeded_campaign_traits(seed, scale))
    rows = [
        {"campaign_id": cid, **(seeded.get(cid) or _new_campaign(market, seed, cid, platform, budget)).model_dump()}
        for cid, platform, budget in missing
    ]
    conn.execute(insert(sim_campaign_truth), rows)


def _new_campaign(market: MarketSpec, seed: int, campaign_id: str, platform: str, budget: int) -> CampaignTraits:
    """A campaign the brand's past does not know: its saturation relative to its budget when first seen."""
    if platform not in market.platforms:
        raise ValueError(f"unknown ad platform {platform!r}; the simulator knows {sorted(market.platforms)}")
    rng = stream(seed, "created-campaign", campaign_id)
    saturation = max(1, round(budget * rng.choice(market.saturation_multiples)))
    return draw_campaign_curve(rng, platform, saturation, market)
