"""Entity resolution: the persons, businesses, locations, phones, e-mail addresses, bank
accounts, vehicles and websites that signals mention, resolved to stable entity ids.

Pure apart from one store (a faust Table in the worker, a dict in tests and offline): the
store is the only state, so a worker restarted from the table's changelog takes the same
decisions. Values are JSON; a value read is copied before it is changed and written back.

How a subject is resolved (``resolver.Resolver.resolve``):

1. A record id seen before gets its stored answer (method ``replay``); nothing changes.
2. Strong keys (``features``): person identifiers (scheme + value), business KvK number +
   normalised trade name, address (NL: postcode + number + addition; else every normalised
   part), E.164 phone, lower-case e-mail, IBAN, country + plate, website host + path. A record
   whose keys sit on two entities ties them: the younger merges into the older (method
   ``strong``).
3. Persons and businesses are then scored (``scoring``, Fellegi-Sunter weights in bits) against
   the entities found under their blocking keys (persons: birth date; sound of a family-name
   part + birth year; first initial + sound of a family-name part, also crosswise for swapped
   names. Businesses: KvK number, whole trade name, address; trade-name words only when those
   find nothing). Score >= link threshold links (method ``probable``); an entity that also
   scores so and agrees with the linked one on its own values is merged in (reason ``score``).
   When several entities within ``ambiguity_margin`` of the best fit but not each other (one
   name, two birth dates), the record links to none of them; a record that is only a name then
   joins the entity of earlier name-only mentions, if any (``matched_on`` ``score:vague``).
   Candidates from the review threshold up (at most ``review_limit``) become
   ``ReviewCandidate``s. Otherwise a new entity is made (method ``new``), its id
   ``<P|B|L|T|E|A|V|W>-`` + 16 hex of sha256(kind, record id).
4. Never linked or merged: entities of different kinds; persons with different values of one
   exclusive identifier scheme (``ResolverConfig.exclusive_schemes``); businesses with
   different KvK numbers (``kvk_exclusive``); a pair an analyst rejected (``Resolver.judge``;
   a confirmed pair is merged).
5. Generic values: an address held by more than ``generic_limit`` distinct entities gives no
   weight; a blocking key shared by ``block_cap`` entities is no longer searched.

Store keys: ``streams.store_keys`` names and explains every key and value field of the store;
``streams.resolve.state`` reads and writes them.
"""

from streams.resolve.config import ResolverConfig
from streams.resolve.model import Merge, Resolution, ReviewCandidate
from streams.resolve.resolver import Resolver

__all__ = ["Merge", "Resolution", "Resolver", "ResolverConfig", "ReviewCandidate"]
