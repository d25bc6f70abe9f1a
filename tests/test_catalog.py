"""``poseapp.catalog`` (what ``poseapp models`` prints without torch) is what the code measures now."""
from __future__ import annotations

from poseapp.catalog import NETWORKS, measure_networks


def test_catalog_matches_the_registry() -> None:
    measured = measure_networks()
    assert [r["name"] for r in NETWORKS] == [r["name"] for r in measured], "run: python -m poseapp.catalog --write"
    for kept, now in zip(NETWORKS, measured):
        assert kept == now, f"{now['name']}: poseapp/catalog.py is stale; run: python -m poseapp.catalog --write"
