"""The harvester contract (lineage.plugins.Harvester) names everything a harvester may yield:
the joins and OpenLineage harvesters withdraw facts, the DVC harvester yields rows already
hashed; a plugin written the same way must type-check against the contract."""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterable, Iterator
from typing import Any

from lineage import plugins
from lineage.model import Edge, Node
from lineage.store import FactRows, NodeWithdrawal, Store, Withdrawal

ALLOWED = {Node, Edge, FactRows, Withdrawal, NodeWithdrawal}


def _yields(func: Any, module: str) -> set[Any]:
    names = {**vars(importlib.import_module(module)), "Node": Node, "Edge": Edge,
             "FactRows": FactRows, "Withdrawal": Withdrawal, "NodeWithdrawal": NodeWithdrawal,
             "HarvestContext": plugins.HarvestContext, "Store": Store, "Iterable": Iterable,
             "Iterator": Iterator}
    (item,) = typing.get_args(typing.get_type_hints(func, names)["return"])
    return set(typing.get_args(item))


def test_harvest_may_yield_withdrawals_and_fact_rows() -> None:
    assert _yields(plugins.Harvester.harvest, "lineage.plugins") == ALLOWED


def test_the_built_in_harvesters_yield_what_the_contract_names() -> None:
    for name in ("joins", "openlineage"):
        cls = plugins.load_harvester(name)
        assert _yields(cls.harvest, cls.__module__) <= ALLOWED, name
