import pytest

from rightsmap.dataset import load_labelled
from rightsmap.errors import DataError
from rightsmap.norms import LABELS
from rightsmap.resources import data_path


def test_bundled_corpus_loads_with_both_splits():
    data = load_labelled()
    assert len(data.subset("dev")) >= 100
    assert len(data.subset("train")) > len(data.subset("dev"))
    assert set(data.langs) >= {"en", "es", "fr"}
    Y = data.matrix()
    assert Y.shape == (len(data), len(LABELS))
    assert (Y.sum(axis=1) == 0).any(), "the corpus should hold negatives"


@pytest.mark.parametrize(
    ("name", "rows", "words"),
    [("testimonies.csv", 437, (20, 256)), ("short.csv", 195, (7, 25)), ("long.csv", 83, (321, 836))],
)
def test_heldout_sets_load_and_share_no_text_with_the_training_corpus(name, rows, words):
    """Row counts and word ranges as corpora/heldout/README.md gives them."""
    heldout = load_labelled(data_path("corpora", "heldout", name))
    assert len(heldout) == rows and set(heldout.langs) == {"en", "es", "fr"}
    assert (heldout.matrix().sum(axis=1) == 0).any()
    lengths = [len(t.split()) for t in heldout.texts]
    assert (min(lengths), max(lengths)) == words

    def norm(t):
        return " ".join(t.lower().split())

    assert not {norm(t) for t in heldout.texts} & {norm(t) for t in load_labelled().texts}


def test_a_folder_loads_every_csv_in_name_order_and_errors_name_the_file(tmp_path):
    (tmp_path / "round-02.csv").write_text(
        'text,labels,lang,split\n"no heat","UDHR-25","",""\n', encoding="utf-8"
    )
    (tmp_path / "round-01.csv").write_text('text,labels\n"a rude waiter",""\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("not a table", encoding="utf-8")
    data = load_labelled(tmp_path)
    assert data.texts == ["a rude waiter", "no heat"]
    assert data.labels == [[], ["UDHR-25"]] and data.splits == ["train", "train"]
    (tmp_path / "round-03.csv").write_text('text,labels\n"x","UDHR-99"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"(?s)round-03\.csv: 1 problem.*line 2, column 'labels'"):
        load_labelled(tmp_path)


def test_a_folder_without_csv_files_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"holds no \.csv files"):
        load_labelled(tmp_path)


def test_label_spellings_are_normalised(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text('text,labels\n"no heat","UDHR 25; icescr-11"\n', encoding="utf-8")
    data = load_labelled(f)
    assert data.labels == [["UDHR-25", "ICESCR-11"]]


def test_unknown_labels_are_listed_with_line_and_closest_id(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text('text,labels\n"a","UDHR-25"\n"b","UDHR-31;ICCPR-7"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3, column 'labels': unknown label 'UDHR-31'"):
        load_labelled(f)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("body,labels\nx,UDHR-1\n", r"missing column.*text.*columns found: body, labels"),
        ("", "is empty: expected a header row naming 'text'"),
        ("text,labels\n", "has a header but no labelled rows"),
        ("text;labels\nno heat;UDHR-25\n", "separates its fields with ';'"),
    ],
)
def test_a_file_that_cannot_be_used_says_why(tmp_path, content, says):
    f = tmp_path / "l.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=says):
        load_labelled(f)


def test_rows_that_cannot_be_read_as_they_are_stop_with_their_lines(tmp_path):
    """A row with a missing field, or bytes that are not UTF-8, must not be trained on quietly (a
    missing labels field would read as "engages no right", a wrong byte as a wrong word)."""
    f = tmp_path / "l.csv"
    f.write_bytes(b'text,labels\n"no heat","UDHR-25"\n"they took my phone"\n"d\xe9sol\xe9","UDHR-12"\n')
    with pytest.raises(DataError) as caught:
        load_labelled(f)
    assert "line 3: 1 fields where the header has 2" in str(caught.value)
    assert "line 4: bytes that are not UTF-8" in str(caught.value)
    f.write_text('text,labels,labels\n"no heat","","UDHR-25"\n', encoding="utf-8")
    with pytest.raises(DataError, match="the header repeats column"):
        load_labelled(f)


def test_labels_may_be_separated_by_commas_in_tsv_and_utf16_files(tmp_path):
    f = tmp_path / "l.tsv"
    f.write_text("text\tlabels\nno heat\tUDHR-25, ICESCR-11\n", encoding="utf-16")
    assert load_labelled(f).labels == [["UDHR-25", "ICESCR-11"]]


def test_jsonl_labels_may_be_a_list_and_a_record_without_labels_is_an_error(tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text(
        '{"text": "no heat", "labels": ["UDHR-25", "icescr 11"]}\n{"text": "a rude waiter", "labels": ""}\n',
        encoding="utf-8",
    )
    assert load_labelled(f).labels == [["UDHR-25", "ICESCR-11"], []]
    with f.open("a", encoding="utf-8") as out:
        out.write('{"text": "they took my phone"}\n')  # not "no right": not labelled at all
    with pytest.raises(DataError, match="line 3: no 'labels' field"):
        load_labelled(f)


def test_rows_without_a_language_get_the_one_their_words_suggest(tmp_path):
    """So `rightsmap evaluate` on a coalition's file splits its figures by the right language."""
    f = tmp_path / "l.csv"
    f.write_text(
        "text,labels\n"
        '"Nos cortaron la luz y el dueño no contesta","UDHR-25"\n'
        '"On nous a coupé le chauffage et le propriétaire ne répond pas","UDHR-25"\n'
        '"They cut off our heat and the landlord does not answer","UDHR-25"\n',
        encoding="utf-8",
    )
    assert load_labelled(f).langs == ["es", "fr", "en"]
