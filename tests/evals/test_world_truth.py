"""The market's hidden truth lives in the simulator's tables: the store holds only what a vendor would record."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cadencia.evals.episode import build_world
from cadencia.evals.scenarios import load_scenario
from cadencia.evals.world import World, open_truth
from cadencia.evals.world.response import direct_response
from cadencia.evals.world.tables import sim_campaign_truth, sim_product_truth
from cadencia.tools.ads.models import Objective, Platform
from cadencia.tools.ads.sandbox import SandboxAds
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.inventory.tables import products
from cadencia.tools.limits import Limits
from cadencia.tools.seed import Scale, campaign_traits, product_traits
from cadencia.tools.seed.ads import true_response
from cadencia.tools.store.metadata import metadata
from cadencia.tools.store.store import Store

CORE = Path(__file__).resolve().parents[2] / "evals" / "suites" / "core"
HIDDEN = {
    "elasticity",
    "base_daily_demand",
    "saturation_minor",
    "hill_alpha",
    "adstock_theta",
    "response_max_minor",
    "attribution_inflation",
}


def _campaign_truth(store: Store) -> dict[str, tuple[object, ...]]:
    with store.reading() as conn:
        rows = conn.execute(select(sim_campaign_truth)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_no_capability_table_has_a_column_of_the_markets_truth() -> None:
    capability = [t for name, t in metadata.tables.items() if not name.startswith("sim_")]
    assert {"products", "campaigns"} <= {t.name for t in capability}
    assert not [(t.name, c.name) for t in capability for c in t.c if c.name in HIDDEN]


def test_opening_a_seeded_store_adopts_the_traits_its_past_was_drawn_from(store: Store) -> None:
    open_truth(store)
    with store.reading() as conn:
        adopted = {row.sku: (row.elasticity, row.base_daily_demand) for row in conn.execute(select(sim_product_truth))}
    seeded = {sku: (t.elasticity, t.base_daily_demand) for sku, t in product_traits(7, Scale.SMALL)}
    assert adopted == seeded and len(adopted) == 40
    expected = {cid: tuple(t.model_dump().values()) for cid, t in campaign_traits(7, Scale.SMALL)}
    assert _campaign_truth(store) == expected


async def test_a_campaign_an_agent_creates_gets_its_truth_from_the_world_when_first_seen(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    truths = []
    for copy in ("a", "b"):
        store = Store.open(_copy(seeded_sqlite_template, tmp_path / f"{copy}.db"))
        world = World(store, seed=11)
        created = await SandboxAds(store, Limits()).create_campaign(
            platform=Platform.TIKTOK,
            name="Serum launch",
            objective=Objective.CONVERSIONS,
            daily_budget_minor=4_000,
            currency="EUR",
        )
        assert created.campaign.id not in _campaign_truth(store)
        world.step()
        truths.append(_campaign_truth(store)[created.campaign.id])
        store.close()
    saturation, alpha, theta, response_max, inflation = truths[0]
    assert truths[0] == truths[1]
    assert saturation in {round(4_000 * m) for m in (0.4, 0.7, 1.0, 1.5, 2.5)}
    assert 0.5 <= theta <= 0.8 and 0.9 <= alpha <= 2.2 and 1.8 <= inflation <= 2.8
    assert 2.5 * saturation <= response_max <= 6.0 * saturation


def test_the_world_prices_ad_response_on_the_curve_the_seed_drew_the_past_from() -> None:
    for _, traits in campaign_traits(7, Scale.SMALL):
        for carry in (0.0, 900.0, 6_000.0, 40_000.0):
            theta = traits.adstock_theta
            world = direct_response(carry, theta, traits.response_max_minor, traits.saturation_minor, traits.hill_alpha)
            assert world == true_response(carry * (1 - theta), traits)


def test_a_scenario_patches_the_truth_and_the_store_stays_a_vendors(tmp_path: Path) -> None:
    trap = load_scenario(CORE / "ads_average_roas_trap.yaml")
    store = build_world(trap, trap.world.seed, tmp_path / "trap.db")
    truth = _campaign_truth(store)["CMP-ME000"]
    assert (truth[0], truth[3], truth[4]) == (2500, 12400, 5.0)
    with store.reading() as conn:
        assert set(conn.execute(select(campaigns).where(campaigns.c.id == "CMP-ME000")).mappings().one()) == {
            c.name for c in campaigns.c
        }
    store.close()


def test_a_product_the_brands_past_does_not_know_gets_derived_truth(store: Store) -> None:
    open_truth(store)
    with store.writing() as conn:
        row = conn.execute(select(products).where(products.c.sku == "ML-000001")).mappings().one()
        conn.execute(products.insert().values({**row, "sku": "ML-NEW-1"}))
    World(store, seed=3).step()
    with store.reading() as conn:
        elasticity, demand = conn.execute(
            select(sim_product_truth.c.elasticity, sim_product_truth.c.base_daily_demand).where(
                sim_product_truth.c.sku == "ML-NEW-1"
            )
        ).one()
    assert -3.2 <= elasticity <= -1.6 and demand > 0


def _copy(template: Path, target: Path) -> Path:
    target.write_bytes(template.read_bytes())
    return target
