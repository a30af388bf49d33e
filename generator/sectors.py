"""Business sectors (SBI codes), trade names and legal forms."""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

HIGH_RISK_SBI = ("9602", "96041", "8121", "7820", "4520", "5610", "5510")
"""Sectors in which exploitation is often found (FORMATS.md, BUS-HIGH-RISK-SECTOR)."""

_BRAND = ("Lucky", "Golden", "Diamond", "Lily", "Star", "Crystal", "Pearl", "Royal", "Happy",
          "Sunny", "Lotus", "Perfect", "Queen", "Angel", "Sakura", "Bella", "Glamour", "Jade",
          "Orchid", "Bamboo", "Paradise", "Tropical", "Silk", "Velvet", "Blossom", "Kim", "Mai")
_RELAX = ("Lotus", "Bamboo", "Jasmine", "Orchid", "Siam", "Bangkok", "Golden Hand", "Relax",
          "Harmony", "Zen", "Oriental", "Asia", "Sabai", "Wellbeing")
_DUTCH_BRAND = ("Noord", "Zuid", "Centrum", "De Linde", "Het Anker", "De Molen", "Sterk", "Snel",
                "Totaal", "Vakwerk", "De Zon", "Hollands Glorie", "Kwaliteit", "Groen", "Puur")

_PATTERNS = MappingProxyType({
    "9602": ("Nagelstudio {brand}", "{brand} Nails", "{brand} Nails & Beauty", "Kapsalon {given}",
             "Beautysalon {brand}", "Barbershop {brand}", "Nagelsalon {brand}"),
    "96041": ("{relax} Massage", "Thai Massage {relax}", "Wellness {relax}", "Sauna {relax}",
              "Chinese Massage {relax}", "{relax} Spa"),
    "8121": ("Schoonmaakbedrijf {family}", "{brand} Cleaning", "{family} Schoonmaakdiensten",
             "CleanPro {city}", "Glans {city}", "{dutch} Schoonmaak"),
    "7820": ("{dutch} Uitzendbureau", "Flex{brand} Personeel", "{family} Personeelsdiensten",
             "EuroWork {city}", "{brand} Staffing", "{family} Detachering"),
    "4520": ("Carwash {city}", "Hand Car Wash {brand}", "Autopoetsbedrijf {family}",
             "Garage {family}", "Autobedrijf {family}", "Poetsstraat {dutch}"),
    "5610": ("Restaurant {brand}", "Eethuis {brand}", "Shoarma {city}", "Pizzeria {brand}",
             "Snackbar {dutch}", "Wok {brand}", "Café {dutch}", "Lunchroom {given}"),
    "5510": ("Hotel {brand}", "Hotel {city} Centrum", "Pension {dutch}", "B&B {brand}",
             "Hotel {dutch}"),
    "4120": ("Bouwbedrijf {family}", "{family} Bouw", "Aannemersbedrijf {family}"),
    "4322": ("Installatiebedrijf {family}", "{family} Installatietechniek", "Loodgieter {family}"),
    "6201": ("{dutch} Software", "{family} IT", "{brand} Digital"),
    "6920": ("Administratiekantoor {family}", "{family} Accountants", "Boekhoudbureau {dutch}"),
    "7022": ("{family} Consultancy", "{family} Advies", "{dutch} Advies"),
    "1071": ("Bakkerij {family}", "Warme Bakker {family}", "Bakkerij {dutch}"),
    "4941": ("Transportbedrijf {family}", "{family} Transport", "{dutch} Logistiek"),
    "8553": ("Rijschool {family}", "Rijschool {dutch}", "Autorijschool {given}"),
    "9313": ("Sportschool {dutch}", "{brand} Fitness", "Gym {city}"),
    "4791": ("{brand}shop.nl", "{dutch} Webwinkel", "{family} Online"),
    "8690": ("Fysiotherapie {city}", "Fysio {dutch}", "Praktijk {family}"),
    "7410": ("{brand} Design", "Studio {family}", "{dutch} Ontwerp"),
    "4932": ("Taxibedrijf {family}", "Taxi {city}", "{dutch} Taxi"),
    "4759": ("{dutch} Wonen", "{family} Interieur", "Woonwinkel {brand}"),
    "9001": ("{family} Producties", "Theatergroep {dutch}"),
    "0113": ("Kwekerij {family}", "{family} Tuinbouw", "Glastuinbouw {family}"),
    "4711": ("Supermarkt {family}", "Toko {brand}", "Buurtsuper {dutch}"),
})

INNOCENT_SBI_WEIGHTS = MappingProxyType({
    "9602": 7, "96041": 1, "8121": 4, "7820": 2, "4520": 3, "5610": 6, "5510": 2,
    "4120": 8, "4322": 6, "6201": 7, "6920": 4, "7022": 10, "1071": 2, "4941": 3, "8553": 2,
    "9313": 2, "4791": 8, "8690": 3, "7410": 5, "4932": 2, "4759": 2, "9001": 2, "0113": 2, "4711": 2,
})
"""How often an innocent business is in each sector: the high-risk ones are common too."""

RING_SBI = MappingProxyType({
    "seksueel": ("9602", "9602", "96041", "96041", "5510"),
    "arbeid": ("8121", "8121", "7820", "7820", "4520", "5610", "0113"),
    "crimineel": ("4520", "5610", "9602", "4711"),
})


@dataclass(frozen=True, slots=True)
class LegalForm:
    name: str
    """As KvK writes it."""
    role: str
    """functionaris_rol of the person who runs it."""


LEGAL_FORMS = (LegalForm("Eenmanszaak", "eigenaar"), LegalForm("BV", "bestuurder"),
               LegalForm("VOF", "vennoot"), LegalForm("CV", "vennoot"), LegalForm("NV", "bestuurder"),
               LegalForm("Stichting", "bestuurder"), LegalForm("Vereniging", "bestuurder"),
               LegalForm("Cooperatie", "bestuurder"), LegalForm("Buitenlandse rechtsvorm", "bestuurder"))
_INNOCENT_FORM_WEIGHTS = (60, 26, 8, 1, 0.2, 2.5, 1.5, 0.5, 0.3)
_RING_FORM_WEIGHTS = (55, 30, 8, 0, 0, 0, 0, 0, 7)


def legal_form(rng: random.Random, ring: bool) -> LegalForm:
    return rng.choices(LEGAL_FORMS, _RING_FORM_WEIGHTS if ring else _INNOCENT_FORM_WEIGHTS)[0]


def trade_name(rng: random.Random, sbi: str, family: str, given: str, city: str) -> str:
    """A plausible trade name for a business in sector ``sbi``."""
    pattern = rng.choice(_PATTERNS[sbi])
    return pattern.format(brand=rng.choice(_BRAND), relax=rng.choice(_RELAX), family=family,
                          given=given, city=city, dutch=rng.choice(_DUTCH_BRAND))
