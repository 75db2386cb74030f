"""Buggy backup clients, planted on purpose: the contract machine must catch every one.

Each mutant is a correct client with one bug a real backup tool has had or could have. The
table `MUTANTS` names the class of bug each one belongs to; tests/test_contract_mutants.py
runs them all under the machine's default settings.
"""

from __future__ import annotations

from .api import API_MUTANTS
from .data import DATA_MUTANTS
from .snapshots import SNAPSHOT_MUTANTS

__all__ = ["MUTANTS"]

MUTANTS = {**API_MUTANTS, **DATA_MUTANTS, **SNAPSHOT_MUTANTS}
