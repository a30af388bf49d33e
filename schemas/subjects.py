"""Subjects a signal mentions: persons, businesses, locations, phones, e-mail addresses, bank
accounts, vehicles and websites. Each has a ``ref`` local to its signal and a role."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas import identifiers as ids
from schemas.municipalities import municipalities

_STRICT = ConfigDict(strict=True, frozen=True, extra="forbid", str_strip_whitespace=True)

PSEUDONYM_PATTERN = r"^ps1:[0-9a-f]{64}$"
"""Keyed pseudonym: ``ps1:`` + hex HMAC-SHA256 (see producers/pseudonym.py)."""

Ref = Annotated[str, Field(pattern=r"^[a-z0-9_\-]{1,32}$",
                           description="Identifies the subject within its signal, e.g. 'p1'.")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


_MARKUP = re.compile(r"[\x00-\x1f\x7f<>{}\[\]`;\\|$]")


def _no_markup(value: str) -> str:
    """Names are data, not code: refuse control characters and the characters markup, Cypher
    and shells are made of (``< > { } [ ] ` ; \\ | $``)."""
    found = sorted(set(_MARKUP.findall(value)))
    if found:
        raise ValueError(f"must not contain {' '.join(repr(c) for c in found)}")
    return value


_NAME_PUNCTUATION = " '\u2019-./"


def _person_name(value: str) -> str:
    """A person's name: letters of any script, combining marks, spaces, apostrophes, hyphens,
    dots and slashes ("Jansen-de Vries", "O'Brien", "J.", "v/d Berg", "Nguyễn", "Иванов")."""
    bad = sorted({c for c in value if not (unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCTUATION)})
    if bad:
        raise ValueError("a name may only hold letters, spaces, apostrophes, hyphens, dots and "
                         f"slashes; found {' '.join(repr(c) for c in bad)}")
    return value


SafeName = Annotated[Name, AfterValidator(_no_markup), Field(
    json_schema_extra={"pattern": r"^[^\u0000-\u001f\u007f<>{}\[\]`;\\|$]+$"},
    description="No control characters and none of < > { } [ ] ` ; \\ | $.")]
PersonName = Annotated[Name, AfterValidator(_person_name), Field(
    json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f0-9!\"#$%&()*+,:;<=>?@\\[\\]"
                                  "\\\\^_`{|}~]+$"},
    description="Letters of any script, combining marks, spaces, apostrophes, hyphens, dots "
                "and slashes ('Jansen-de Vries', \"O'Brien\", 'J.', 'v/d Berg', 'Nguyễn').")]
Country = Annotated[str, AfterValidator(ids.country), Field(
    json_schema_extra={"pattern": r"^\s*[A-Za-z]{2}\s*$"},
    description="ISO 3166-1 alpha-2 country code, e.g. 'NL', 'RO'.")]
POSTCODE_NL_PATTERN = r"^\s*[1-9][0-9]{3}\s?(?![sS][aAdDsS])[A-Za-z]{2}\s*$"
"""A Dutch postcode as the schema documents it (python-stdnum decides)."""


def _type_required(schema: dict[str, Any]) -> None:
    """A subject's ``type`` selects its kind: required on the wire, whatever Python defaults."""
    schema.setdefault("required", [])
    if "type" not in schema["required"]:
        schema["required"].insert(0, "type")
    schema["properties"]["type"].pop("default", None)


def _postcode_rule(schema: dict[str, Any]) -> None:
    """Where the country is NL (also when it is left out), the postcode is Dutch."""
    schema["if"] = {"properties": {"country": {"const": "NL"}}}
    schema["then"] = {"properties": {"postcode": {"pattern": POSTCODE_NL_PATTERN}}}


class Role(StrEnum):
    """What a subject is in the signal."""

    SUSPECT = "suspect"
    VICTIM = "victim"
    WITNESS = "witness"
    FACILITATOR = "facilitator"
    OWNER = "owner"
    DIRECTOR = "director"
    EMPLOYEE = "employee"
    RESIDENT = "resident"
    LOCATION = "location"
    INSTRUMENT = "instrument"
    """A phone, account, vehicle or website used in the activity."""
    OTHER = "other"


class IdentifierScheme(StrEnum):
    """Identifier schemes allowed on the wire. A clear BSN or patient number is never one."""

    BSN_PSEUDONYM = "bsn-pseudonym"
    PATIENT_PSEUDONYM = "patient-pseudonym"
    PASSPORT = "passport"
    ID_CARD = "id-card"
    V_NUMBER = "v-number"
    """Vreemdelingennummer (IND)."""


class Identifier(BaseModel):
    model_config = _STRICT

    scheme: IdentifierScheme
    value: Annotated[str, Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _pseudonyms_are_pseudonyms(self) -> Identifier:
        pseudonymous = {IdentifierScheme.BSN_PSEUDONYM, IdentifierScheme.PATIENT_PSEUDONYM}
        if self.scheme in pseudonymous and not re.match(PSEUDONYM_PATTERN, self.value):
            raise ValueError(f"{self.scheme.value} must be a keyed pseudonym 'ps1:<64 hex>', "
                             "never the number itself")
        return self


class Address(BaseModel):
    """A postal address; Dutch rules (postcode, house number) apply when the country is NL."""

    model_config = ConfigDict(**_STRICT, json_schema_extra=_postcode_rule)

    country: Country = "NL"
    street: SafeName | None = None
    house_number: Annotated[int, Field(ge=1, le=99999)] | None = None
    house_number_addition: Annotated[str, Field(max_length=10), AfterValidator(_no_markup)] \
        | None = None
    postcode: Annotated[str, Field(max_length=12), AfterValidator(_no_markup)] | None = None
    city: SafeName | None = None
    municipality: SafeName | None = None

    @field_validator("postcode")
    @classmethod
    def _dutch_postcode(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("country", "NL") == "NL":
            return ids.postcode_nl(value)
        return value

    @field_validator("municipality")
    @classmethod
    def _cbs_code_as_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A Dutch municipality given by its CBS code (``GM0599``) is written by its name, as
        the graph and the routing name municipalities (``schemas.municipalities``)."""
        if value is not None and info.data.get("country", "NL") == "NL":
            known = municipalities().get(value.strip().upper())
            return known.short_name if known else value
        return value

    @model_validator(mode="after")
    def _enough(self) -> Address:
        if self.postcode is None and self.city is None and self.street is None:
            raise ValueError("an address needs at least a postcode, a street or a city")
        return self


class _Subject(BaseModel):
    model_config = ConfigDict(**_STRICT, json_schema_extra=_type_required)

    ref: Ref
    role: Role


class Person(_Subject):
    type: Literal["person"] = "person"
    given_name: PersonName | None = None
    name_prefix: Annotated[str, Field(max_length=20, description="Tussenvoegsel, e.g. 'van der'."),
                           AfterValidator(_person_name)] | None = None
    family_name: PersonName | None = None
    birth_date: date | None = None
    nationality: Country | None = None
    identifiers: tuple[Identifier, ...] = ()
    address: Address | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> Person:
        if not (self.family_name or self.given_name or self.identifiers):
            raise ValueError("a person needs a name or an identifier")
        if self.birth_date and self.birth_date > date.today():
            raise ValueError("birth_date lies in the future")
        return self


class Business(_Subject):
    type: Literal["business"] = "business"
    kvk_number: Annotated[str, AfterValidator(ids.kvk_number), Field(
        json_schema_extra={"pattern": r"^\s*([0-9][\s.]*){8}$"},
        description="Exactly 8 digits (spaces and dots between them are dropped).")] | None = None
    trade_name: SafeName | None = None
    legal_form: Literal["eenmanszaak", "vof", "cv", "bv", "nv", "stichting", "vereniging",
                        "cooperatie", "foreign", "other"] | None = None
    sbi_code: Annotated[str, AfterValidator(ids.sbi_code), Field(
        json_schema_extra={"pattern": r"^\s*([0-9]\.?){2,5}\s*$"},
        description="SBI activity code: 2 to 5 digits, dots allowed ('96.02').")] | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> Business:
        if not (self.kvk_number or self.trade_name):
            raise ValueError("a business needs a KvK number or a trade name")
        return self


class Location(_Subject):
    type: Literal["location"] = "location"
    address: Address


class Phone(_Subject):
    type: Literal["phone"] = "phone"
    number: Annotated[str, AfterValidator(ids.phone_e164), Field(
        description="A valid phone number in any spelling; without a country code it is read "
                    "as Dutch ('06-12345678'); stored in E.164.")]


class Email(_Subject):
    type: Literal["email"] = "email"
    address: EmailStr


class BankAccount(_Subject):
    type: Literal["bank_account"] = "bank_account"
    iban: Annotated[str, AfterValidator(ids.iban), Field(
        json_schema_extra={"pattern": r"^\s*[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{10,40}$"},
        description="An IBAN with valid check digits for its country (spaces allowed).")]


class Vehicle(_Subject):
    type: Literal["vehicle"] = "vehicle"
    plate: Annotated[str, AfterValidator(ids.plate), Field(
        json_schema_extra={"pattern": r"^[A-Za-z0-9\s.\-]+$"},
        description="1 to 10 letters and digits once spaces, dots and dashes are dropped.")]
    country: Country = "NL"


class Website(_Subject):
    type: Literal["website"] = "website"
    url: HttpUrl


Subject = Annotated[
    Person | Business | Location | Phone | Email | BankAccount | Vehicle | Website,
    Field(discriminator="type"),
]

GRAPH_LABEL: dict[str, str] = {
    "person": "Person", "business": "Business", "location": "Location", "phone": "Phone",
    "email": "Email", "bank_account": "BankAccount", "vehicle": "Vehicle", "website": "Website",
}
"""Subject type -> graph node label (schemas/graph_model.py)."""
