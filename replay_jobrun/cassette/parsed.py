"""What botocore makes of a recorded response: parsed once per cassette, as the live path would.

Enters: a loaded :class:`~replay_jobrun.cassette.format.Cassette` (or one
interaction). Leaves: :class:`ParsedResponse` values, what botocore's own
parser returns for the same HTTP bytes (timestamps become datetimes,
``ResponseMetadata`` included, modeled error fields added). Replay serves
them; drift reads them where a raw body is not enough; the CLI summarises them.
:func:`parsed_calls` gives one per logical call: a call botocore retried while
recording (:mod:`.retries`) is its last attempt's response, with the
``RetryAttempts`` and retry flags the caller saw live.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import model
from ..errors import CassetteFormatError
from .format import Cassette, Interaction, per_cassette
from .retries import RecordedCall, recorded_calls


@dataclass(frozen=True)
class ParsedResponse:
    """One recorded response as botocore parsed it."""

    operation: str
    status: int
    parsed: dict[str, Any]
    call: RecordedCall | None = None
    """For :func:`parsed_calls`: the interactions this response stands for (its attempts)."""

    @property
    def is_error(self) -> bool:
        return self.status >= 300

    @property
    def interactions(self) -> tuple[int, ...]:
        """The interactions served together as this response (one unless retried)."""
        return self.call.interactions if self.call is not None else ()


def _http_headers(headers: Any) -> dict[str, str]:
    # What botocore sees through urllib3: one entry per name, repeated values
    # joined by ", ", and Transfer-Encoding dropped by vcrpy.
    merged: dict[str, list[str]] = {}
    for name, values in headers.items():
        if name.lower() == "transfer-encoding":
            continue
        merged.setdefault(name.lower(), []).extend(values)
    return {name: ", ".join(values) for name, values in merged.items()}


def parse_response(
    interaction: Interaction, path: Path | None = None, index: int = 0
) -> ParsedResponse:
    """Parse one recorded response with botocore's parser, as the live path does."""
    from botocore.awsrequest import HeadersDict

    if interaction.operation is None:
        raise CassetteFormatError(
            path=path,
            problem=f"interaction #{index} ({interaction.request.method} {interaction.request.uri}) "
            f"is not an {model.SERVICE_NAME} operation",
            fix="record only emr-containers traffic into this cassette, or remove that interaction",
        )
    operation_model = model.service_model().operation_model(interaction.operation)
    parser = model.response_parser()
    response = interaction.response
    response_dict = {
        "headers": HeadersDict(_http_headers(response.headers)),
        "status_code": response.status,
        "body": response.decoded_body(),
        "context": {"operation_name": interaction.operation},
    }
    try:
        parsed = parser.parse(response_dict, operation_model.output_shape)
        if response.status >= 300:
            code = parsed.get("Error", {}).get("Code")
            error_shape = model.service_model().shape_for_error_code(code) if code else None
            if error_shape is not None:
                parsed.update(parser.parse(response_dict, error_shape))
    except Exception as err:  # botocore's parsers raise several unrelated types
        raise CassetteFormatError(
            path=path,
            problem=f"interaction #{index} ({interaction.label}): botocore cannot parse the "
            f"response as {interaction.operation}: "
            + (_not_an_object(response_dict["body"]) or f"{type(err).__name__}: {err}"),
            fix="the body was edited or truncated; restore it from version control or re-record",
        ) from err
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return ParsedResponse(interaction.operation, response.status, parsed)


def _not_an_object(body: bytes) -> str | None:
    """Why botocore failed, when the body is JSON but no object (only asked once it has)."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict):
        return None
    kind = {
        list: "a JSON list",
        str: "a JSON string",
        bool: "a JSON boolean",
        type(None): "JSON null",
    }.get(type(value), "a JSON number")
    return f"the body is {kind}, where a JSON object is needed"


def _validate(response: ParsedResponse, interaction: Interaction, path: Path, index: int) -> None:
    # What Stubber.add_response checks of a response: done here once per cassette, and
    # skipped by the Stubber of every client it is staged on (see _stubber_class).
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    output_shape = model.service_model().operation_model(response.operation).output_shape
    body = {key: value for key, value in response.parsed.items() if key != "ResponseMetadata"}
    try:
        if output_shape is not None:
            validate_parameters(body, output_shape)
        elif body:
            raise ParamValidationError(report=f"{response.operation} has no output members")
    except ParamValidationError as err:
        raise CassetteFormatError(
            path=path,
            problem=f"interaction #{index} ({interaction.label}): botocore's Stubber would "
            f"reject the parsed response: {err}",
            fix="the body was edited by hand; restore it from version control or re-record",
        ) from err


@per_cassette
def parsed_responses(cassette: Cassette) -> tuple[ParsedResponse, ...]:
    """Parsed responses of a cassette, validated as the Stubber would, once per loaded
    cassette. Read-only."""
    found = []
    for index, interaction in enumerate(cassette.interactions):
        response = parse_response(interaction, cassette.path, index)
        if not response.is_error:
            _validate(response, interaction, cassette.path, index)
        found.append(response)
    return tuple(found)


@per_cassette
def parsed_calls(cassette: Cassette) -> tuple[ParsedResponse, ...]:
    """One parsed response per logical call, in the order the calls started (see
    :func:`~replay_jobrun.cassette.retries.recorded_calls`). Read-only."""
    responses = parsed_responses(cassette)
    found = []
    for call in recorded_calls(cassette):
        response = responses[call.last]
        parsed = response.parsed
        if call.retry_attempts or call.flags:
            parsed = {**parsed, "ResponseMetadata": dict(parsed.get("ResponseMetadata", {}))}
            parsed["ResponseMetadata"].update(call.flags, RetryAttempts=call.retry_attempts)
        found.append(replace(response, parsed=parsed, call=call))
    return tuple(found)
