"""Problem specs: typed objects (:mod:`.problem`) and the TOML reader (:mod:`.toml`)."""

from .problem import Condition, Observations, Parameter, Problem, Reference
from .toml import from_dict, load, read_observations

__all__ = ["Condition", "Observations", "Parameter", "Problem", "Reference", "from_dict", "load",
           "read_observations"]
