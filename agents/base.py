"""Mesa agents whose attributes are views into arrays owned by the model.

The model keeps one numpy array per attribute (struct of arrays) and computes each month for
all agents of a type at once; an agent object gives identity (``model.agents``, ``unique_id``)
and reads or writes its own row of those arrays.
"""

from __future__ import annotations

from typing import Any

import mesa


class ArrayField:
    """Descriptor exposing ``model.<store>.<name>[agent.index]`` as an agent attribute."""

    def __init__(self, doc: str = "") -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        value = getattr(agent.store, self.name)[agent.index]
        return value.item() if hasattr(value, "item") else value

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.store, self.name)[agent.index] = value


class ArrayAgent(mesa.Agent):
    """A Mesa agent backed by row ``index`` of the model's store named by ``store_name``."""

    store_name: str = ""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def store(self) -> Any:
        """The model's struct of arrays for this agent type."""
        return getattr(self.model, self.store_name)

    def step(self) -> None:
        """Agents have no per-agent step: the model updates all agents of a type at once."""
        raise NotImplementedError("ClusterModel updates agents in bulk; call model.step()")
