"""Checks any recorded exchange against the oracle: the status is one the operation declares, the body validates
against the declared schema of that status, errors carry an ErrorBody, and every answer has `x-tower-request-id`."""

from __future__ import annotations

import jsonschema

from cloudtower_sim.contracts.target import Exchange
from cloudtower_sim.contracts.upstream import Upstream

# statuses an answer may have although operations do not declare them: auth is checked before any operation
UNDECLARED_ERRORS = (401, 403)
# answers already found valid: reads of an unchanged world repeat them, and validating a page of VMs costs more
# than fetching it
_VALID: set = set()


def _where(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _json_type(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null", int: "integer",
            float: "number"}.get(type(value), type(value).__name__)


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, without the whole offending instance (a Host is a screenful)."""
    if error.validator == "type":
        return f"expected {error.validator_value!r}, got {_json_type(error.instance)}"
    if error.validator == "enum":
        return f"{error.instance!r:.80} is not one of {error.validator_value}"
    return error.message[:300]


def problems(oracle: Upstream, exchange: Exchange) -> list[str]:
    """What is wrong with one exchange, in words that name the operation, the field and the value."""
    if exchange.path.startswith("/_sim"):
        return []
    name = f"{exchange.method} {exchange.path} answered {exchange.status}"
    found = []
    if "x-tower-request-id" not in exchange.headers:
        found.append(f"{name} without the x-tower-request-id header")
    if exchange.status >= 500:
        found.append(f"{name}: a server error")
    operations = oracle.doc["paths"].get(exchange.path)
    if operations is None:
        return found + [f"{exchange.path} is not an operation of CloudTower {oracle.version}"]
    (_, op), = operations.items()
    body = exchange.json()
    declared = op["responses"].get(str(exchange.status))
    if declared is None:
        if exchange.status in UNDECLARED_ERRORS:
            schema_name, validate = "ErrorBody", lambda b: oracle.validate_schema("ErrorBody", b)
        else:
            return found + [f"{name}, a status the operation does not declare ({', '.join(op['responses'])})"]
    else:
        content = declared.get("content", {}).get("application/json")
        if content is None:
            return found
        ctype = exchange.headers.get("content-type", "")
        if "json" not in ctype:
            found.append(f"{name} with Content-Type {ctype!r}, not application/json")
        schema = content["schema"]
        schema_name = schema.get("$ref", "").rsplit("/", 1)[-1] or schema.get("type", "the declared schema")
        validate = lambda b: oracle.validate(exchange.path, exchange.status, b)  # noqa: E731
    if body is None and exchange.response_body not in ("null",):
        return found + [f"{name} with a body that is not JSON: {exchange.response_body!r:.200}"]
    seen = (id(oracle), exchange.path, exchange.status, hash(exchange.response_body))
    if seen in _VALID:
        return found
    try:
        validate(body)
    except jsonschema.ValidationError as e:
        found.append(f"{name} with a body that breaks {schema_name} of CloudTower {oracle.version}: "
                     f"at {_where(e)}: {_message(e)}")
        return found
    if len(_VALID) > 100_000:
        _VALID.clear()
    _VALID.add(seen)
    return found
