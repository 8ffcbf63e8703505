from rightsmap.text import clean, split_sentences


def test_offsets_slice_back_to_each_sentence():
    text = "  My landlord cut the heat.\n\nDr. Lee said the kids have asthma!  ¿Y la ciudad? Nada."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "My landlord cut the heat.",
        "Dr. Lee said the kids have asthma!",
        "¿Y la ciudad?",
        "Nada.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_line_breaks_end_sentences():
    assert [s.text for s in split_sentences("no heat\nno water\n\n3 kids")] == [
        "no heat",
        "no water",
        "3 kids",
    ]


def test_unpunctuated_run_on_text_is_cut_into_bounded_pieces():
    text = "and then they came back " * 200
    sents = split_sentences(text)
    assert len(sents) > 1
    assert max(len(s.text) for s in sents) <= 600
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_clean_keeps_length_so_offsets_hold():
    assert clean("a\x00b\x0cc") == "a b c"


def test_whitespace_only_text_has_no_sentence():
    assert split_sentences(" \n\t ") == []
