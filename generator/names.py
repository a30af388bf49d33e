"""Name pools: Dutch given and family names (with tussenvoegsels and double names) and the names
of the nationalities that recur in Dutch trafficking cases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

DUTCH_MALE = (
    "Johannes", "Jan", "Pieter", "Cornelis", "Hendrik", "Willem", "Gerrit", "Jacobus", "Dirk",
    "Adrianus", "Petrus", "Theodorus", "Antonius", "Martinus", "Bart", "Daan", "Sem", "Lucas",
    "Thijs", "Jeroen", "Ruben", "Bas", "Stefan", "Mark", "Rick", "Tim", "Kevin", "Dennis",
    "Niels", "Joost", "Wouter", "Maarten", "Sander", "Erik", "Frank", "Marco", "Rob", "Paul",
    "Arjen", "Koen", "Luuk", "Milan", "Jesse", "Finn", "Noah", "Levi", "Sven", "Gijs", "Hugo",
    "Mohamed", "Youssef", "Bilal", "Kees", "Henk", "Gert-Jan", "Jan-Willem", "Ruud", "Wim",
)
DUTCH_FEMALE = (
    "Maria", "Johanna", "Cornelia", "Anna", "Wilhelmina", "Hendrika", "Elisabeth", "Catharina",
    "Petronella", "Adriana", "Emma", "Julia", "Sophie", "Lotte", "Sanne", "Lisa", "Anouk",
    "Femke", "Iris", "Eva", "Fleur", "Marloes", "Esther", "Linda", "Monique", "Ingrid",
    "Annemiek", "Marieke", "Saskia", "Janneke", "Nienke", "Roos", "Tess", "Noa", "Mila", "Zoë",
    "Sara", "Lieke", "Mirjam", "Karin", "Petra", "Wendy", "Kim", "Naima", "Fatima", "Yasmina",
    "Anne-Marie", "Els", "Ria", "Trees",
)

_PLAIN = (
    "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks",
    "Dekker", "Brouwer", "Dijkstra", "Smits", "Janssen", "Verhoeven", "Kok", "Schouten",
    "Willems", "Hoekstra", "Koster", "Prins", "Huisman", "Peeters", "Kuipers", "Veenstra",
    "Kramer", "Postma", "Maas", "Timmermans", "Vermeulen", "Hermans", "Verbeek", "Kuijpers",
    "Martens", "Koning", "Scholten", "Evers", "Wolters", "Gerritsen", "Sanders", "Bosman",
    "Haan", "Hoogendoorn", "Vink", "Blom", "Kroon", "Zwart", "Claassen", "Verschuren", "Aarts",
    "Rutten", "Pronk", "Goossens", "Boom", "Driessen", "Heijnen", "Lammers", "Wijnands",
    "Ouwehand", "Steenbergen", "Wouters", "Lambrechts", "Franssen", "El Amrani", "Bouzid",
    "Yilmaz", "Kaya", "Öztürk", "Pinas", "Kromodikoro",
)
_PREFIXED: tuple[tuple[str, str], ...] = (
    ("de", "Vries"), ("de", "Jong"), ("van den", "Berg"), ("van der", "Berg"), ("van", "Dijk"),
    ("de", "Boer"), ("de", "Groot"), ("van der", "Meer"), ("van", "Leeuwen"), ("van der", "Linden"),
    ("van den", "Broek"), ("de", "Graaf"), ("van", "Beek"), ("van der", "Heijden"),
    ("van de", "Ven"), ("van", "Wijk"), ("de", "Haan"), ("van der", "Veen"), ("van den", "Bosch"),
    ("ter", "Horst"), ("van 't", "Hof"), ("in 't", "Veld"), ("den", "Hartog"), ("ten", "Cate"),
    ("op de", "Beek"), ("van", "Vliet"), ("van der", "Wal"), ("de", "Wit"), ("de", "Bruijn"),
    ("van", "Rijn"), ("van", "Dam"), ("van der", "Laan"), ("de", "Ridder"), ("van", "Loon"),
    ("van", "Gils"), ("de", "Kort"), ("van den", "Heuvel"), ("van der", "Zande"), ("de", "Lange"),
    ("van", "Essen"), ("van", "Doorn"), ("van", "Oers"), ("'t", "Hart"),
)
DUTCH_FAMILY: tuple[tuple[str | None, str], ...] = tuple(
    [(None, name) for name in _PLAIN]
    + [(prefix, family) for prefix, family in _PREFIXED]
)
"""(tussenvoegsel, achternaam) pairs."""

TUSSENVOEGSEL_ABBREVIATIONS = MappingProxyType({
    "van der": ("vd", "v.d.", "Vd", "v/d"), "van den": ("vd", "v.d.", "Vd"), "van de": ("vd", "v.d."),
    "van 't": ("v't", "v.t."), "in 't": ("i.t.",)})


@dataclass(frozen=True, slots=True)
class Origin:
    """Names of one nationality (ISO 3166-1 alpha-2)."""

    nationality: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    family_first: bool = False
    """Native order puts the family name first (Chinese, Vietnamese)."""

    def female_family(self, family: str) -> str:
        """Slavic languages inflect a woman's family name."""
        if self.nationality == "PL":
            for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
                if family.endswith(male):
                    return family[: -len(male)] + female
        if self.nationality in ("BG", "UA") and family.endswith(("ov", "ev")):
            return family + "a"
        return family


FOREIGN = MappingProxyType({o.nationality: o for o in (
    Origin("RO", ("Ion", "Andrei", "Dragoș", "Mihai", "Florin", "Constantin", "Gheorghe", "Ștefan",
                  "Marius", "Ionuț", "Cristian", "Adrian", "Vasile", "Nicolae"),
           ("Ioana", "Andreea", "Elena", "Maria", "Alexandra", "Mihaela", "Denisa", "Bianca",
            "Florentina", "Ana-Maria", "Roxana", "Cristina", "Georgiana"),
           ("Popescu", "Ionescu", "Popa", "Stoica", "Dumitru", "Stan", "Munteanu", "Constantinescu",
            "Rusu", "Lungu", "Marin", "Tudor", "Ciobanu", "Dragomir", "Vasilescu", "Rădulescu")),
    Origin("BG", ("Georgi", "Ivan", "Dimitar", "Nikolay", "Hristo", "Stoyan", "Petar", "Todor",
                  "Angel", "Plamen"),
           ("Maria", "Ivanka", "Desislava", "Elena", "Gergana", "Svetla", "Yordanka", "Radka",
            "Tsvetelina", "Petya"),
           ("Ivanov", "Georgiev", "Dimitrov", "Petrov", "Nikolov", "Hristov", "Stoyanov", "Todorov",
            "Angelov", "Kolev", "Yordanov", "Marinov")),
    Origin("PL", ("Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Łukasz", "Michał", "Marcin",
                  "Grzegorz", "Jakub", "Wojciech"),
           ("Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Magdalena", "Joanna", "Ewa", "Monika",
            "Karolina", "Justyna"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
            "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski")),
    Origin("HU", ("László", "István", "József", "Zoltán", "Sándor", "Gábor", "Attila"),
           ("Mária", "Erzsébet", "Katalin", "Éva", "Zsófia", "Anikó", "Krisztina"),
           ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Balogh")),
    Origin("UA", ("Oleksandr", "Andriy", "Serhiy", "Volodymyr", "Dmytro", "Mykola", "Yuriy"),
           ("Olena", "Tetiana", "Natalia", "Iryna", "Oksana", "Yulia", "Svitlana"),
           ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk",
            "Boyko", "Moroz", "Petrov", "Kozlov")),
    Origin("SK", ("Ján", "Peter", "Marek", "Jozef", "Milan", "Miroslav"),
           ("Zuzana", "Jana", "Lucia", "Martina", "Katarína"),
           ("Horváth", "Kováč", "Varga", "Tóth", "Baláž", "Lakatoš", "Oláh")),
    Origin("NG", ("Chinedu", "Emeka", "Oluwaseun", "Ifeanyi", "Tunde", "Babajide", "Uchenna",
                  "Osas", "Efosa", "Osaro"),
           ("Blessing", "Joy", "Precious", "Favour", "Gift", "Peace", "Esohe", "Osarugue",
            "Happiness", "Mercy", "Chioma", "Ngozi"),
           ("Okafor", "Adeyemi", "Osagie", "Igbinedion", "Eze", "Nwosu", "Okonkwo", "Obaseki",
            "Omoregie", "Ehigiator", "Uwaifo", "Edosomwan")),
    Origin("CN", ("Wei", "Jun", "Hao", "Lei", "Jian", "Ming", "Qiang", "Tao"),
           ("Li Na", "Fang", "Xiu Ying", "Jing", "Min", "Yan", "Mei", "Hui"),
           ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin"),
           family_first=True),
    Origin("VN", ("Minh", "Tuấn", "Hùng", "Dũng", "Quang", "Huy", "Long", "Thành"),
           ("Linh", "Lan", "Hương", "Thảo", "Trang", "Ngọc", "Mai", "Hoa"),
           ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"),
           family_first=True),
    Origin("TH", ("Somchai", "Anan", "Chaiwat", "Kittisak"),
           ("Siriporn", "Malee", "Nok", "Pimchanok", "Ratana", "Supaporn", "Wanida"),
           ("Saetang", "Srisuk", "Boonmee", "Chaiyaphum", "Kaewmanee", "Thongdee")),
    Origin("BR", ("João", "Lucas", "Gabriel", "Rafael", "Thiago"),
           ("Ana", "Juliana", "Camila", "Fernanda", "Larissa", "Bruna"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida")),
    Origin("MA", ("Mohamed", "Youssef", "Karim", "Rachid", "Hamza", "Said", "Mustafa"),
           ("Fatima", "Khadija", "Samira", "Nadia", "Souad", "Imane"),
           ("El Idrissi", "Benali", "Bouzid", "El Amrani", "Ouali", "Tahiri", "Ziani")),
    Origin("TR", ("Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Murat", "Emre"),
           ("Ayşe", "Fatma", "Emine", "Zeynep", "Elif", "Hatice"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın")),  # noqa: RUF001
    Origin("ER", ("Yonas", "Tesfay", "Dawit", "Mulugeta", "Samuel", "Haile"),
           ("Helen", "Selam", "Senait", "Luwam", "Mebrat", "Semhar"),
           ("Tesfamariam", "Gebremedhin", "Kidane", "Haile", "Berhane", "Weldemichael")),
    Origin("LT", ("Tomas", "Mantas", "Darius", "Andrius", "Vytautas"),
           ("Rūta", "Jurgita", "Inga", "Laura", "Eglė"),
           ("Kazlauskas", "Petrauskas", "Jankauskas", "Stankevičius", "Vasiliauskas")),
)})

RING_ORIGINS = MappingProxyType({
    "seksueel": ("RO", "BG", "HU", "NG", "CN", "TH", "NL", "NL", "BR", "UA"),
    "arbeid": ("RO", "BG", "PL", "UA", "VN", "CN", "LT", "SK", "NL"),
    "crimineel": ("NL", "NL", "MA", "RO", "VN", "ER", "TR"),
})
"""Nationalities that plausibly run (or are exploited by) a ring of each form."""


@dataclass(frozen=True, slots=True)
class Name:
    """A person's true name: full given names (as KvK holds them), tussenvoegsel, family name."""

    given: tuple[str, ...]
    prefix: str | None
    family: str

    @property
    def first(self) -> str:
        """The given name the person goes by."""
        return self.given[0]


def dutch_name(rng: random.Random, female: bool) -> Name:
    """A Dutch name; one in twenty carries a double family name such as 'Jansen-de Vries'."""
    pool = DUTCH_FEMALE if female else DUTCH_MALE
    given = tuple(rng.sample(pool, rng.choice((1, 1, 2, 2, 3))))
    prefix, family = rng.choice(DUTCH_FAMILY)
    if rng.random() < 0.05:
        second_prefix, second = rng.choice(DUTCH_FAMILY)
        if second != family:
            family = f"{family}-{second_prefix} {second}" if second_prefix else f"{family}-{second}"
    return Name(given, prefix, family)


def foreign_name(rng: random.Random, nationality: str, female: bool) -> Name:
    """A name of the given nationality; Dutch when the nationality has no pool."""
    origin = FOREIGN.get(nationality)
    if origin is None:
        return dutch_name(rng, female)
    given = rng.choice(origin.female if female else origin.male)
    family = rng.choice(origin.family)
    if female:
        family = origin.female_family(family)
    extra = (rng.choice(origin.female if female else origin.male),) if rng.random() < 0.15 else ()
    return Name((given, *extra) if extra and extra[0] != given else (given,), None, family)


def family_first(nationality: str) -> bool:
    """Whether the nationality writes the family name first."""
    origin = FOREIGN.get(nationality)
    return origin is not None and origin.family_first
