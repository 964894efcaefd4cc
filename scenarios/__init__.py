"""Scenario files shipped with Catfish, their schema and their loader.

``scenarios.load(name_or_path)`` returns a validated, frozen ``Scenario`` that
``sim.run_one(scenario, seed=...)`` accepts; a bad file raises ``ScenarioError`` (a
``ValueError``) whose message is one line.
"""

from catfish.scenarios.loader import ScenarioError, load, parse, shipped_names
from catfish.scenarios.schema import Scenario

DEFAULT = "jieyang-plastics-2020"

__all__ = ["DEFAULT", "Scenario", "ScenarioError", "load", "parse", "shipped_names"]
