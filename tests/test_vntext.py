import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from chibo.lib.vntext import collation_key, fold, name_sort_key, nfc, split_name


def test_names_sort_by_given_then_middle_then_family_in_vietnamese_order() -> None:
    names = [
        "Trần Thị Anh",
        "Nguyễn Văn An",
        "Lê Văn Án",
        "Phạm Ăn",
        "Đỗ Thị Bình",
        "Hoàng Văn Đức",
        "Vũ Dũng",
        "Lý An",
    ]
    assert sorted(names, key=name_sort_key) == [
        "Lý An",
        "Lê Văn Án",
        "Nguyễn Văn An",
        "Trần Thị Anh",
        "Phạm Ăn",
        "Đỗ Thị Bình",
        "Vũ Dũng",
        "Hoàng Văn Đức",
    ]


def test_tones_only_break_ties_after_letters() -> None:
    words = ["ạ", "á", "ã", "ả", "à", "a"]
    assert sorted(words, key=collation_key) == ["a", "à", "ả", "ã", "á", "ạ"]
    # "Án" comes before "Anh": letters first, tones after.
    assert collation_key("Án") < collation_key("Anh")


def test_d_with_stroke_is_its_own_letter_after_d() -> None:
    assert sorted(["Đào", "Dung", "Em"], key=collation_key) == ["Dung", "Đào", "Em"]


def test_nfd_input_gives_the_same_name_key_and_search_text() -> None:
    composed = "Nguyễn Thị Ánh Tuyết"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert nfc(decomposed) == composed
    assert name_sort_key(decomposed) == name_sort_key(composed)
    assert fold(decomposed) == fold(composed) == "nguyen thi anh tuyet"


def test_fold_drops_diacritics_and_case() -> None:
    assert fold("  Đặng   Văn  ĐỨC ") == "dang van duc"


def test_split_name_keeps_family_middle_and_given() -> None:
    parts = split_name("Nguyễn Thị Minh Khai")
    assert (parts.family, parts.middle, parts.given) == ("Nguyễn", "Thị Minh", "Khai")
    assert split_name("Khai").given == "Khai"
    assert split_name("  ").full == ""


@given(st.text())
def test_keys_are_digits_only_for_any_text(text: str) -> None:
    # Digits compare the same way under every database collation.
    assert collation_key(text).isdigit() or collation_key(text) == "000"
    assert fold(text) == fold(unicodedata.normalize("NFD", text))
