"""Records (sbatch_migrate/record.py) behave as dataclasses do: each test makes the same
class with both and holds what they do side by side."""

from __future__ import annotations

import dataclasses
import pickle
from functools import cached_property
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbatch_migrate import record as rec

# a class's __init__ / __new__: the closure over its fields, the compiled one from its first
# instance on, or the closure until the third instance
MADE = pytest.mark.parametrize("after", [10**9, 1, 3])


class compile_after:  # a context manager, named for what it sets
    def __init__(self, n: int) -> None:
        self.n, self.was = n, rec.COMPILE_AFTER

    def __enter__(self) -> None:
        rec.COMPILE_AFTER = self.n

    def __exit__(self, *exc: object) -> None:
        rec.COMPILE_AFTER = self.was


def both(frozen: bool) -> list[Any]:
    """The same class, made by dataclasses and as a record."""
    made = []
    for make, field in (
        (dataclasses.dataclass(frozen=frozen), dataclasses.field),
        (rec.record(frozen=frozen), rec.field),
    ):

        class Job:
            """A job."""

            kind: ClassVar[str] = "job"
            name: str
            nodes: int
            partition: str = "gtest"
            tags: list[str] = field(default_factory=list, compare=False)
            note: str = field(default="", compare=False, repr=False)
            derived: int = field(init=False, repr=False, default=0)

            def __post_init__(self) -> None:
                object.__setattr__(self, "derived", self.nodes * 2)

            @cached_property
            def label(self) -> str:
                return f"{self.name}@{self.partition}"

        made.append(make(Job))
    return made


args = st.tuples(
    st.text(max_size=4),
    st.integers(-3, 3),
    st.sampled_from([(), ("p",), ("p", ["a"])]),
    st.text(max_size=3),
)


@MADE
@pytest.mark.parametrize("frozen", [False, True])
@given(a=args, b=args)
def test_a_record_is_made_equal_printed_and_hashed_as_a_dataclass(after: int, frozen: bool, a: Any, b: Any) -> None:
    with compile_after(after):
        _made_alike(frozen, a, b)


def _made_alike(frozen: bool, a: Any, b: Any) -> None:
    dc, rc = both(frozen)

    def make(cls: Any, spec: Any) -> Any:
        name, nodes, rest, note = spec
        return cls(name, nodes, *rest, note=note)

    d1, d2, r1, r2 = make(dc, a), make(dc, b), make(rc, a), make(rc, b)
    assert repr(r1) == repr(d1)
    assert (r1 == r2) == (d1 == d2)
    assert r1.derived == d1.derived and r1.label == d1.label  # __post_init__, cached_property
    assert r1.__match_args__ == d1.__match_args__
    assert (r1 == d1) is False  # another class
    if frozen:  # the fields compared are hashed
        assert hash(r1) == hash(d1) and (hash(r1) == hash(r2)) == (hash(d1) == hash(d2))
    if not frozen:
        with pytest.raises(TypeError):
            hash(r1)
    assert rec.replace(r1, nodes=9).derived == dataclasses.replace(d1, nodes=9).derived == 18
    assert repr(rec.replace(r1, partition="slinky")) == repr(dataclasses.replace(d1, partition="slinky"))


@MADE
@pytest.mark.parametrize("frozen", [False, True])
def test_a_record_refuses_what_a_dataclass_refuses(after: int, frozen: bool) -> None:
    with compile_after(after):
        _refuses_alike(frozen)


def _refuses_alike(frozen: bool) -> None:
    dc, rc = both(frozen)
    for cls in (dc, rc):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls("a", 1, "p", [], "n", "one too many")
        with pytest.raises(TypeError):
            cls("a", 1, derived=3)  # init=False
        obj = cls("a", 1)
        if frozen:
            with pytest.raises(AttributeError):  # dataclasses' FrozenInstanceError is one too
                obj.nodes = 2
        else:
            obj.nodes = 2
            assert obj.nodes == 2
    assert rc.kind == dc.kind == "job" and "kind" not in rec.fields(rc)
    assert rec.fields(rc) == tuple(f.name for f in dataclasses.fields(dc))
    with pytest.raises(ValueError):
        rec.replace(rc("a", 1), derived=1)


def test_the_declaration_errors_of_dataclasses() -> None:
    with pytest.raises(TypeError):

        @rec.record
        class Bad:
            a: int = 0
            b: int

    with pytest.raises(ValueError):

        @rec.record
        class Shared:
            a: list[int] = []  # noqa: RUF012

    with pytest.raises(ValueError):
        rec.field(default=1, default_factory=list)


def test_the_default_is_left_on_the_class_and_a_factory_gives_each_instance_its_own() -> None:
    _, rc = both(False)
    assert rc.partition == "gtest" and not hasattr(rc, "tags")
    one, two = rc("a", 1), rc("b", 2)
    one.tags.append("x")
    assert two.tags == []


@rec.record(frozen=True)
class Pickled:
    name: str
    sizes: tuple[int, ...] = ()


def test_a_frozen_record_pickles_and_comes_back_equal() -> None:
    one = Pickled("a", (1, 2))
    back = pickle.loads(pickle.dumps(one))
    assert back == one and hash(back) == hash(one) and back is not one


def test_a_record_with_slots_has_no_instance_dict_and_the_same_behaviour() -> None:
    @rec.record(slots=True)
    class Stats:
        files: int = 0
        seen: list[str] = rec.field(default_factory=list)

        @property
        def empty(self) -> bool:
            return not self.files

    @dataclasses.dataclass(slots=True)
    class Same:
        files: int = 0
        seen: list[str] = dataclasses.field(default_factory=list)

    one = Stats()
    assert not hasattr(one, "__dict__") and Stats.__slots__ == ("files", "seen") and one.empty
    one.files += 2
    assert repr(one).split("(", 1)[1] == repr(Same(2)).split("(", 1)[1]  # the fields, as dataclasses print them
    assert one == Stats(2) and one != Stats(3)
    with pytest.raises(AttributeError):
        one.other = 1  # type: ignore[attr-defined]


# -- named tuples: rec.NamedTuple against typing.NamedTuple, on the same class -------------
import typing  # noqa: E402


def _tuples(base: Any) -> Any:
    class Span(base):
        """A span."""

        start: int
        end: int
        label: str | None = None
        tags: tuple[str, ...] = ()

        def width(self) -> int:
            return self.end - self.start

        @property
        def empty(self) -> bool:
            return self.start == self.end

        @classmethod
        def at(cls, n: int) -> Any:
            return cls(n, n)

    return Span


class PickledTyping(typing.NamedTuple):
    a: int
    b: str = "x"


class PickledRecord(rec.NamedTuple):
    a: int
    b: str = "x"


@MADE
@given(
    st.integers(-5, 5),
    st.integers(-5, 5),
    st.none() | st.text(max_size=3),
    st.sampled_from([(), ("a",), ("a", "b")]),
    st.integers(0, 3),
)
def test_a_named_tuple_is_made_as_typing_makes_it(
    after: int, start: int, end: int, label: Any, tags: Any, given_args: int
) -> None:
    """Fields, defaults, what an instance holds, prints and compares equal to, _replace,
    _asdict, _make, match args, methods, properties and class methods: the same with
    either base."""
    with compile_after(after):
        _tuples_alike(start, end, label, tags, given_args)


def _tuples_alike(start: int, end: int, label: Any, tags: Any, given_args: int) -> None:
    made = [_tuples(typing.NamedTuple), _tuples(rec.NamedTuple)]
    values = (start, end, label, tags)[: 2 + given_args % 3]
    seen = []
    for cls in made:
        x = cls(*values)
        seen.append(
            (
                cls._fields,
                cls._field_defaults,
                cls.__match_args__,
                cls.__doc__,
                cls.__qualname__.rsplit(".", 1)[-1],
                cls.__module__,
                sorted(cls.__annotations__),
                tuple(x),
                repr(x),
                x == tuple(x),
                hash(x) == hash(tuple(x)),
                x._replace(end=end + 1),
                x._asdict(),
                cls._make(tuple(x)) == x,
                x.width(),
                x.empty,
                tuple(cls.at(start)),
                isinstance(x, tuple),
            )
        )
    assert seen[0] == seen[1]


@MADE
def test_a_named_tuple_refuses_what_typing_refuses(after: int) -> None:
    with compile_after(after):
        _tuples_refuse_alike()


def _tuples_refuse_alike() -> None:
    for base in (typing.NamedTuple, rec.NamedTuple):
        with pytest.raises(TypeError):

            class Late(base):  # type: ignore[misc,valid-type]
                a: int = 0
                b: int

        with pytest.raises(AttributeError):

            class Own(base):  # type: ignore[misc,valid-type]
                a: int

                def _asdict(self) -> dict[str, Any]:  # type: ignore[override]
                    return {}

        made = _tuples(base)
        with pytest.raises(TypeError):
            made()  # start and end have no default
        with pytest.raises(AttributeError):
            made(1, 2).start = 3  # type: ignore[misc]


def test_a_named_tuple_pickles_and_comes_back_equal() -> None:
    for cls in (PickledTyping, PickledRecord):
        x = cls(1)
        back = pickle.loads(pickle.dumps(x))
        assert back == x and type(back) is cls and back.b == "x"


def test_a_class_compiles_its_constructor_at_the_nth_instance_and_not_before() -> None:
    """The closure makes the first COMPILE_AFTER - 1 instances; the compiled ``__init__`` /
    ``__new__`` takes over at the COMPILE_AFTER-th, once per class (a subclass made later
    keeps its own), and the instances are the same either way."""
    import sys

    compiled: list[str] = []

    def count(event: str, args: tuple[Any, ...]) -> None:
        if event == "compile" and args[1] == "<string>":
            compiled.append(args[0] if isinstance(args[0], str) else args[0].decode())

    sys.addaudithook(count)  # hooks cannot be removed: this one only appends to a list
    with compile_after(3):
        rc = both(frozen=True)[1]  # (with a dataclass, which compiles its methods)
        span = _tuples(rec.NamedTuple)
        compiled.clear()
        first_init, first_new = rc.__dict__["__init__"], span.__dict__["__new__"]
        before = [rc("a", 1), rc("b", 2, "p"), span(1, 2), span(3, 4, "x")]
        assert compiled == [] and rc.__dict__["__init__"] is first_init and span.__dict__["__new__"] is first_new
        after = [rc("a", 1), rc("b", 2, "p"), span(1, 2), span(3, 4, "x")]
        assert len(compiled) == 2 and "def __init__(self, name, nodes" in compiled[0] and "lambda _cls" in compiled[1]
        assert rc.__dict__["__init__"] is not first_init and span.__dict__["__new__"] is not first_new
        assert repr(before) == repr(after) and before == after
        for _ in range(5):
            rc("c", 3)
            span(5, 6)
        assert len(compiled) == 2  # once per class
