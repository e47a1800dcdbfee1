"""Equation text → safe programs (:mod:`.syntax`) → values, tensors or jets (:mod:`.evaluate`).

See :mod:`pinnlab.expr.syntax` for the language (derivative notation, definitions, the
derivative operator ``d(expr, x)`` / ``(expr)_x``, functions, plug-in functions).
"""

from .evaluate import run
from .syntax import (
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_ORDER,
    Expression,
    Namespace,
    PluginFunction,
    Symbol,
    compile_expression,
)

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_ORDER", "Expression",
           "Namespace", "PluginFunction", "Symbol", "compile_expression", "run"]
