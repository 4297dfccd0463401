"""Vietnamese text: NFC normalisation, name parts, collation keys and diacritic folding.

Vietnamese names sort by given name (the last word), then middle, then family name, in
the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y),
tones compared only after the letters (a à ả ã á ạ). Databases do not know this order,
so we store a key made of digits only: every collation (C, ICU, glibc) orders strings of
ASCII digits the same way as bytes, on SQLite and PostgreSQL alike.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
# Letters outside the Vietnamese alphabet (f, j, w, z in foreign names) sort after y.
_EXTRA = "fjwz"
_RANK = {ch: i + 1 for i, ch in enumerate(ALPHABET + _EXTRA)}
_OTHER_RANK = len(_RANK) + 1  # digits, punctuation and anything else

# Combining marks: the five tones, and the marks that make new letters.
_TONES = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return `text` in NFC with runs of white space folded to one space and trimmed."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def fold(text: str) -> str:
    """Lower-case `text` without diacritics: "Nguyễn Văn Đức" -> "nguyen van duc"."""
    return " ".join(_fold_word(word) for word in nfc(text).split(" "))


@functools.lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    # Names reuse a few hundred words: an import of 150,000 rows folds each once.
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class NameParts:
    """A Vietnamese personal name split into family, middle and given parts."""

    family: str
    middle: str
    given: str

    @property
    def full(self) -> str:
        return " ".join(part for part in (self.family, self.middle, self.given) if part)


def split_name(full_name: str) -> NameParts:
    """Split "Nguyễn Thị Minh Khai" into family "Nguyễn", middle "Thị Minh", given "Khai"."""
    words = nfc(full_name).split(" ")
    if not words or words == [""]:
        return NameParts("", "", "")
    if len(words) == 1:
        return NameParts("", "", words[0])
    return NameParts(words[0], " ".join(words[1:-1]), words[-1])


def _letters(word: str) -> list[tuple[int, int]]:
    """(letter rank, tone) for each letter of `word`."""
    result: list[tuple[int, int]] = []
    for cluster in _clusters(word.lower()):
        base, marks = cluster[0], cluster[1:]
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            else:
                base = _LETTER_MARKS.get((base, mark), base)
        result.append((_RANK.get(base, _OTHER_RANK), tone))
    return result


def _clusters(word: str) -> list[str]:
    """Split an NFD string into base characters each followed by its combining marks."""
    clusters: list[str] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch) and clusters:
            clusters[-1] += ch
        else:
            clusters.append("đ" if ch == "đ" else ch)
    return clusters


def collation_key(*words_in_order: str) -> str:
    """A digits-only key that sorts the given text in Vietnamese order.

    Letters are compared first across all the parts, tones only to break ties.
    """
    primary: list[str] = []
    secondary: list[str] = []
    for text in words_in_order:
        for word in nfc(text).split(" "):
            if not word:
                continue
            first, second = _word_key(word)
            primary.append(first)
            secondary.append(second)
    # "00" separates words, so that a shorter word sorts before a longer one that
    # starts with it ("An" before "Anh"); "0" parts never collide with ranks >= 01.
    return "00".join(primary) + "000" + "0".join(secondary)


@functools.lru_cache(maxsize=65536)
def _word_key(word: str) -> tuple[str, str]:
    """The letters and the tones of one word, as digits."""
    letters = _letters(word)
    return "".join(f"{rank:02d}" for rank, _ in letters), "".join(str(t) for _, t in letters)


def name_sort_key(full_name: str) -> str:
    """Sort key for a person: given name, then middle name, then family name."""
    parts = split_name(full_name)
    return collation_key(parts.given, parts.middle, parts.family)
