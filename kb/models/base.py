"""The base of the record models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Record(BaseModel):
    """A model that can also be read like the dict it replaced (``r["id"]``, ``r.get``).

    Transitional: older callers read notes, social and paper-record models as mappings; new
    code reads attributes (runs and reproductions are plain models: attributes only).
    Writing through the mapping form is not supported.
    """

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in type(self).model_fields or name in (self.__pydantic_extra__ or {})
        )
