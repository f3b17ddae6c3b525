"""Provider texts shown to staff carry no invisible characters: zero-width and
text-direction marks in a service's name or category would make it display as another."""

from decimal import Decimal

from smmpanel.providers.answer_parsers import parse_services


def test_invisible_characters_are_stripped_from_provider_service_names():
    entry = {
        "service": 1,
        "name": "Insta\u200bgram Likes \u202eSFEIL",
        "category": "\u2066Instagram\u2069",
        "type": "Default",
        "rate": Decimal("0.5"),
        "min": 10,
        "max": 100,
    }

    (remote,) = parse_services([entry])

    assert remote.name == "Instagram Likes SFEIL"
    assert remote.category == "Instagram"
