"""Thresholds and limits of the resolver."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ResolverConfig(BaseModel):
    """Scores are Fellegi-Sunter weights in bits (``streams.resolve.scoring``).

    Chosen on generated data (seeds 3 and 7, checked on 11) for pairwise F1: a person links on
    exact given and family name (7.8 + 7.6 bits), on a family name with fitting initials (11.9)
    or on a name with one typo (11.2 to 12.6) when nothing disagrees and no other entity fits as
    well (``ambiguity_margin``), or on a birth date (13.3) with a compatible name; initials with
    a typo'd family name (9.1) are proposed for review. Another birth date (not a typo of it)
    outweighs a shared name, address and nationality (``scoring``: father and son). A business
    links on its exact trade name (10.9) when nothing disagrees; a typo'd name (5.8) or a shared
    word is proposed for review. A shared address alone never links a person (9.8 bits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link_threshold: float = Field(default=11.0, description="Score from which a record links.")
    review_threshold: float = Field(default=9.0,
                                    description="Score from which a non-linking candidate is "
                                                "proposed for review.")
    business_link_threshold: float = Field(default=10.0,
                                           description="Link threshold for businesses.")
    business_review_threshold: float = Field(default=5.0,
                                             description="Review threshold for businesses.")
    ambiguity_margin: float = Field(default=2.0, ge=0,
                                    description="Two candidates above the link threshold that are "
                                                "not one entity and lie closer than this are "
                                                "ambiguous: the record links to neither.")
    review_limit: int = Field(default=3, ge=0, description="Review candidates per record.")
    generic_limit: int = Field(default=12, ge=1,
                               description="An address held by more distinct entities than this "
                                           "gives no weight in scoring.")
    block_cap: int = Field(default=64, ge=2,
                           description="A blocking key filed under by this many entities is "
                                       "generic: it stops growing and is not searched.")
    value_cap: int = Field(default=6, ge=1,
                           description="Values kept per profile field (spellings seen).")
    exclusive_schemes: frozenset[str] = Field(
        default=frozenset({"bsn-pseudonym", "patient-pseudonym", "passport", "id-card", "v-number"}),
        description="Person identifier schemes of which two different values mean two persons.")

    kvk_exclusive: bool = Field(default=True,
                                description="Businesses with different KvK numbers are never "
                                            "linked or merged (a new KvK number at the same name "
                                            "and address is a new business).")

    @model_validator(mode="after")
    def _ordered(self) -> ResolverConfig:
        if self.review_threshold > self.link_threshold \
                or self.business_review_threshold > self.business_link_threshold:
            raise ValueError("a review threshold must not exceed its link threshold")
        return self

    def thresholds(self, kind: str) -> tuple[float, float]:
        """(link, review) for a subject type."""
        if kind == "business":
            return self.business_link_threshold, self.business_review_threshold
        return self.link_threshold, self.review_threshold
