"""Records: classes declared by their annotated fields, made as :mod:`dataclasses` makes
them (``__init__`` with defaults and factories, ``__post_init__``, ``__repr__``,
``__eq__``, a hash for frozen ones, :func:`replace`), for the classes every run builds.

Why not :mod:`dataclasses` itself: a one-file run (pre-commit, an editor) starts a Python
process each time, and on this project's classes dataclasses cost about a quarter of
that start (measured: 9.7 ms to import it, since it imports :mod:`inspect`, and 0.8 ms
per class to make, 15 ms for the 19 classes of a one-file run, where the whole run took
96 ms).  Here repr, equality and hash are shared methods that read the class's field list,
and ``__init__`` is a closure over the fields until the class's :data:`COMPILE_AFTER`-th
instance: then the one dataclasses would write is compiled and takes over (a compile per
class, theirs and the named tuples', was 14% of a one-file run's instructions, which
makes few instances of each; a bulk worker makes thousands, and the compiled one is 3x
faster than the closure).  Type checkers see these as dataclasses
(:func:`typing.dataclass_transform`).  tests/test_record.py holds each behaviour against
:mod:`dataclasses` on the same class.

:class:`NamedTuple` is :class:`typing.NamedTuple` for type checkers and at run time the
class :func:`collections.namedtuple` makes, from the annotated fields, without typing's
check of each annotation (with postponed annotations, a compile of each one's text: 131
compiles for the 21 named tuples of a one-file run, 2.8 ms of its 44), and with its
``__new__`` compiled, as collections compiles it, only at the :data:`COMPILE_AFTER`-th
instance.
tests/test_record.py holds it against :class:`typing.NamedTuple` on the same classes.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    _T = TypeVar("_T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record."""


class Field:
    __slots__ = ("compare", "default", "default_factory", "init", "repr")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool):
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field's options, as :func:`dataclasses.field` takes them."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


def _record(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """Make ``cls`` a record of its annotated fields (``@record``, ``@record(frozen=True)``;
    ``slots=True``: a class with ``__slots__``, made anew as dataclasses make it)."""

    def wrap(c: type[_T]) -> type[_T]:
        return _make(c, frozen, slots)

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:  # what type checkers see: a dataclass maker

    @overload
    @dataclass_transform(field_specifiers=(field, Field))
    def record(cls: type[_T], /) -> type[_T]: ...

    @overload
    def record(*, frozen: bool = False, slots: bool = False) -> Callable[[type[_T]], type[_T]]: ...

    def record(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
        return _record(cls, frozen=frozen, slots=slots)

else:
    record = _record


def fields(cls_or_record: Any) -> tuple[str, ...]:
    """The names of a record's fields, in order."""
    return tuple(cls_or_record.__record_fields__)


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record ``obj`` with ``changes`` (as :func:`dataclasses.replace`)."""
    spec: dict[str, Field] = obj.__record_fields__  # type: ignore[attr-defined]
    for name in changes:
        if name in spec and not spec[name].init:
            raise ValueError(f"field {name} is declared with init=False, it cannot be specified with replace()")
    values = {name: getattr(obj, name) for name, f in spec.items() if f.init and name not in changes}
    return obj.__class__(**values, **changes)


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))


def _make(cls: Any, frozen: bool, slots: bool = False) -> Any:
    # the class's own annotations (inspect.get_annotations: inspect is what this avoids importing)
    annotations: dict[str, Any] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    spec: dict[str, Field] = {}
    for name, annotation in annotations.items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(value, MISSING, True, True, True)
        if isinstance(f.default, list | dict | set):
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory")
        spec[name] = f
        if isinstance(value, Field):  # the class keeps the default, as dataclasses leave it
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
    if slots:  # a class of its own: __slots__ must be there when a class is made
        body = {k: v for k, v in cls.__dict__.items() if k not in spec and k not in ("__dict__", "__weakref__")}
        cls = type(cls)(cls.__name__, cls.__bases__, {**body, "__slots__": tuple(spec)})
    cls.__record_fields__ = spec
    cls.__init__ = _init(cls, spec, frozen)
    cls.__repr__ = _repr
    cls.__eq__ = _eq
    cls.__match_args__ = tuple(name for name, f in spec.items() if f.init)  # type: ignore[misc]
    cls._repr_fields = tuple(name for name, f in spec.items() if f.repr)
    cls._compare_fields = tuple(name for name, f in spec.items() if f.compare)
    if "__hash__" not in cls.__dict__ or cls.__dict__["__hash__"] is None:
        cls.__hash__ = _hash if frozen else None  # a mutable record is not hashable, as with dataclasses
    if frozen:
        cls.__setattr__ = _frozen_setattr
        cls.__delattr__ = _frozen_delattr
    return cls


COMPILE_AFTER = 64  # instances of a class made with the closure before the compiled one replaces it: about
# where its compile (17-34 us) has paid for itself (the closure is 0.2-1.3 us slower)


def _init(cls: Any, spec: dict[str, Field], frozen: bool) -> Callable[..., None]:
    """``__init__`` for the fields: :func:`_closure_init`'s, replaced on the class by
    :func:`_compiled_init`'s at the :data:`COMPILE_AFTER`-th instance."""
    closure = _closure_init(cls, spec, frozen)
    made = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal made
        made += 1
        if made == COMPILE_AFTER and cls.__dict__.get("__init__") is __init__:
            cls.__init__ = _compiled_init(cls, spec, frozen)
        closure(self, *args, **kwargs)

    __init__.__qualname__ = closure.__qualname__
    return __init__


def _closure_init(cls: Any, spec: dict[str, Field], frozen: bool) -> Callable[..., None]:
    """``__init__`` for the fields, doing what the one dataclasses write does, made without
    compiling code (it also makes the checks dataclasses make of a declaration)."""
    names = tuple(name for name, f in spec.items() if f.init)
    seen_default = False
    for name in names:
        f = spec[name]
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        seen_default = seen_default or has_default
    # (name, given by the caller, default, factory); a field without init or default is
    # left to __post_init__
    plan = tuple(
        (name, f.init, f.default, f.default_factory)
        for name, f in spec.items()
        if f.init or f.default is not MISSING or f.default_factory is not MISSING
    )
    put = object.__setattr__ if frozen else setattr
    post = hasattr(cls, "__post_init__")
    qualname = f"{cls.__qualname__}.__init__"
    width = len(names)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > width:
            raise TypeError(f"{qualname}() takes {width + 1} positional arguments but {len(args) + 1} were given")
        for key in kwargs:
            if key not in names:
                raise TypeError(f"{qualname}() got an unexpected keyword argument {key!r}")
            if names.index(key) < len(args):
                raise TypeError(f"{qualname}() got multiple values for argument {key!r}")
        i = 0
        for name, given, default, factory in plan:
            if given:
                if i < len(args):
                    value = args[i]
                elif name in kwargs:
                    value = kwargs[name]
                elif factory is not MISSING:
                    value = factory()
                elif default is not MISSING:
                    value = default
                else:
                    raise TypeError(f"{qualname}() missing required argument: {name!r}")
                i += 1
            else:
                value = factory() if factory is not MISSING else default
            put(self, name, value)
        if post:
            self.__post_init__()

    __init__.__qualname__ = qualname
    return __init__


def _compiled_init(cls: Any, spec: dict[str, Field], frozen: bool) -> Callable[..., None]:
    """``__init__`` compiled from the fields (the same code dataclasses write)."""
    params: list[str] = []
    body: list[str] = []
    env: dict[str, Any] = {"MISSING": MISSING, "__set": object.__setattr__}
    seen_default = False
    for name, f in spec.items():
        if f.default_factory is not MISSING:
            env[f"_f_{name}"] = f.default_factory
            value = f"_f_{name}() if {name} is MISSING else {name}" if f.init else f"_f_{name}()"
            default = "MISSING"
        elif f.default is not MISSING:
            env[f"_d_{name}"] = f.default
            value = name if f.init else f"_d_{name}"
            default = f"_d_{name}"
        else:
            if not f.init:
                continue  # set by __post_init__
            if seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            value, default = name, ""
        if f.init:
            seen_default = seen_default or bool(default)
            params.append(f"{name}={default}" if default else name)
        body.append(f"__set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"]) + "\n"
    # exec of the text, not of compile()'s code: a process's first compile() sets up the
    # AST types (10M instructions, about 2 ms of a one-file run); exec of a string does not
    exec(source, env)
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._repr_fields)
    return f"{self.__class__.__qualname__}({inner})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = self._compare_fields
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self._compare_fields))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


# -- named tuples -----------------------------------------------------------------------
# a field's accessor: the C descriptor collections.namedtuple uses, where there is one
_tuplegetter = getattr(collections, "_tuplegetter", None) or (
    lambda index, doc: property(collections._itemgetter(index), doc=doc)  # type: ignore[attr-defined]
)


def _named_tuple(typename: str, fields: tuple[str, ...], defaults: tuple[Any, ...], module: str) -> type:
    """The class ``collections.namedtuple(typename, fields, defaults=defaults)`` makes, with
    a ``__new__`` that is a closure over the fields until the :data:`COMPILE_AFTER`-th
    instance, then the one collections compiles."""
    for name in fields:
        if name.startswith("_"):
            raise ValueError(f"Field names cannot start with an underscore: {name!r}")
    width = len(fields)
    field_defaults = dict(zip(fields[width - len(defaults) :], defaults, strict=True)) if defaults else {}
    arg_list = ", ".join(fields)
    repr_format = "(" + ", ".join(f"{name}=%r" for name in fields) + ")"

    required = width - len(defaults)
    made = 0

    def __new__(_cls: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal made
        made += 1
        if made == COMPILE_AFTER and cls.__dict__.get("__new__") is new:
            cls.__new__ = staticmethod(_compiled_new(typename, fields, defaults))
        if not kwargs:
            if len(args) == width:
                return tuple.__new__(_cls, args)
            if required <= len(args) < width:
                return tuple.__new__(_cls, args + defaults[len(args) - required :])
        return tuple.__new__(_cls, _bound(_cls, fields, field_defaults, args, kwargs))

    def __repr__(self: Any) -> str:
        return self.__class__.__name__ + repr_format % self

    __new__.__doc__ = f"Create new instance of {typename}({arg_list})"
    __new__.__qualname__ = f"{typename}.__new__"
    __repr__.__qualname__ = f"{typename}.__repr__"
    ns: dict[str, Any] = {
        "__doc__": f"{typename}({arg_list})",
        "__slots__": (),
        "_fields": fields,
        "_field_defaults": field_defaults,
        "__new__": __new__,
        "_make": classmethod(_tuple_make),
        "_replace": _tuple_replace,
        "__repr__": __repr__,
        "_asdict": _tuple_asdict,
        "__getnewargs__": _tuple_getnewargs,
        "__match_args__": fields,
        "__module__": module,
        "__class_getitem__": classmethod(type(list[int])),
    }
    for index, name in enumerate(fields):
        ns[name] = _tuplegetter(index, f"Alias for field number {index}")
    cls: Any = type(typename, (tuple,), ns)
    new = cls.__dict__["__new__"]
    return cls


def _compiled_new(typename: str, fields: tuple[str, ...], defaults: tuple[Any, ...]) -> Callable[..., Any]:
    """The ``__new__`` collections.namedtuple compiles for these fields."""
    arg_list = ", ".join(fields)
    source = f"lambda _cls, {arg_list}: _tuple_new(_cls, ({arg_list}{',' if len(fields) == 1 else ''}))"
    new: Callable[..., Any] = eval(source, {"_tuple_new": tuple.__new__, "__builtins__": {}})
    new.__defaults__ = defaults or None
    new.__name__ = "__new__"
    new.__qualname__ = f"{typename}.__new__"
    new.__doc__ = f"Create new instance of {typename}({arg_list})"
    return new


def _bound(
    cls: Any, fields: tuple[str, ...], defaults: dict[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[Any]:
    """The values of a named tuple made with keywords or defaults, or the error Python
    gives for a call that does not fit ``__new__(cls, field, ...)``."""
    head = f"{cls.__name__}.__new__()"
    if len(args) > len(fields):
        raise TypeError(f"{head} takes {len(fields) + 1} positional arguments but {len(args) + 1} were given")
    values = list(args)
    for name in fields[len(args) :]:
        if name in kwargs:
            values.append(kwargs.pop(name))
        elif name in defaults:
            values.append(defaults[name])
        else:
            raise TypeError(f"{head} missing required argument: {name!r}")
    for key in kwargs:
        if key in fields:
            raise TypeError(f"{head} got multiple values for argument {key!r}")
        raise TypeError(f"{head} got an unexpected keyword argument {key!r}")
    return values


def _tuple_make(cls: Any, iterable: Any) -> Any:
    """Make a new instance from a sequence or iterable."""
    result = tuple.__new__(cls, iterable)
    if len(result) != len(cls._fields):
        raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
    return result


def _tuple_replace(self: Any, /, **kwds: Any) -> Any:
    """Return a new instance replacing specified fields with new values."""
    result = self._make(map(kwds.pop, self._fields, self))
    if kwds:
        raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
    return result


def _tuple_asdict(self: Any) -> dict[str, Any]:
    """Return a new dict which maps field names to their values."""
    return dict(zip(self._fields, self, strict=True))


def _tuple_getnewargs(self: Any) -> tuple[Any, ...]:
    """Return self as a plain tuple.  Used by copy and pickle."""
    return tuple(self)


# what a named tuple's class body may not set (the tuple's own machinery), and what it sets
# that is not copied onto the class (as typing.NamedTuple has them)
_TUPLE_OWN = frozenset(
    {
        "__new__",
        "__init__",
        "__slots__",
        "__getnewargs__",
        "_fields",
        "_field_defaults",
        "_make",
        "_replace",
        "_asdict",
        "_source",
    }
)
_NOT_COPIED = frozenset({"__module__", "__name__", "__annotations__"})

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:

    class _TupleMeta(type):
        def __new__(mcls, typename: str, bases: tuple[type, ...], ns: dict[str, Any]) -> type:
            if not bases:  # NamedTuple itself
                return super().__new__(mcls, typename, bases, ns)
            annotations = ns.get("__annotations__", {})
            defaults = []
            for name in annotations:
                if name in ns:
                    defaults.append(ns[name])
                elif defaults:
                    raise TypeError(f"Non-default namedtuple field {name} cannot follow default field(s)")
            cls = _named_tuple(typename, tuple(annotations), tuple(defaults), ns["__module__"])
            cls.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in _TUPLE_OWN:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _NOT_COPIED and key not in cls._fields:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_TupleMeta):
        """Base of a named tuple declared by its annotated fields: ``class P(NamedTuple):``
        as with :class:`typing.NamedTuple` (the class made is a plain named tuple)."""
