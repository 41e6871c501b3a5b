"""Turns what a user writes (a dict, a YAML file, a ``JobSpec``) into a ``ptune.v1.JobSpec``.

The rules follow docs/job-spec.md, so a spec that ``ptunectl submit`` accepts is accepted
here: proto or JSON field names, enum values in any case with or without their prefix
(``method: ept`` == ``METHOD_EPT``) or as numbers, quoted integers, and an empty value
(``None``) leaves a field at its default. Unknown fields, duplicate YAML keys and values
of the wrong kind raise :class:`ptune.InvalidArgumentError` naming the field path; the
rules on values (ranges, combinations) are checked by the scheduler, whose
INVALID_ARGUMENT message names the ``spec.`` field path.
"""
from __future__ import annotations

import difflib
import os
from typing import Any, Mapping, Union

import yaml
from google.protobuf import descriptor, json_format

from ptune.errors import InvalidArgumentError
from ptune.v1 import spec_pb2

SpecLike = Union[spec_pb2.JobSpec, Mapping[str, Any], str, "os.PathLike[str]"]


def to_job_spec(spec: SpecLike) -> spec_pb2.JobSpec:
    """Returns `spec` as a JobSpec: a JobSpec is copied, a mapping converted, and a
    ``str`` or path-like names a YAML (or JSON) file that is read and converted."""
    if isinstance(spec, spec_pb2.JobSpec):
        copy = spec_pb2.JobSpec()
        copy.CopyFrom(spec)
        return copy
    if isinstance(spec, Mapping):
        return from_dict(spec)
    if isinstance(spec, (str, os.PathLike)):
        return load_file(os.fspath(spec))
    raise TypeError(f"spec must be a dict, a YAML file path or a ptune.v1.JobSpec, "
                    f"not {type(spec).__name__}")


def load_file(path: str) -> spec_pb2.JobSpec:
    """Reads a YAML or JSON spec file (JSON is YAML)."""
    try:
        with open(path, encoding="utf-8") as f:
            document = yaml.load(f, Loader=_UniqueKeyLoader)
    except OSError as e:
        raise InvalidArgumentError(f"{path}: cannot read the spec: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise InvalidArgumentError(f"{path}: not valid YAML: {e}") from e
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise InvalidArgumentError(f"{path}: expected a mapping of spec fields at the top")
    try:
        return from_dict(document)
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{path}: {e.message}") from e


def from_dict(values: Mapping[str, Any]) -> spec_pb2.JobSpec:
    """Converts a mapping written like a YAML spec into a JobSpec."""
    normalised = _normalise(values, spec_pb2.JobSpec.DESCRIPTOR, "")
    spec = spec_pb2.JobSpec()
    try:
        json_format.ParseDict(normalised, spec)
    except json_format.ParseError as e:
        raise InvalidArgumentError(f"spec: {e}") from e
    return spec


def _normalise(values: Mapping[str, Any], message: descriptor.Descriptor,
               prefix: str) -> dict:
    """`values` with enum names completed and empty values dropped, checking field names
    against `message` so errors name the path."""
    by_name = {}
    for field in message.fields:
        by_name[field.name] = field
        by_name[field.json_name] = field
    out = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        field = by_name.get(str(key))
        if field is None:
            close = difflib.get_close_matches(str(key), [f.name for f in message.fields], 1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            raise InvalidArgumentError(f"{path}: unknown field{hint}")
        if value is None:
            continue
        out[field.name] = _normalise_value(field, value, path)
    return out


def _normalise_value(field: descriptor.FieldDescriptor, value: Any, path: str) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        if not isinstance(value, Mapping):
            raise InvalidArgumentError(f"{path}: expected a mapping")
        return {str(k): v for k, v in value.items()}
    if field.label == descriptor.FieldDescriptor.LABEL_REPEATED:
        if not isinstance(value, (list, tuple)):
            raise InvalidArgumentError(f"{path}: expected a list")
        return [_normalise_element(field, v, f"{path}[{i}]") for i, v in enumerate(value)]
    return _normalise_element(field, value, path)


def _normalise_element(field: descriptor.FieldDescriptor, value: Any, path: str) -> Any:
    """One value of `field` (the field itself, or one element of a repeated field)."""
    if field.message_type is not None:
        if not isinstance(value, Mapping):
            raise InvalidArgumentError(f"{path}: expected a mapping of "
                                       f"{field.message_type.name} fields")
        return _normalise(value, field.message_type, f"{path}.")
    if field.enum_type is not None:
        return _enum_value(field.enum_type, value, path)
    return value


def _enum_value(enum: descriptor.EnumDescriptor, value: Any, path: str) -> Any:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{path}: expected an enum value (got {value})")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    names = [v.name for v in enum.values]
    prefix = os.path.commonprefix(names)
    prefix = prefix[:prefix.rfind("_") + 1]
    wanted = text.upper()
    for name in names:
        if name == wanted or name == prefix + wanted:
            return name
    choices = ", ".join(n[len(prefix):].lower() for n in names if not n.endswith("UNSPECIFIED"))
    raise InvalidArgumentError(f'{path}: unknown value; expected one of {choices} (got "{text}")')


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (ptunectl does too)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} at line {mark.line + 1}", mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
