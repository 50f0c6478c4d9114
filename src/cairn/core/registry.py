"""A typed registry of "kinds of things a user picks from a list", found by a stable key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Generic, TypeVar


class TypeDef:
    """Base of every registered type: a stable ``key`` and a label catalogue key."""

    key: ClassVar[str] = ""

    @classmethod
    def label_key(cls) -> str:
        return f"type.{cls.key}"


T = TypeVar("T", bound=TypeDef)


class RegistryError(LookupError):
    pass


class Registry(Generic[T]):
    """Holds one instance per key. Duplicate or unknown keys are clear errors."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        if not item.key:
            raise RegistryError(f"{self.kind}: {type(item).__name__} has no key")
        if item.key in self._items:
            raise RegistryError(f"{self.kind}: key {item.key!r} is already registered")
        self._items[item.key] = item
        return item

    def get(self, key: str) -> T:
        try:
            return self._items[key]
        except KeyError:
            raise RegistryError(f"{self.kind}: unknown key {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)
