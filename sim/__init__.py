"""The Catfish engine: ``ClusterModel`` (a ``mesa.Model``), its parameters and ``run_one``."""

from sim import codebook
from sim.model import ClusterModel
from sim.params import ModelParams, ParameterError
from sim.run import RunResult, run_one

__all__ = ["ClusterModel", "codebook", "ModelParams", "ParameterError", "RunResult", "run_one"]
