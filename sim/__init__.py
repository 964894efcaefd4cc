"""The Catfish engine: ``ClusterModel`` (a ``mesa.Model``), its parameters and ``run_one``."""

from catfish.sim import codebook
from catfish.sim.model import ClusterModel
from catfish.sim.params import ModelParams, ParameterError
from catfish.sim.run import RunResult, run_one

__all__ = ["ClusterModel", "codebook", "ModelParams", "ParameterError", "RunResult", "run_one"]
