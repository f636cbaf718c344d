"""Building a model the core itself guarantees valid, without validating it again.

Validation belongs at the edges: every input the matcher reads was validated
when it was decoded (``models.codec``), and every output it emits is built
from those inputs and from its own state by ``models.matcher.emit``, which
passes each field already of its declared type and in its declared range
(UTC datetimes from validated inputs, ``period_name`` months, enum members,
non-negative integer rupiah). Validating each output again cost about 8 µs
per event on a hot path that emits several per input, and ``model_construct``
is no cheaper (it re-walks every field in Python).

``trusted(Model)`` returns a builder with the model's own keyword signature
(mypy checks every call as it would a constructor call) that fills the
instance exactly as validation would: the same ``__dict__`` in field order
(``model_dump`` and so the wire bytes follow that order), defaults for fields
not given, and the given names as ``model_fields_set``. It refuses a missing
required field or an unknown one, which validation would have refused too;
it does not check values. What keeps values honest is
``tests/unit/models/test_trusted_outputs.py``: every output of the golden
adversarial log must survive a strict ``model_validate`` round trip with the
same field values of the same types.

Only for models without validators that change values, private attributes or
``model_post_init`` (checked when the builder is made): here, output events
and their nested ``Priority`` and balances.

``adopt(Model, given)`` is the bare form for an output made by the hundred
thousand (a month close's ``bill.line``, one per covered worker): it takes
the whole ``__dict__``, every field in declared order, and checks nothing
per call (the keyword form, its keyword dict merged into a copied template
and checked, took two to three times as long per line: timeit, a loaded
machine). The caller writes the dict literal once; the same round-trip
test proves its order, its values and its ``given`` names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

__all__ = ["adopt", "trusted"]

P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__


def _buildable(cls: object) -> type[BaseModel]:
    """``cls`` as a model a builder may fill without validation, or ``TypeError``."""
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise TypeError(f"trusted() builds pydantic models, not {cls!r}")
    if cls.__private_attributes__ or cls.__pydantic_post_init__ is not None:
        raise TypeError(f"{cls.__name__} has private attributes or model_post_init: validate it")
    return cls


def _fill(model: type[BaseModel], values: dict[str, Any], given: set[str]) -> BaseModel:
    """An instance of ``model`` holding ``values`` as its ``__dict__``, as validation leaves one."""
    instance = _new(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", given)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def adopt(cls: type[M], given: Iterable[str]) -> Callable[[dict[str, Any]], M]:
    """A builder of ``cls`` from its complete ``__dict__`` (every field, in declared order), of which
    the names ``given`` count as set explicitly, as if passed to the constructor (the module docstring).

    Checked once, here: ``given`` names fields only, and every required one."""
    model = _buildable(cls)
    names = frozenset(given)
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    if not names <= model.model_fields.keys() or not required <= names:
        raise TypeError(f"{model.__name__}: unknown {sorted(names - model.model_fields.keys())}, "
                        f"missing {sorted(required - names)}")
    if any(info.default_factory is not None for info in model.model_fields.values()):
        raise TypeError(f"{model.__name__} has a default factory: validate it")

    def build(values: dict[str, Any]) -> M:
        return _fill(model, values, set(names))  # type: ignore[return-value]

    build.__name__ = build.__qualname__ = f"adopt_{model.__name__}"
    return build


def trusted(cls: Callable[P, M]) -> Callable[P, M]:
    """A builder of ``cls`` from fields the caller guarantees valid (see the module docstring)."""
    model = _buildable(cls)
    template: dict[str, Any] = {}
    required: set[str] = set()
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            raise TypeError(f"{model.__name__}.{name} has a default factory: validate it")
        if info.default is PydanticUndefined:
            required.add(name)
            template[name] = None
        else:
            template[name] = info.default
    size = len(template)
    needed = frozenset(required)

    def build(*args: P.args, **fields: P.kwargs) -> M:
        values = template.copy()  # the declared order, which the serializer follows
        values.update(fields)
        if args or len(values) != size or not needed <= fields.keys():
            missing = sorted(needed - fields.keys())
            unknown = sorted(values.keys() - template.keys())
            raise TypeError(f"{model.__name__}: missing {missing}, unknown {unknown}, positional {args!r}")
        return _fill(model, values, set(fields))  # type: ignore[return-value]

    build.__name__ = build.__qualname__ = f"trusted_{model.__name__}"
    build.__doc__ = f"Build a {model.__name__} from fields the caller guarantees valid (``models.trusted``)."
    return build
