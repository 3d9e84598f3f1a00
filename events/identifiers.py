"""Who an event is about, as each agency knows them: the identifiers Safeguard
links cases by (see docs/identity.md).

Strong identifiers (an NHS number, a local-authority or police person id) join
two agencies' cases into one joint case on their own. Name, date of birth and
postcode together are only a probable match: proposed to a person, never merged.

An NHS number is checked by its modulus 11 check digit, so a typo (one wrong or
two swapped digits) is refused at the field rather than linking the wrong child.
"""

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetPydanticSchema, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

from events.types import MAX_ITEMS, Ref

NHS_NUMBER = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{4}$"
NHS_MSG = "must be 10 digits, optionally spaced 3 3 4 (e.g. 999 000 0018)"
NHS_CHECK_MSG = "is not a valid NHS number: its check digit does not match (mod 11)"


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit of the first nine digits; None where none exists (11 - r = 10)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    return len(digits) == 10 and digits.isdigit() and nhs_check_digit(digits[:9]) == int(digits[9])


def _nhs_number(value: str) -> str:
    digits = value.replace(" ", "")
    if not is_valid_nhs_number(digits):
        raise PydanticCustomError("nhs_number", NHS_CHECK_MSG)
    return digits


def _nhs_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    form = core_schema.custom_error_schema(
        core_schema.str_schema(pattern=NHS_NUMBER, strict=True),
        custom_error_type="nhs_number_format",
        custom_error_message=NHS_MSG,
    )
    return core_schema.no_info_after_validator_function(
        _nhs_number,
        form,
        serialization=core_schema.plain_serializer_function_ser_schema(str),
        json_schema_input_schema=core_schema.str_schema(pattern=NHS_NUMBER),
    )


NhsNumber = Annotated[str, GetPydanticSchema(_nhs_schema)]
"""An NHS number, stored as its ten digits (``9990000018``) however it was spaced."""

LocalId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$"
    ),
]
"""An agency's own id for a person or case, as its system writes it."""

POSTCODE = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"
Postcode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=8, pattern=POSTCODE)
]
"""A UK postcode (``CF31 1AA``), upper-cased; compared without its space."""

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Subject(BaseModel):
    """One person an event is about, with whatever identifiers the agency holds.
    ``ref`` ties them to the refs the event's payload uses (``child-k``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: Ref
    nhs_number: NhsNumber | None = None
    la_person_id: LocalId | None = None
    """The local authority's (children's social care) person id."""
    police_person_id: LocalId | None = None
    """The police force's person id (e.g. a PNC or Niche nominal id)."""
    name: PersonName | None = None
    date_of_birth: date | None = None
    postcode: Postcode | None = None


Subjects = Annotated[list[Subject], Field(min_length=1, max_length=MAX_ITEMS)]

AgencyCaseRef = LocalId
"""The sending agency's own reference for the case (a crime or occurrence
number, a social care case number), kept beside Safeguard's ``case_id``."""
