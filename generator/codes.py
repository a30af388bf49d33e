"""Valid, distinct identifiers without per-value library calls: BSNs (elfproef), IBANs (ISO 13616
mod-97 check digits), phone numbers in valid ranges, RDW-style licence plates and KvK numbers.

Distinctness comes from :class:`Distinct`, an affine permutation of a number range: the i-th draw
is ``(a * i + b) mod size``, so no value repeats and nothing needs to be remembered.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from types import MappingProxyType

from generator.exceptions import ExhaustedError


class Distinct:
    """Distinct pseudo-random integers in ``[0, size)``; from the front with :meth:`take`, from
    the back with :meth:`take_last` (the two never meet until the range is used up)."""

    def __init__(self, rng: random.Random, size: int, name: str) -> None:
        self.size, self.name = size, name
        a = rng.randrange(size // 3 + 1, size + 1) | 1
        while math.gcd(a, size) != 1:
            a += 2
        self._a, self._b = a, rng.randrange(size)
        self.front, self.back = 0, 0

    def at(self, i: int) -> int:
        """The value at position ``i`` of the permutation."""
        return (self._a * i + self._b) % self.size

    def take(self) -> int:
        if self.front + self.back >= self.size:
            raise ExhaustedError(self.name, self.size)
        self.front += 1
        return self.at(self.front - 1)

    def take_last(self) -> int:
        if self.front + self.back >= self.size:
            raise ExhaustedError(self.name, self.size)
        self.back += 1
        return self.at(self.size - self.back)


# --- BSN -------------------------------------------------------------------------------------

def bsn_check_digit(first8: str) -> int:
    """The ninth digit that makes the elfproef hold (10 means: no valid BSN with this prefix)."""
    return sum(int(d) * (9 - i) for i, d in enumerate(first8)) % 11


def next_bsn(numbers: Distinct) -> str:
    """A valid, unused BSN; ``numbers`` ranges over 8-digit prefixes (size 90_000_000)."""
    while True:
        first8 = str(10_000_000 + numbers.take())
        check = bsn_check_digit(first8)
        if check < 10:
            return first8 + str(check)


def break_bsn(bsn: str) -> str:
    """The BSN with its last digit changed: the elfproef then always fails."""
    return bsn[:8] + str((int(bsn[8]) + 1 + int(bsn[0]) % 8) % 10)


# --- IBAN ------------------------------------------------------------------------------------

def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits of a BBAN."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def make_iban(country: str, bban: str) -> str:
    return f"{country}{iban_check_digits(country, bban)}{bban}"


NL_BANKS = ("ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB", "REVO")
_NL_BANK_WEIGHTS = (22, 30, 25, 6, 2, 3, 3, 5, 2, 2)


@dataclass(frozen=True, slots=True)
class ForeignBank:
    country: str
    bank: str
    digits: int


FOREIGN_BANKS = (
    ForeignBank("RO", "BTRL", 16), ForeignBank("RO", "RNCB", 16), ForeignBank("RO", "BRDE", 16),
    ForeignBank("BG", "UNCR", 14), ForeignBank("BG", "STSA", 14), ForeignBank("PL", "10901014", 16),
    ForeignBank("PL", "11402004", 16), ForeignBank("DE", "37040044", 10),
    ForeignBank("LT", "73000", 11),
)


def nl_iban(rng: random.Random, accounts: Distinct) -> str:
    """A Dutch IBAN; ``accounts`` ranges over 9-digit account numbers."""
    bank = rng.choices(NL_BANKS, _NL_BANK_WEIGHTS)[0]
    return make_iban("NL", f"{bank}0{accounts.take():09d}")


def foreign_iban(rng: random.Random, accounts: Distinct, country: str | None = None) -> str:
    """An IBAN of a bank in Romania, Bulgaria, Poland, Germany or Lithuania."""
    banks = [b for b in FOREIGN_BANKS if b.country == country] or list(FOREIGN_BANKS)
    bank = rng.choice(banks)
    number = f"{accounts.take():09d}"
    return make_iban(bank.country, bank.bank + number.rjust(bank.digits, "0"))


def break_iban(iban: str) -> str:
    """The IBAN with wrong check digits (the mod-97 check then fails)."""
    good = int(iban[2:4])
    bad = good + 1 if good < 97 else good - 1
    return f"{iban[:2]}{bad:02d}{iban[4:]}"


# --- phone numbers ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number as country calling code and national significant number."""

    country_code: str
    national: str

    @property
    def e164(self) -> str:
        return f"+{self.country_code}{self.national}"


@dataclass(frozen=True, slots=True)
class MobilePlan:
    """Valid mobile numbers of one country: a prefix, then ``digits`` free digits."""

    country: str
    country_code: str
    prefixes: tuple[str, ...]
    digits: int


MOBILE_PLANS = MappingProxyType({p.country: p for p in (
    MobilePlan("RO", "40", ("72", "73", "74", "75", "76", "77"), 7),
    MobilePlan("BG", "359", ("87", "88", "89"), 7),
    MobilePlan("PL", "48", ("50", "51", "53", "60", "66", "69", "72", "78", "79", "88"), 7),
    MobilePlan("HU", "36", ("20", "30", "70"), 7),
    MobilePlan("UA", "380", ("50", "63", "66", "67", "68", "93", "97"), 7),
    MobilePlan("NG", "234", ("803", "806", "813", "816", "703", "706", "810", "814"), 7),
    MobilePlan("CN", "86", ("138", "139", "135", "136", "186", "158"), 8),
    MobilePlan("VN", "84", ("91", "94", "98", "97", "32", "33"), 7),
    MobilePlan("TR", "90", ("532", "533", "535", "542", "505", "555"), 7),
    MobilePlan("MA", "212", ("61", "66", "67", "70"), 7),
    MobilePlan("LT", "370", ("61", "62", "65", "68"), 6),
)})


def nl_mobile(mobiles: Distinct) -> PhoneNumber:
    """A Dutch mobile number 06-[1-5]xxxxxxx; ``mobiles`` has size 50_000_000."""
    n = mobiles.take()
    return PhoneNumber("31", f"6{1 + n // 10_000_000}{n % 10_000_000:07d}")


def landline_space(area_code: str) -> int:
    """How many subscriber numbers an area code has (first digit 2-9)."""
    return int(8 * 10 ** (8 - len(area_code)))


def nl_landline(area_code: str, n: int) -> PhoneNumber:
    """The ``n``-th landline number of an area (0 <= n < landline_space)."""
    rest = 9 - len(area_code)
    first, tail = divmod(n, 10 ** (rest - 1))
    return PhoneNumber("31", f"{area_code}{2 + first}{tail:0{rest - 1}d}")


def mobile_space(country: str) -> int:
    """How many mobile numbers :func:`foreign_mobile` can give for ``country``."""
    plan = MOBILE_PLANS[country]
    return int(len(plan.prefixes) * 10 ** plan.digits)


def foreign_mobile(country: str, n: int) -> PhoneNumber:
    """The ``n``-th mobile number of ``country`` (0 <= n < mobile_space)."""
    plan = MOBILE_PLANS[country]
    prefix, tail = divmod(n, 10 ** plan.digits)
    return PhoneNumber(plan.country_code, f"{plan.prefixes[prefix]}{tail:0{plan.digits}d}")


# --- licence plates --------------------------------------------------------------------------

PLATE_LETTERS = "BDFGHJKLNPRSTVXZ"
"""Letters of the current RDW side codes (no vowels, no C, M, Q, W, Y)."""

SIDE_CODES = ("99-XXX-9", "9-XXX-99", "XX-999-X", "X-999-XX", "XXX-99-X", "X-99-XXX", "9-XX-999",
              "XX-99-XX", "99-XX-XX")
"""RDW side codes 7-13 and two older ones; X a letter, 9 a digit."""

_AVOID = ("SS", "SD", "SA", "PVV", "SP", "GVD", "KKK", "NSB", "PKK", "TBS", "LSD")


def plate_space(side_code: str) -> int:
    letters, digits = side_code.count("X"), side_code.count("9")
    return int(len(PLATE_LETTERS) ** letters * 10 ** digits)


def plate(side_code: str, n: int) -> str:
    """The ``n``-th plate of a side code (0 <= n < plate_space)."""
    out = []
    for ch in reversed(side_code):
        if ch == "X":
            n, r = divmod(n, len(PLATE_LETTERS))
            out.append(PLATE_LETTERS[r])
        elif ch == "9":
            n, r = divmod(n, 10)
            out.append(str(r))
        else:
            out.append(ch)
    return "".join(reversed(out))


def acceptable_plate(value: str) -> bool:
    compact = value.replace("-", "")
    return not any(bad in compact for bad in _AVOID)


def nl_plate(rng: random.Random, plates: dict[str, Distinct], van: bool = False) -> str:
    """A distinct plate; vans use side code XX-999-X starting with V, as RDW issues them."""
    while True:
        if van:
            value = "V" + plate("X-999-X", plates["van"].take())
        else:
            code = rng.choice(SIDE_CODES[:7])
            value = plate(code, plates[code].take())
        if acceptable_plate(value):
            return value


def plate_spaces(rng: random.Random) -> dict[str, Distinct]:
    """One distinct-value space per side code, plus one for vans."""
    spaces = {code: Distinct(rng, plate_space(code), f"plates {code}") for code in SIDE_CODES[:7]}
    spaces["van"] = Distinct(rng, plate_space("X-999-X"), "van plates")
    return spaces


# --- KvK -------------------------------------------------------------------------------------

def next_kvk(numbers: Distinct) -> str:
    """An unused 8-digit KvK number; ``numbers`` has size 90_000_000."""
    return str(10_000_000 + numbers.take())
