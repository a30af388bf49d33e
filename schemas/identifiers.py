"""Normalising and checking Dutch and international identifiers with well-kept libraries.

Each function returns the canonical form or raises ``ValueError`` naming the rule broken;
pydantic turns that into a field-level error.
"""

from __future__ import annotations

import re

import phonenumbers
import pycountry
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.nl import bsn as nl_bsn
from stdnum.nl import postcode as nl_postcode

_KVK = re.compile(r"^\d{8}$")
_SBI = re.compile(r"^\d{2,5}$")
_PLATE_CHARS = re.compile(r"^[A-Z0-9]{1,10}$")


def postcode_nl(value: str) -> str:
    """Dutch postcode as ``1234 AB`` (python-stdnum: 4 digits not starting with 0, 2 letters,
    never SA/SD/SS)."""
    try:
        return str(nl_postcode.validate(value))
    except stdnum_errors.ValidationError as exc:
        raise ValueError(f"not a valid Dutch postcode ({exc})") from exc


def bsn(value: str) -> str:
    """Burgerservicenummer: 9 digits passing the elfproef (python-stdnum)."""
    try:
        return str(nl_bsn.validate(value))
    except stdnum_errors.ValidationError as exc:
        raise ValueError(f"not a valid BSN ({exc})") from exc


def kvk_number(value: str) -> str:
    """KvK number: exactly 8 digits (it has no check digit)."""
    compact = re.sub(r"[\s.]", "", value)
    if not _KVK.match(compact):
        raise ValueError("a KvK number is exactly 8 digits")
    return compact


def sbi_code(value: str) -> str:
    """SBI activity code: 2 to 5 digits (e.g. 9602 hairdressing and beauty)."""
    compact = value.replace(".", "").strip()
    if not _SBI.match(compact):
        raise ValueError("an SBI code is 2 to 5 digits")
    return compact


def phone_e164(value: str, region: str = "NL") -> str:
    """Phone number in E.164 (phonenumbers); numbers without country code are read as Dutch."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number for its country")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def iban(value: str) -> str:
    """IBAN in compact form, checked for country format and check digits (schwifty)."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"not a valid IBAN ({exc})") from exc


def country(value: str) -> str:
    """ISO 3166-1 alpha-2 country code, upper case (pycountry)."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


def plate(value: str) -> str:
    """Licence plate without separators, upper case (e.g. ``12-ABC-3`` -> ``12ABC3``)."""
    compact = re.sub(r"[\s\-.]", "", value).upper()
    if not _PLATE_CHARS.match(compact):
        raise ValueError("a licence plate has 1 to 10 letters and digits")
    return compact
