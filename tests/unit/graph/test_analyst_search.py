"""Analyst search text into a Lucene query: operators never pass, identifiers in any spelling."""

from __future__ import annotations

import pytest

from graph.analyst.search import lucene_query, matched_fields
from graph.exceptions import QueryInputError


def test_words_must_all_match_as_prefix_or_one_typo_away() -> None:
    assert lucene_query("Jan de Vries").startswith("(jan* AND de* AND (vries* OR vries~1))")


@pytest.mark.parametrize("text", ['"x" OR *:*', "a:b AND c", "name~5^9 \\ / ( ) { } [ ]",
                                  "<script>alert(1)</script>"])
def test_lucene_syntax_in_the_text_is_dropped(text: str) -> None:
    query = lucene_query(text)
    body = query.replace(" AND ", " ").replace(" OR ", " ")
    assert not set(body) & set(':^\\/{}[]<>'), query
    assert "*:*" not in query


@pytest.mark.parametrize(("text", "form"), [("06-12345678", '"31612345678"'),
                                            ("nl91 abna 0417 1643 00", '"nl91abna0417164300"'),
                                            ("1234 ab", '"1234ab"')])
def test_an_identifier_is_also_searched_in_its_stored_form(text: str, form: str) -> None:
    assert form in lucene_query(text)


@pytest.mark.parametrize("text", ["", "?", "  !! ", "x" * 101])
def test_nothing_to_search_for_is_refused(text: str) -> None:
    with pytest.raises(QueryInputError):
        lucene_query(text)


def test_matched_fields_name_what_the_text_hit() -> None:
    props = {"family_name": "Vries", "given_name": "Jan", "city": "Breda",
             "number": "+31612345678"}
    assert matched_fields("jan", props) == ["given_name"]
    assert matched_fields("06-12345678", props) == ["number"]
