"""Stichting M. ``meldmisdaadanoniem-tips.jsonl``: anonymous tips in free Dutch text that mention
phones, plates, addresses, IBANs, e-mail addresses, websites, quoted business names and names;
sometimes the reporter's own number or address slips into the text."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from generator import noise, places
from generator.common import Corrupted, Draft, Mention, World, timestamp
from generator.entities import Address, Business, Person
from generator.rings import Ring

RING_SHARE = 0.3
NAME_NOISE = 0.35

OPENINGS = MappingProxyType({
    "seksueel": (
        "Elke ochtend om {uur} uur worden bij {bedrijf} aan de {adres} meisjes opgehaald.",
        "In de woning aan de {adres} wonen steeds andere jonge vrouwen die nooit alleen naar buiten gaan.",
        "Bij {bedrijf} werken jonge vrouwen die geen Nederlands spreken en in de salon lijken te slapen.",
        "Ik denk dat er bij {bedrijf} vrouwen tegen hun wil werken.",
    ),
    "arbeid": (
        "Op de {adres} wonen minstens {n} arbeiders in één huis.",
        "De schoonmakers van {bedrijf} worden elke ochtend om {uur} uur opgehaald aan de {adres}.",
        "Bij {bedrijf} werken mensen zeven dagen per week voor bijna niks.",
        "Mijn collega's bij {bedrijf} moeten hun paspoort inleveren bij de baas.",
    ),
    "crimineel": (
        "Jongeren uit de buurt dealen voor een man die aan de {adres} woont.",
        "Bij {bedrijf} hangen steeds minderjarige jongens rond die pakketjes wegbrengen.",
        "Een jongen van 15 heeft ineens dure kleding en zegt dat hij schulden moet afbetalen.",
    ),
    "overig": (
        "Er wordt gedeald vanuit de woning aan de {adres}.",
        "Mijn buurman aan de {adres} verhuurt kamers zonder vergunning.",
        "Bij {bedrijf} wordt volgens mij zwart gewerkt.",
        "Verdachte situatie bij {bedrijf}: 's nachts brandt er altijd licht en er komen busjes.",
        "Iemand probeert mij geld afhandig te maken.",
        "Er rijdt elke nacht een auto veel te hard door onze straat.",
    ),
})
DETAILS = MappingProxyType({
    "voertuig": ("Ze worden vervoerd in een busje met kenteken {v}.",
                 "Er staat vaak een auto met kenteken {v} voor de deur.",
                 "De man rijdt in een zwarte auto ({v})."),
    "telefoon": ("Ze bellen naar {v}.", "Op de advertentie staat het nummer {v}.",
                 "Het nummer van de baas is {v}.", "Je kunt ze bereiken via {v}"),
    "rekening": ("Het geld moet worden overgemaakt naar {v}.", "Het loon wordt gestort op rekening {v}.",
                 "Ze vragen om betaling op {v}."),
    "email": ("Contact loopt via {v}.", "Ze mailen vanaf {v}."),
    "website": ("De advertentie staat op {v}", "Kijk maar op {v} ."),
    "persoon": ("De man heet {v}.", "Een vrouw die zich {v} noemt, regelt alles.",
                "Volgens mij is {v} de baas."),
    "bedrijf": ("Het gaat om {v}.", "Het geld gaat via {v}."),
    "adres": ("Ze wonen aan de {v}.", "Ze slapen in een huis aan de {v}."),
})
CLOSINGS = ("", "", "Ik durf dit niet onder mijn naam te melden.", "Dit speelt al maanden.",
            "Ik maak me echt zorgen.", "Graag actie.")
REPORTER_PHONE = ("Bel mij gerust terug op {v}.", "Mijn nummer is {v}.")
REPORTER_EMAIL = ("U kunt mij mailen op {v}.",)


def written_address(rng: random.Random, address: Address) -> str:
    """'Hoogstraat 12, 4811 AB Breda' mostly; sometimes without postcode or with '4811AB'."""
    p = address.parts
    if p.addition in ("A", "B", "C"):
        number = f"{p.number}{p.addition}"
    else:
        number = f"{p.number}-{p.addition}" if p.addition else str(p.number)
    r = rng.random()
    if r < 0.7:
        return f"{p.street} {number}, {p.postcode} {p.place}"
    if r < 0.85:
        return f"{p.street} {number}, {p.postcode.replace(' ', '')} {p.place}"
    return f"{p.street} {number} in {p.place}"


def quoted(rng: random.Random, name: str) -> tuple[str, str]:
    """(text, surface): a business name in quotes, as tipsters write it."""
    r = rng.random()
    if r < 0.75:
        return f"'{name}'", name
    if r < 0.9:
        return f'"{name}"', name
    return name, name


class _Text:
    """Collects sentences and the mentions whose surfaces they contain."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.mentions: list[Mention] = []

    def say(self, sentence: str) -> None:
        if sentence:
            self.parts.append(sentence)

    def mention(self, kind: str, entity_id: str, ring: str | None, surface: str,
                reporter: bool = False) -> None:
        self.mentions.append(Mention("tekst", kind, entity_id, ring, surface, reporter))


class TipsSource:
    """Writes ``meldmisdaadanoniem-tips.jsonl``."""

    file = "meldmisdaadanoniem-tips.jsonl"
    header: str | None = None

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self._seq: dict[int, int] = {}

    def next(self, day: date) -> Draft:
        rng = self.rng
        text = _Text()
        address: Address | None
        if rng.random() < RING_SHARE:
            ring: Ring | None = self.world.ring()
            assert ring is not None
            form = ring.form
            chosen = rng.choice(ring.businesses_on(day))
            business: Business | None = chosen
            address = rng.choice(ring.housing_on(day)) if rng.random() < 0.6 else chosen.address_on(day)
            mi = ring.municipality_on(day)
        else:
            ring, form = None, "overig"
            business = self.world.innocent_business(day) if rng.random() < 0.5 else None
            person = self.world.innocent_person(reuse=0.3)
            address = business.address_on(day) if business else person.address
            mi = address.municipality if address else self.world.factory.municipality()
        self._opening(text, form, business, address)
        self._details(text, ring, business, day)
        melder, _, melder_mentions = self._reporter(text, mi)
        text.say(rng.choice(CLOSINGS))
        self._seq[day.year] = self._seq.get(day.year, 0) + 1
        ref = f"M-{day.year}-{self._seq[day.year]:06d}"
        minute = rng.choice((rng.randint(0, 24 * 60 - 1), rng.randint(18 * 60, 23 * 60 + 59)))
        name = places.MUNICIPALITIES[mi].name
        gemeente = rng.choice(places.DISPLAY_NAMES[name]) if name in places.DISPLAY_NAMES else name
        doc = {"tip_id": ref, "ontvangen": timestamp(day, minute), "gemeente": gemeente,
               "melder": melder, "tekst": " ".join(text.parts)}
        return Draft(ref, doc, [*melder_mentions, *text.mentions], ring.id if ring else None)

    def _opening(self, text: _Text, form: str, business: Business | None, address: Address | None) -> None:
        rng = self.rng
        options = [o for o in OPENINGS[form]
                   if ("{bedrijf}" not in o or business) and ("{adres}" not in o or address)]
        template = rng.choice(options)
        values: dict[str, str] = {"uur": str(rng.choice((5, 6, 7))), "n": str(rng.randint(6, 20))}
        if "{bedrijf}" in template and business:
            shown, surface = quoted(rng, noise.text_case(rng, business.name, 0.1))
            values["bedrijf"] = shown
            text.mention("bedrijf", business.id, business.ring, surface)
        if "{adres}" in template and address:
            values["adres"] = written_address(rng, address)
            text.mention("adres", address.id, address.ring, values["adres"])
        text.say(template.format(**values))

    def _details(self, text: _Text, ring: Ring | None, business: Business | None, day: date) -> None:
        rng = self.rng
        kinds = rng.sample(("voertuig", "telefoon", "rekening", "email", "website", "persoon", "adres"),
                           rng.randint(1, 3))
        for kind in kinds:
            found = self._pick(kind, ring, business, day)
            if found is None:
                continue
            entity_id, entity_ring, surface = found
            text.say(rng.choice(DETAILS[kind]).format(v=surface))
            text.mention(kind, entity_id, entity_ring, surface)

    def _pick(self, kind: str, ring: Ring | None, business: Business | None,
              day: date) -> tuple[str, str | None, str] | None:
        """An entity of ``kind`` for the tip and how the tipster writes it."""
        rng, world = self.rng, self.world
        if ring is not None:
            pools: dict[str, list[Any]] = {
                "voertuig": ring.vehicles, "telefoon": ring.phones, "rekening": ring.accounts,
                "email": ring.emails, "website": ring.websites,
                "persoon": ring.suspects, "adres": ring.housing_on(day)}
            if not pools[kind]:
                return None
            entity = rng.choice(pools[kind])
        else:
            if kind == "voertuig":
                entity = world.factory.vehicle(None)
            elif kind == "telefoon":
                entity = business.phone if business and business.phone and rng.random() < 0.5 \
                    else world.innocent_person(reuse=0.3).phone
            elif kind == "rekening":
                entity = world.factory.account(None) if rng.random() < 0.3 else None
            elif kind == "email":
                entity = business.email if business and rng.random() < 0.5 \
                    else world.innocent_person(reuse=0.3).email
            elif kind == "website":
                entity = business.website if business else None
            elif kind == "persoon":
                entity = world.innocent_person(reuse=0.3)
            else:
                entity = world.innocent_person(reuse=0.3).address
            if entity is None:
                return None
        return entity.id, entity.ring, self._surface(kind, entity)

    def _surface(self, kind: str, entity: Any) -> str:
        rng = self.rng
        if kind == "voertuig":
            return noise.plate(rng, entity.plate, 0.3)
        if kind == "telefoon":
            return noise.phone(rng, entity.number)
        if kind == "rekening":
            return noise.iban(rng, entity.iban, 0.6)
        if kind in ("email", "website"):
            return str(entity.address if kind == "email" else entity.url)
        if kind == "persoon":
            person: Person = entity
            if rng.random() < 0.5:
                return noise.split_name(rng, person.name, person.nationality, NAME_NOISE)[0]
            return noise.full_name(rng, person.name, person.nationality, NAME_NOISE)
        return written_address(rng, entity)

    def _reporter(self, text: _Text, mi: int) -> tuple[dict[str, str], Person | None, list[Mention]]:
        """The ``melder`` block (empty for a fully anonymous tip) and the reporter's slips."""
        rng = self.rng
        if rng.random() < 0.45:
            return {}, None, []
        person = self.world.innocent_person(mi, reuse=0.05)
        melder: dict[str, str] = {}
        mentions = [Mention("melder", "persoon", person.id, None)]
        if rng.random() < 0.6:
            melder["naam"] = noise.full_name(rng, person.name, person.nationality, 0.1)
        if person.phone and rng.random() < 0.8:
            melder["telefoon"] = noise.phone(rng, person.phone.number)
            mentions.append(Mention("melder.telefoon", "telefoon", person.phone.id, None))
            if rng.random() < 0.25:
                surface = noise.phone(rng, person.phone.number)
                text.say(rng.choice(REPORTER_PHONE).format(v=surface))
                text.mention("telefoon", person.phone.id, None, surface, reporter=True)
        if person.email and rng.random() < 0.7:
            melder["email"] = person.email.address
            mentions.append(Mention("melder.email", "email", person.email.id, None))
            if rng.random() < 0.15:
                text.say(rng.choice(REPORTER_EMAIL).format(v=person.email.address))
                text.mention("email", person.email.id, None, person.email.address, reporter=True)
        return melder, person, mentions

    def serialize(self, payload: Any) -> str:
        return json.dumps(payload, ensure_ascii=False)

    def revise(self, draft: Draft) -> tuple[Any, list[str]]:
        """The tipster called back: the same tip_id, received later, with the text extended."""
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        day = date.fromisoformat(doc["ontvangen"][:10]) + timedelta(days=rng.randint(1, 10))
        doc["ontvangen"] = timestamp(day, rng.randint(8 * 60, 23 * 60))
        doc["tekst"] += rng.choice((" Aanvulling: het gebeurt ook in het weekend.",
                                    " Aanvulling: vannacht was het weer raak.",
                                    " Aanvulling van melder: er zijn nu ook kinderen gezien."))
        return doc, ["ontvangen", "tekst"]

    def invalidate(self, draft: Draft) -> Corrupted:
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        kind = rng.choice(("broken_json", "invalid_timestamp", "missing_text", "missing_reference"))
        if kind == "invalid_timestamp":
            doc["ontvangen"] = rng.choice(("gisteravond", doc["ontvangen"][:16].replace("T", " ") + " uur"))
            return Corrupted(self.serialize(doc), kind, "ontvangen")
        if kind == "missing_text":
            doc["tekst"] = rng.choice(("", None, "   "))
            return Corrupted(self.serialize(doc), kind, "tekst")
        if kind == "missing_reference":
            del doc["tip_id"]
            return Corrupted(self.serialize(doc), kind, "tip_id")
        line = self.serialize(doc)
        return Corrupted(line[: rng.randint(len(line) // 3, len(line) - 2)], "broken_json", None)
