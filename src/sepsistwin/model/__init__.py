"""The mechanistic model: declarations, the builder, presets and SBML export.

One definition per model; the solver kernel, the Jacobian and the SBML document are generated
from it (see docs/architecture.md).
"""

from sepsistwin.model.declarations import Expression, Observable, Parameter, State, Term
from sepsistwin.model.model import Model, ModelBuilder
from sepsistwin.model.registry import get_model, list_models, register_model
from sepsistwin.model.structure import linear_blocks, linear_states

__all__ = [
    "Expression",
    "Model",
    "ModelBuilder",
    "Observable",
    "Parameter",
    "State",
    "Term",
    "get_model",
    "linear_blocks",
    "linear_states",
    "list_models",
    "register_model",
]
