"""Text that looks alike reads alike: invisible characters and look-alike letters.

Customers' text (comments, usernames) is screened for sensitive terms, and provider
texts are shown to staff. Both can hide a word from a plain comparison: a zero-width
space inside it (``bad\\u200bterm``), a Cyrillic or Greek letter that looks Latin
(``bаdterm``), a fullwidth form (``ＢＡＤＴＥＲＭ``); and text-direction marks make a
name display as something else. ``skeleton`` is the one form such text is compared in,
after Unicode TR39: compatibility forms folded (NFKC), format characters (category Cf:
zero-width, bidi controls, soft hyphen…) removed, case folded, and look-alike letters
mapped to the Latin letter they imitate (``CONFUSABLES``).
"""

import unicodedata

# Cyrillic and Greek letters (lower case, as after casefold) that look like a Latin
# letter, with that letter: the Latin/Cyrillic/Greek subset of TR39's confusables.txt
# that matters for words in those scripts. Upper-case look-alikes (Cyrillic В Н К М Т,
# Greek Η Ν) are here through their lower case: casefold runs first. Digits are not
# mapped (``0``/``o``): leetspeak is a different game, and mapping it would match
# ordinary numbers.
CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "н": "h",
        "і": "i", "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p",
        "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "ү": "y", "ԝ": "w", "х": "x", "ԍ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j",
        # Latin letters that pass for others
        "ı": "i", "ȷ": "j", "ɡ": "g", "ɑ": "a", "ʏ": "y",
    }
)  # fmt: skip


def is_format_character(char: str) -> bool:
    """Whether ``char`` is an invisible format character (Unicode category Cf)."""
    return unicodedata.category(char) == "Cf"


def has_format_characters(text: str) -> bool:
    """Whether ``text`` holds a zero-width, text-direction or other format character."""
    return any(is_format_character(ch) for ch in text)


def strip_format_characters(text: str) -> str:
    """``text`` without its format characters (category Cf)."""
    return "".join(ch for ch in text if not is_format_character(ch))


def skeleton(text: str) -> str:
    """The form look-alike texts share: NFKC, no format characters, case folded, and
    Cyrillic/Greek look-alikes as the Latin letters they imitate."""
    folded = unicodedata.normalize("NFKC", strip_format_characters(text)).casefold()
    # casefold can leave text that NFKC would change again (e.g. "ǰ"): normalise twice.
    return unicodedata.normalize("NFKC", folded).translate(CONFUSABLES)
