"""Real Dutch municipalities, their places with plausible postcode ranges, street names, RIEC
regions, phone area codes, care institutions and neighbours (for the waterbed effect).

Postcode ranges are the real 4-digit areas of each place, approximately; the letter pair is
derived from street and house number, so one street keeps one postcode area and neighbouring
numbers share a letter pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

RIEC_REGIONS = MappingProxyType({
    "NN": "Noord-Nederland", "ON": "Oost-Nederland", "MN": "Midden-Nederland",
    "NH": "Noord-Holland", "AA": "Amsterdam-Amstelland", "DH": "Den Haag", "RR": "Rotterdam",
    "ZWB": "Zeeland-West-Brabant", "OB": "Oost-Brabant", "LB": "Limburg",
})
"""RIEC region code (as used in ``casus_ref``) -> the region's name."""

_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
POSTCODE_LETTERS: tuple[str, ...] = tuple(
    a + b for a in _LETTERS for b in _LETTERS if a + b not in ("SA", "SD", "SS")
)
"""Letter pairs in use: Dutch postcodes avoid F, I, O, Q, U, Y and never use SA, SD or SS."""

GENERIC_STREETS: tuple[str, ...] = (
    "Kerkstraat", "Hoogstraat", "Dorpsstraat", "Molenstraat", "Stationsstraat", "Stationsweg",
    "Marktstraat", "Nieuwstraat", "Schoolstraat", "Julianastraat", "Wilhelminastraat",
    "Beatrixstraat", "Emmastraat", "Oranjestraat", "Prins Hendrikstraat", "Prinses Irenestraat",
    "Koningin Julianalaan", "Parallelweg", "Industrieweg", "Nijverheidsweg", "Handelsweg",
    "Havenstraat", "Langestraat", "Korte Kerkstraat", "Brugstraat", "Veldstraat", "Bosweg",
    "Parklaan", "Kastanjelaan", "Lindelaan", "Eikenlaan", "Beukenlaan", "Berkenlaan",
    "Populierenlaan", "Wilgenlaan", "Esdoornlaan", "Acacialaan", "Rozenstraat", "Tulpstraat",
    "Narcisstraat", "Leliestraat", "Sportlaan", "Tuinstraat", "Merelstraat", "Lijsterstraat",
    "Spreeuwstraat", "Meeuwenlaan", "Zwaluwstraat", "Vinkenstraat", "Kievitstraat",
    "Reigerstraat", "Vondelstraat", "Rembrandtstraat", "Vermeerstraat", "Frans Halsstraat",
    "Van Goghstraat", "Mozartlaan", "Beethovenstraat", "Chopinstraat", "Bachstraat",
    "Thorbeckestraat", "Van Speijkstraat", "De Ruyterstraat", "Tromplaan", "Pieter de Hoochstraat",
    "Jan Steenstraat", "Willem de Zwijgerlaan", "Johan de Wittlaan", "Hugo de Grootstraat",
    "Erasmusweg", "Christiaan Huygensstraat", "Marconistraat", "Edisonstraat", "Voltastraat",
    "Ampèrestraat", "Zuidsingel", "Noordsingel", "Oostsingel", "Westsingel", "Dijkstraat",
    "Polderweg", "Hoofdweg", "Hoofdstraat", "Kruisstraat", "Achterstraat", "Voorstraat",
    "Lange Nieuwstraat", "Nieuwe Markt", "Vismarkt", "Steenweg", "Ambachtsweg", "Energieweg",
    "Celsiusweg", "Zandstraat", "Brabantlaan", "Limburglaan", "Provincialeweg",
    "Rijksstraatweg", "Utrechtseweg", "Kerkplein", "Raadhuisstraat", "Gasthuisstraat",
    "Begijnenstraat", "Kloosterstraat", "Weverstraat", "Smidsstraat", "Bakkerstraat",
    "Kuipersweg", "Timmermansstraat", "Papaverstraat", "Klaproosstraat", "Zonnebloemstraat",
    "Hyacintstraat", "Dahliastraat", "Azaleastraat", "Goudsbloemstraat", "Margrietstraat",
    "Anjerstraat", "Jasmijnstraat", "Vlasstraat", "Tarwestraat", "Roggestraat", "Haverstraat",
    "Burgemeester de Withstraat", "Pastoor van Arsstraat", "Sint Josephstraat", "Mgr. Nolensstraat",
    "Dr. Schaepmanstraat", "Kennedylaan", "Churchilllaan", "Rooseveltstraat", "Europaweg",
    "Oude Haven", "Nieuwe Haven", "Zuiderparkweg", "Noorderweg", "Oosterstraat", "Westerstraat",
)

HOUSE_NUMBERS = 180
"""House numbers 1..HOUSE_NUMBERS exist on every street."""

_ADDITIONS = ("A", "B", "C", "1", "2", "3", "hs", "bis", "I", "II")


@dataclass(frozen=True, slots=True)
class Place:
    """A woonplaats and the 4-digit postcode areas it uses."""

    name: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    riec: str
    area_code: str
    """Landline area code without the leading 0 (e.g. ``76`` for Breda)."""
    weight: int
    """Inhabitants in thousands: how often the municipality is drawn."""
    places: tuple[Place, ...]
    care: tuple[str, ...]
    streets: tuple[str, ...]
    """Every street, local ones first."""

    @property
    def street_count(self) -> int:
        """Small municipalities use fewer of the generic streets."""
        return min(len(self.streets), 25 + self.weight // 3)

    @property
    def slots(self) -> int:
        """Distinct (street, house number) addresses of the municipality."""
        return self.street_count * HOUSE_NUMBERS


def _m(name: str, riec: str, area: str, weight: int, places: tuple[tuple[str, int, int], ...],
       care: tuple[str, ...] = (), local: tuple[str, ...] = ()) -> Municipality:
    first = places[0][0]
    return Municipality(name, riec, area, weight, tuple(Place(*p) for p in places),
                        care or (f"Huisartsenpost {first}",),
                        local + tuple(s for s in GENERIC_STREETS if s not in local))


MUNICIPALITIES: tuple[Municipality, ...] = (
    _m("Amsterdam", "AA", "20", 930, (("Amsterdam", 1011, 1109),),
       ("SEH OLVG Amsterdam", "SEH Amsterdam UMC", "GGD Amsterdam Seksuele Gezondheid",
        "Huisartsenpost Amsterdam"),
       ("Damrak", "Kalverstraat", "Kinkerstraat", "Ferdinand Bolstraat", "Javastraat",
        "Bos en Lommerweg", "Osdorpplein", "Bijlmerdreef", "Van Woustraat", "Overtoom",
        "Albert Cuypstraat", "Jan Evertsenstraat")),
    _m("Amstelveen", "AA", "20", 95, (("Amstelveen", 1181, 1189),), ("Ziekenhuis Amstelland",)),
    _m("Diemen", "AA", "20", 32, (("Diemen", 1111, 1113),)),
    _m("Haarlemmermeer", "NH", "23", 160,
       (("Hoofddorp", 2131, 2136), ("Nieuw-Vennep", 2151, 2152), ("Badhoevedorp", 1171, 1171)),
       ("Spaarne Gasthuis Hoofddorp",)),
    _m("Zaanstad", "NH", "75", 160,
       (("Zaandam", 1501, 1509), ("Koog aan de Zaan", 1541, 1544), ("Wormerveer", 1521, 1524),
        ("Krommenie", 1561, 1562)), ("Zaans Medisch Centrum",)),
    _m("Haarlem", "NH", "23", 165, (("Haarlem", 2011, 2037),), ("SEH Spaarne Gasthuis Haarlem",),
       ("Grote Houtstraat", "Amsterdamstraat", "Zijlweg")),
    _m("Alkmaar", "NH", "72", 110, (("Alkmaar", 1811, 1827),), ("Noordwest Ziekenhuisgroep Alkmaar",)),
    _m("Dijk en Waard", "NH", "72", 90, (("Heerhugowaard", 1701, 1706),)),
    _m("Purmerend", "NH", "299", 92, (("Purmerend", 1441, 1448),), ("Dijklander Ziekenhuis Purmerend",)),
    _m("Velsen", "NH", "255", 69, (("IJmuiden", 1971, 1976), ("Velsen-Noord", 1951, 1951)),
       ("Rode Kruis Ziekenhuis Beverwijk",)),
    _m("Almere", "MN", "36", 220, (("Almere", 1311, 1365),), ("Flevoziekenhuis Almere",)),
    _m("Lelystad", "MN", "320", 80, (("Lelystad", 8211, 8245),)),
    _m("Utrecht", "MN", "30", 370,
       (("Utrecht", 3511, 3585), ("Vleuten", 3451, 3452), ("De Meern", 3453, 3454)),
       ("SEH UMC Utrecht", "Huisartsenpost Utrecht Stad", "GGD regio Utrecht"),
       ("Amsterdamsestraatweg", "Kanaalstraat", "Oudegracht", "Biltstraat", "Vleutenseweg")),
    _m("Amersfoort", "MN", "33", 160, (("Amersfoort", 3811, 3829),), ("Meander Medisch Centrum",)),
    _m("Soest", "MN", "35", 46, (("Soest", 3761, 3768),)),
    _m("Nieuwegein", "MN", "30", 65, (("Nieuwegein", 3431, 3439),),
       ("St. Antonius Ziekenhuis Nieuwegein",)),
    _m("Zeist", "MN", "30", 66, (("Zeist", 3701, 3709),)),
    _m("Veenendaal", "MN", "318", 67, (("Veenendaal", 3901, 3907),)),
    _m("'s-Gravenhage", "DH", "70", 560, (("'s-Gravenhage", 2491, 2599),),
       ("SEH Haaglanden MC", "HagaZiekenhuis", "Huisartsenpost Den Haag"),
       ("Laan van Meerdervoort", "Paul Krugerlaan", "Hoefkade", "Weimarstraat", "Prinsegracht",
        "Vaillantlaan", "Loosduinseweg", "Leyweg")),
    _m("Rijswijk", "DH", "70", 57, (("Rijswijk", 2281, 2289),)),
    _m("Westland", "DH", "174", 112,
       (("Naaldwijk", 2671, 2671), ("Monster", 2681, 2681), ("Wateringen", 2291, 2291),
        ("'s-Gravenzande", 2691, 2691), ("Poeldijk", 2685, 2685), ("De Lier", 2678, 2678),
        ("Honselersdijk", 2675, 2675)), ("Huisartsenpost Westland",)),
    _m("Delft", "DH", "15", 105, (("Delft", 2611, 2629),), ("Reinier de Graaf Gasthuis",)),
    _m("Leidschendam-Voorburg", "DH", "70", 77, (("Voorburg", 2271, 2275), ("Leidschendam", 2262, 2267))),
    _m("Zoetermeer", "DH", "79", 126, (("Zoetermeer", 2711, 2729),), ("LangeLand Ziekenhuis",)),
    _m("Leiden", "DH", "71", 127, (("Leiden", 2311, 2334),), ("SEH LUMC", "Alrijne Ziekenhuis")),
    _m("Leiderdorp", "DH", "71", 28, (("Leiderdorp", 2351, 2353),)),
    _m("Gouda", "DH", "182", 75, (("Gouda", 2801, 2809),), ("Groene Hart Ziekenhuis",)),
    _m("Zuidplas", "DH", "180", 45, (("Nieuwerkerk aan den IJssel", 2911, 2914),)),
    _m("Rotterdam", "RR", "10", 660,
       (("Rotterdam", 3011, 3089), ("Hoogvliet Rotterdam", 3191, 3194), ("Rozenburg", 3181, 3182),
        ("Hoek van Holland", 3151, 3151)),
       ("SEH Erasmus MC", "Maasstad Ziekenhuis", "Franciscus Gasthuis", "Huisartsenpost Rotterdam-Zuid"),
       ("Coolsingel", "Westblaak", "Beijerlandselaan", "Zwart Janstraat", "Nieuwe Binnenweg",
        "Goudsesingel", "Putselaan", "Groene Hilledijk", "West-Kruiskade", "Mathenesserlaan")),
    _m("Schiedam", "RR", "10", 80, (("Schiedam", 3111, 3125),), ("Franciscus Vlietland",)),
    _m("Vlaardingen", "RR", "10", 75, (("Vlaardingen", 3131, 3138),)),
    _m("Capelle aan den IJssel", "RR", "10", 67, (("Capelle aan den IJssel", 2901, 2909),),
       ("IJsselland Ziekenhuis",)),
    _m("Barendrecht", "RR", "180", 50, (("Barendrecht", 2991, 2994),)),
    _m("Ridderkerk", "RR", "180", 47, (("Ridderkerk", 2981, 2987),)),
    _m("Albrandswaard", "RR", "10", 26, (("Rhoon", 3161, 3162), ("Poortugaal", 3171, 3172))),
    _m("Lansingerland", "RR", "10", 65,
       (("Berkel en Rodenrijs", 2651, 2652), ("Bergschenhoek", 2661, 2662), ("Bleiswijk", 2665, 2666))),
    _m("Dordrecht", "RR", "78", 120, (("Dordrecht", 3311, 3329),), ("Albert Schweitzer Ziekenhuis",)),
    _m("Zwijndrecht", "RR", "78", 45, (("Zwijndrecht", 3331, 3335),)),
    _m("Breda", "ZWB", "76", 185,
       (("Breda", 4811, 4839), ("Prinsenbeek", 4841, 4841), ("Ulvenhout", 4851, 4851), ("Bavel", 4854, 4854)),
       ("SEH Amphia Breda", "Huisartsenpost Breda", "GGD West-Brabant"),
       ("Ginnekenweg", "Haagweg", "Boschstraat", "Ginnekenstraat", "Haven", "Baronielaan",
        "Tuinzigtlaan")),
    _m("Tilburg", "ZWB", "13", 225,
       (("Tilburg", 5011, 5049), ("Berkel-Enschot", 5056, 5057), ("Udenhout", 5071, 5071)),
       ("SEH Elisabeth-TweeSteden Ziekenhuis", "Huisartsenpost Tilburg"),
       ("Heuvelstraat", "Korvelseweg", "Ringbaan-West", "Ringbaan-Oost", "Piushaven", "Spoorlaan",
        "Goirkestraat")),
    _m("Roosendaal", "ZWB", "165", 78, (("Roosendaal", 4701, 4709), ("Wouw", 4724, 4724)),
       ("Bravis Ziekenhuis Roosendaal",)),
    _m("Bergen op Zoom", "ZWB", "164", 69, (("Bergen op Zoom", 4611, 4625),),
       ("Bravis Ziekenhuis Bergen op Zoom",)),
    _m("Etten-Leur", "ZWB", "76", 45, (("Etten-Leur", 4871, 4879),)),
    _m("Oosterhout", "ZWB", "162", 57, (("Oosterhout", 4901, 4909),)),
    _m("Waalwijk", "ZWB", "416", 50, (("Waalwijk", 5141, 5146),)),
    _m("Dongen", "ZWB", "162", 26, (("Dongen", 5101, 5106),)),
    _m("Gilze en Rijen", "ZWB", "161", 27, (("Rijen", 5121, 5122), ("Gilze", 5126, 5126))),
    _m("Halderberge", "ZWB", "165", 30, (("Oudenbosch", 4731, 4731), ("Hoeven", 4741, 4741))),
    _m("Moerdijk", "ZWB", "168", 37, (("Zevenbergen", 4761, 4762), ("Klundert", 4791, 4791))),
    _m("Vlissingen", "ZWB", "118", 45, (("Vlissingen", 4381, 4389),), ("Adrz Vlissingen",)),
    _m("Middelburg", "ZWB", "118", 49, (("Middelburg", 4331, 4339),)),
    _m("Goes", "ZWB", "113", 38, (("Goes", 4461, 4465),), ("Adrz Goes",)),
    _m("Terneuzen", "ZWB", "115", 54, (("Terneuzen", 4531, 4539),), ("ZorgSaam Terneuzen",)),
    _m("'s-Hertogenbosch", "OB", "73", 160,
       (("'s-Hertogenbosch", 5211, 5237), ("Rosmalen", 5241, 5248)), ("SEH Jeroen Bosch Ziekenhuis",)),
    _m("Vught", "OB", "73", 27, (("Vught", 5261, 5264),)),
    _m("Oss", "OB", "412", 93, (("Oss", 5341, 5352),)),
    _m("Eindhoven", "OB", "40", 240, (("Eindhoven", 5611, 5658),),
       ("SEH Catharina Ziekenhuis", "Máxima MC Eindhoven", "Huisartsenpost Eindhoven"),
       ("Stratumseind", "Woenselse Markt", "Boschdijk", "Kruisstraat")),
    _m("Veldhoven", "OB", "40", 46, (("Veldhoven", 5501, 5509),)),
    _m("Geldrop-Mierlo", "OB", "40", 40, (("Geldrop", 5661, 5667), ("Mierlo", 5731, 5731))),
    _m("Helmond", "OB", "492", 93, (("Helmond", 5701, 5709),), ("Elkerliek Ziekenhuis",)),
    _m("Meierijstad", "OB", "413", 83,
       (("Veghel", 5461, 5467), ("Schijndel", 5481, 5482), ("Sint-Oedenrode", 5491, 5492))),
    _m("Venlo", "LB", "77", 102, (("Venlo", 5911, 5916), ("Blerick", 5921, 5928), ("Tegelen", 5931, 5935)),
       ("VieCuri Venlo",)),
    _m("Horst aan de Maas", "LB", "77", 43, (("Horst", 5961, 5962),)),
    _m("Venray", "LB", "478", 44, (("Venray", 5801, 5804),)),
    _m("Maastricht", "LB", "43", 121, (("Maastricht", 6211, 6229),), ("SEH MUMC+",)),
    _m("Meerssen", "LB", "43", 19, (("Meerssen", 6231, 6231),)),
    _m("Heerlen", "LB", "45", 87, (("Heerlen", 6411, 6422),), ("Zuyderland Heerlen",)),
    _m("Kerkrade", "LB", "45", 45, (("Kerkrade", 6461, 6471),)),
    _m("Sittard-Geleen", "LB", "46", 92, (("Sittard", 6131, 6137), ("Geleen", 6161, 6167)),
       ("Zuyderland Sittard-Geleen",)),
    _m("Roermond", "LB", "475", 58, (("Roermond", 6041, 6045),), ("Laurentius Ziekenhuis",)),
    _m("Nijmegen", "ON", "24", 180, (("Nijmegen", 6511, 6546),),
       ("SEH Radboudumc", "Canisius Wilhelmina Ziekenhuis")),
    _m("Wijchen", "ON", "24", 41, (("Wijchen", 6601, 6605),)),
    _m("Arnhem", "ON", "26", 165, (("Arnhem", 6811, 6846),), ("Rijnstate Arnhem",)),
    _m("Renkum", "ON", "26", 31, (("Oosterbeek", 6861, 6862), ("Renkum", 6871, 6871))),
    _m("Ede", "ON", "318", 118, (("Ede", 6711, 6718), ("Bennekom", 6721, 6721)),
       ("Ziekenhuis Gelderse Vallei",)),
    _m("Enschede", "ON", "53", 160, (("Enschede", 7511, 7548),), ("Medisch Spectrum Twente",)),
    _m("Hengelo", "ON", "74", 81, (("Hengelo", 7551, 7559),)),
    _m("Apeldoorn", "ON", "55", 165, (("Apeldoorn", 7311, 7339),), ("Gelre Ziekenhuis Apeldoorn",)),
    _m("Deventer", "ON", "570", 101, (("Deventer", 7411, 7429),), ("Deventer Ziekenhuis",)),
    _m("Zwolle", "ON", "38", 130, (("Zwolle", 8011, 8046),), ("Isala Zwolle",)),
    _m("Kampen", "ON", "38", 55, (("Kampen", 8261, 8267),)),
    _m("Groningen", "NN", "50", 240, (("Groningen", 9711, 9747), ("Haren", 9751, 9752)),
       ("SEH UMCG", "Martini Ziekenhuis")),
    _m("Tynaarlo", "NN", "50", 34, (("Zuidlaren", 9471, 9471), ("Vries", 9481, 9481), ("Eelde", 9761, 9761))),
    _m("Assen", "NN", "592", 68, (("Assen", 9401, 9409),), ("Wilhelmina Ziekenhuis Assen",)),
    _m("Leeuwarden", "NN", "58", 125, (("Leeuwarden", 8911, 8939),), ("Medisch Centrum Leeuwarden",)),
    _m("Heerenveen", "NN", "513", 51, (("Heerenveen", 8441, 8448),)),
    _m("Emmen", "NN", "591", 107, (("Emmen", 7811, 7828),), ("Treant Emmen",)),
    _m("Coevorden", "NN", "524", 35, (("Coevorden", 7741, 7742),)),
)

_NEIGHBOURS: tuple[tuple[str, str], ...] = (
    ("Amsterdam", "Amstelveen"), ("Amsterdam", "Diemen"), ("Amsterdam", "Zaanstad"),
    ("Amsterdam", "Haarlemmermeer"), ("Amsterdam", "Almere"), ("Amstelveen", "Haarlemmermeer"),
    ("Haarlem", "Haarlemmermeer"), ("Haarlem", "Velsen"), ("Zaanstad", "Purmerend"),
    ("Zaanstad", "Velsen"), ("Alkmaar", "Dijk en Waard"), ("Almere", "Lelystad"),
    ("Utrecht", "Nieuwegein"), ("Utrecht", "Zeist"), ("Amersfoort", "Soest"), ("Soest", "Zeist"),
    ("Veenendaal", "Ede"), ("'s-Gravenhage", "Rijswijk"), ("'s-Gravenhage", "Westland"),
    ("'s-Gravenhage", "Leidschendam-Voorburg"), ("'s-Gravenhage", "Zoetermeer"),
    ("Rijswijk", "Delft"), ("Leiden", "Leiderdorp"), ("Gouda", "Zuidplas"),
    ("Zoetermeer", "Zuidplas"), ("Zoetermeer", "Lansingerland"), ("Rotterdam", "Schiedam"),
    ("Rotterdam", "Vlaardingen"), ("Rotterdam", "Capelle aan den IJssel"),
    ("Rotterdam", "Barendrecht"), ("Rotterdam", "Albrandswaard"), ("Rotterdam", "Lansingerland"),
    ("Rotterdam", "Ridderkerk"), ("Rotterdam", "Zuidplas"), ("Schiedam", "Vlaardingen"),
    ("Capelle aan den IJssel", "Zuidplas"), ("Barendrecht", "Ridderkerk"),
    ("Barendrecht", "Albrandswaard"), ("Dordrecht", "Zwijndrecht"), ("Zwijndrecht", "Ridderkerk"),
    ("Breda", "Etten-Leur"), ("Breda", "Oosterhout"), ("Breda", "Gilze en Rijen"),
    ("Etten-Leur", "Moerdijk"), ("Etten-Leur", "Halderberge"), ("Roosendaal", "Halderberge"),
    ("Roosendaal", "Bergen op Zoom"), ("Tilburg", "Dongen"), ("Tilburg", "Gilze en Rijen"),
    ("Tilburg", "Waalwijk"), ("Oosterhout", "Dongen"), ("Vlissingen", "Middelburg"),
    ("'s-Hertogenbosch", "Vught"), ("'s-Hertogenbosch", "Oss"), ("Eindhoven", "Veldhoven"),
    ("Eindhoven", "Geldrop-Mierlo"), ("Geldrop-Mierlo", "Helmond"), ("Venlo", "Horst aan de Maas"),
    ("Horst aan de Maas", "Venray"), ("Maastricht", "Meerssen"), ("Heerlen", "Kerkrade"),
    ("Nijmegen", "Wijchen"), ("Arnhem", "Renkum"), ("Ede", "Renkum"), ("Enschede", "Hengelo"),
    ("Apeldoorn", "Deventer"), ("Zwolle", "Kampen"), ("Groningen", "Tynaarlo"),
    ("Tynaarlo", "Assen"), ("Leeuwarden", "Heerenveen"), ("Emmen", "Coevorden"),
)

DISPLAY_NAMES = MappingProxyType({"'s-Gravenhage": ("Den Haag", "'s-Gravenhage"),
                                  "'s-Hertogenbosch": ("Den Bosch", "'s-Hertogenbosch")})
"""Names people write instead of the official one."""


@cache
def municipality_index(name: str) -> int:
    """Position of a municipality in :data:`MUNICIPALITIES`."""
    for i, municipality in enumerate(MUNICIPALITIES):
        if municipality.name == name:
            return i
    raise KeyError(name)


@cache
def neighbours(index: int) -> tuple[int, ...]:
    """Indexes of the municipalities bordering municipality ``index``, in a fixed order."""
    name = MUNICIPALITIES[index].name
    found = [b for a, b in _NEIGHBOURS if a == name] + [a for a, b in _NEIGHBOURS if b == name]
    return tuple(sorted(municipality_index(n) for n in found))


def _mix(a: int, b: int) -> int:
    """A fixed 32-bit integer hash (stable across runs and Python versions)."""
    h = (a * 0x9E3779B1 + b * 0x85EBCA77 + 0x27D4EB2F) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    return h ^ (h >> 12)


@dataclass(frozen=True, slots=True)
class AddressParts:
    """The fields of one real-looking address."""

    street: str
    number: int
    addition: str | None
    postcode: str
    """``1234 AB``."""
    place: str
    municipality: str


def address_at(municipality_idx: int, slot: int) -> AddressParts:
    """The address in ``slot`` of a municipality (0 <= slot < Municipality.slots); the same slot
    always gives the same address."""
    m = MUNICIPALITIES[municipality_idx]
    street_idx, number0 = divmod(slot, HOUSE_NUMBERS)
    street = m.streets[street_idx]
    h = _mix(municipality_idx, street_idx)
    place = m.places[0] if len(m.places) == 1 or h % 3 else m.places[(h >> 4) % len(m.places)]
    digits = place.low + (h >> 8) % (place.high - place.low + 1)
    letters = POSTCODE_LETTERS[((h >> 16) + number0 // 24) % len(POSTCODE_LETTERS)]
    hn = _mix(slot, municipality_idx + 7919)
    addition = _ADDITIONS[hn % len(_ADDITIONS)] if hn % 100 < 12 else None
    return AddressParts(street, number0 + 1, addition, f"{digits} {letters}", place.name, m.name)
