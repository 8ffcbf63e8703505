import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import rightsmap
from rightsmap.embed import WordsEmbedder, get_embedder, quantise_rows
from rightsmap.tagger import MAX_CHARS, WHOLE_CHARS, Tagger

HEAT = "My landlord turned off the heat in January and said he would evict us if we complained to the city."


def test_heat_shutoff_ranks_housing_first(tagger):
    r = tagger.tag(HEAT)
    assert r.tags, "expected at least one tag above threshold"
    assert r.tags[0].article in {"UDHR-25", "ICESCR-11"}


def test_module_level_tag_uses_the_default_model():
    r = rightsmap.tag(HEAT, top_k=3, min_confidence=0.0)
    assert len(r.tags) == 3
    assert r.tags[0].article in {"UDHR-25", "ICESCR-11"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The police beat my brother in the back of the van and broke his ribs.", {"UDHR-5", "ICCPR-7"}),
        (
            "They purged me from the voter rolls and I could not vote in the election.",
            {"UDHR-21", "ICCPR-25"},
        ),
        (
            "My boss has not paid us for three weeks of work at the warehouse.",
            {"UDHR-23", "ICESCR-7", "ICESCR-6"},
        ),
    ],
)
def test_clear_cases_rank_the_right_article_in_the_top_three(tagger, text, expected):
    top3 = {t.article for t in tagger.tag(text, top_k=3, min_confidence=0.0).tags}
    assert top3 & expected


def test_tags_are_sorted_and_carry_norm_details(tagger):
    r = tagger.tag(HEAT, min_confidence=0.0)
    conf = [t.confidence for t in r.tags]
    assert conf == sorted(conf, reverse=True) and len(conf) == 72
    t = next(t for t in r.tags if t.article == "UDHR-25")
    assert t.instrument == "UDHR" and "ICESCR-11" in t.related and t.title
    assert all(0.0 <= c <= 1.0 for c in conf)


def test_evidence_offsets_slice_back_to_the_input(tagger):
    text = "We moved in last May.\nThe landlord shut off the heat in January and the kids got sick."
    r = tagger.tag(text, top_k=1, min_confidence=0.0)
    ev = r.tags[0].evidence
    assert ev and all(text[e.start : e.end] == e.text for e in ev)
    assert "heat" in ev[0].text


def test_default_tags_respect_the_thresholds(tagger):
    r = tagger.tag(HEAT)
    idx = {aid: j for j, aid in enumerate(tagger.labels)}
    assert all(t.confidence >= tagger.thresholds_[idx[t.article]] - 1e-4 for t in r.tags)


def test_list_in_list_out_matches_single_calls(tagger):
    texts = [HEAT, "Police took my phone at the protest."]
    batch = tagger.tag(texts)
    assert isinstance(batch, list) and len(batch) == 2
    assert [t.article for t in batch[1].tags] == [t.article for t in tagger.tag(texts[1]).tags]


def test_empty_text_gives_a_warning_not_an_exception(tagger):
    for text in ["", "   \n\t"]:
        r = tagger.tag(text)
        assert r.tags == [] and r.warnings == ["empty text: nothing to tag"]


def test_non_string_input_names_the_type(tagger):
    with pytest.raises(TypeError, match="got int"):
        tagger.tag(42)
    with pytest.raises(TypeError, match="text 1 is NoneType"):
        tagger.tag(["ok", None])


def test_bad_options_are_rejected(tagger):
    with pytest.raises(ValueError, match="top_k"):
        tagger.tag(HEAT, top_k=0)
    with pytest.raises(ValueError, match="min_confidence"):
        tagger.tag(HEAT, min_confidence=1.5)


def test_very_long_text_is_processed_in_chunks_and_truncated_with_a_warning(tagger):
    long_text = (HEAT + " ") * ((MAX_CHARS // len(HEAT)) + 50)
    r = tagger.tag(long_text, top_k=1, min_confidence=0.0)
    assert r.tags[0].article in {"UDHR-25", "ICESCR-11"}
    assert any("only the first" in w for w in r.warnings)


def test_nul_bytes_are_read_as_spaces_with_a_warning(tagger):
    r = tagger.tag("The landlord\x00 shut off the heat.")
    assert any("control characters" in w for w in r.warnings)


def test_to_dict_is_json_safe(tagger):
    d = tagger.tag(HEAT).to_dict()
    again = json.loads(json.dumps(d))
    assert again["tags"][0]["article"] == d["tags"][0]["article"]
    assert set(again) == {"text", "tags", "recommendations", "suggestions", "warnings", "withheld"}


def test_save_and_load_round_trip(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    again = Tagger.load(tmp_path / "m")
    texts = [HEAT, "Police took my phone at the protest."]
    assert np.allclose(again.predict_proba(texts), tagger.predict_proba(texts), atol=1e-6)
    card = (tmp_path / "m" / "README.md").read_text()
    assert "Intended use" in card and tagger.embedder.name in card
    assert "neural network (one hidden layer of 256 units)" in card
    with np.load(tmp_path / "m" / "weights.npz") as npz:  # the larger arrays are kept small
        assert all(npz[k].dtype == np.float16 for k in ("prototypes", "joint_hidden", "coef", "whole0_coef"))


def test_model_built_with_another_embedder_is_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["embedder"]["fingerprint"] = "0000000000000000"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match="rebuild the model"):
        Tagger.load(tmp_path / "m")


def test_pickled_arrays_are_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    np.savez(tmp_path / "m" / "weights.npz", prototypes=np.array([object()], dtype=object))
    with pytest.raises(rightsmap.ModelError, match="only plain numeric arrays"):
        Tagger.load(tmp_path / "m")


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(rightsmap.ModelError, match="not a rightsmap model directory"):
        rightsmap.load(tmp_path)


def test_tagging_never_opens_a_network_connection():
    code = """
import socket
def refuse(*a, **k):
    raise AssertionError("network connection attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
import rightsmap
r = rightsmap.tag("The landlord shut off our heat in January.")
print(r.tags[0].article)
"""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() in {"UDHR-25", "ICESCR-11"}


def test_everyday_complaint_engages_no_right(tagger):
    r = tagger.tag("My team lost again on Sunday and the pizza we ordered arrived cold. What a weekend.")
    assert r.tags == []
    # an explicit floor still gives the ranking
    assert len(tagger.tag(r.text, top_k=3, min_confidence=0.0).tags) == 3


def test_a_text_judged_to_engage_no_right_lists_its_strong_articles_as_withheld(tagger, monkeypatch):
    assert tagger.tag(HEAT).withheld == []  # tagged: nothing withheld
    # as if the "no right engaged" head doubted every text; the probabilities are the model's
    monkeypatch.setattr(tagger.scorer, "engaged", lambda X: np.zeros(len(X), dtype=bool))
    phone, bus = tagger.tag(["Police took my phone at the protest.", "The bus was late again."])
    assert phone.tags == [] and bus.tags == [] and bus.withheld == []
    assert "UDHR-12" in [t.article for t in phone.withheld]
    confidences = [t.confidence for t in phone.withheld]
    assert min(confidences) >= 0.5 and confidences == sorted(confidences, reverse=True)
    assert phone.withheld[0].evidence[0].text == phone.text
    # a floor of one's own tags those articles instead, and withholds nothing
    floor = tagger.tag(phone.text, min_confidence=0.5)
    assert [t.article for t in floor.tags] == [t.article for t in phone.withheld] and floor.withheld == []
    assert len(tagger.tag(phone.text, top_k=1).withheld) == 1


def test_only_the_no_right_judgement_withholds_articles(tagger, monkeypatch):
    # a text the model judges to engage a right but whose articles all miss the rule: no tag,
    # and nothing withheld either, however high an article scores
    monkeypatch.setattr(tagger.scorer, "decide", lambda proba, engaged: np.zeros(proba.shape, dtype=bool))
    result = tagger.tag(HEAT)
    assert result.tags == [] and result.withheld == []
    assert tagger.tag(HEAT, min_confidence=0.5).tags  # its articles do score 0.5 or more


def test_predict_matches_the_default_tags(tagger):
    texts = [HEAT, "My team lost again on Sunday and the pizza arrived cold."]
    decisions = tagger.predict(texts)
    for row, result in zip(decisions, tagger.tag(texts), strict=True):
        assert {tagger.labels[j] for j in np.flatnonzero(row)} == {t.article for t in result.tags}


class EnglishOnly:
    """A whole-text embedder that records what it was asked to encode."""

    name = "english-only"
    dim = 3
    fingerprint = "fake"
    languages = ("en",)

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts, batch_size=64):
        self.seen += list(texts)
        return np.ones((len(texts), 3), dtype=np.float32) / np.sqrt(3)


def test_english_only_whole_text_embedder_reads_english_texts_only(tagger):
    fake = EnglishOnly()
    probe = Tagger(tagger.embedder, tagger.scorer, whole_text=[fake])
    texts = [HEAT, "Nos cortaron la luz y el dueño no contesta nunca el teléfono.", "   "]
    encoded = probe._encode(texts)[0]
    vectors, mask = encoded.whole[0]
    assert fake.seen == [HEAT]
    assert mask.tolist() == [True, False, False]
    assert not vectors[1:].any()


def test_whole_text_embedders_read_a_bounded_prefix_of_very_long_texts(tagger):
    fake = EnglishOnly()
    Tagger(tagger.embedder, tagger.scorer, whole_text=[fake])._encode([HEAT * 200])
    assert fake.seen == [(HEAT * 200)[:WHOLE_CHARS]]


def test_default_model_reads_whole_texts(tagger):
    assert [e.name for e in tagger.whole_text] == ["use", "minilm", "words", "tfidf"]
    assert len(tagger.scorer.whole_) == 4


def test_a_model_keeps_its_own_words_when_the_framing_guide_changes(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    words = meta["whole_text"][2]
    assert words["name"] == "words" and words["groups"] == get_embedder("words").settings["groups"]
    words["groups"][0].append("a word framing.json gained later")  # its fingerprint no longer fits
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match=r"'words'.*rebuild the model"):
        Tagger.load(tmp_path / "m")
    words["groups"][0] = ["xyzzy"]  # edited consistently: the model reads its own words
    words["fingerprint"] = WordsEmbedder(words["groups"], words["scale"]).fingerprint
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    assert Tagger.load(tmp_path / "m").whole_text[2].encode(["xyzzy"])[0, 0] > 0
    n = words["dim"]
    words["groups"] = words["groups"][1:]  # one group short of what the heads were fitted on
    words["fingerprint"] = WordsEmbedder(words["groups"], words["scale"]).fingerprint
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match=f"'words' has {n - 1} groups of words, not {n}"):
        Tagger.load(tmp_path / "m")
    words["dim"] = n - 1
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(
        rightsmap.ModelError,
        match=rf"'words' has {n - 1} dimensions in model\.json, but its heads in weights\.npz expect {n}",
    ):
        Tagger.load(tmp_path / "m")
    del words["scale"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match="model files lack 'scale'"):
        Tagger.load(tmp_path / "m")


def test_model_card_names_the_whole_text_embedders(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    card = (tmp_path / "m" / "README.md").read_text()
    assert "\n- Whole-text embedder `minilm`" in card  # one list item per embedder
    assert "texts read as en or unsure" in card
    n = int(tagger.meta["metrics"]["dev"]["n"])
    assert f"\n| n | {n:,} |\n" in card and n > 1000  # a count with separators, not 1862.000
    assert re.search(r"`words` \(fingerprint `\w+`\) marks which of \d+ groups of words", card)
    assert re.search(r"`tfidf` \(fingerprint `\w+`\) reads each text.s words and word pairs \(8,000 of", card)
    assert "The labels of the 30 training testimonies most similar to a text" in card
    assert "keeps one vector (int8, at most 192 numbers) per training testimony" in card
    assert "The model keeps one vector per training testimony" in card


def test_whole_text_embedder_with_other_weights_is_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["whole_text"][1]["fingerprint"] = "0000000000000000"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match=r"'minilm'.*rebuild the model"):
        Tagger.load(tmp_path / "m")


def test_format_1_model_directory_still_loads_without_whole_text_heads(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["format_version"] = 1
    for key in ("whole_weight", "gate_whole", "joint_weight"):
        del meta["scorer"][key]
    del meta["whole_text"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith(("whole", "embedder", "joint"))}
    arrays["any_coef"] = arrays["any_coef"][: tagger.embedder.dim]  # the gate read the document vector
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    old = Tagger.load(tmp_path / "m")
    assert old.whole_text == () and old.scorer.whole_ == []
    assert old.tag(HEAT).tags  # sentence heads alone still tag


def test_format_2_model_directory_still_loads_without_the_joint_network(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["format_version"] = 2
    del meta["scorer"]["gate_whole"], meta["scorer"]["joint_weight"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith("joint")}
    arrays["any_coef"] = arrays["any_coef"][: tagger.embedder.dim]
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    old = Tagger.load(tmp_path / "m")
    assert old.scorer.joint_ is None and old.scorer.gate_whole is False
    assert old.tag(HEAT).tags
    meta["format_version"] = 6
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match="version 6 is not 'rightsmap-model' version 1 to 5"):
        Tagger.load(tmp_path / "m")


def test_format_3_model_directory_still_loads_without_neighbour_votes(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["format_version"] = 3
    del meta["scorer"]["neighbours"]
    meta["scorer"]["calibration"] = meta["scorer"]["calibration"][:2]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith("neighbour")}
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    old = Tagger.load(tmp_path / "m")
    assert old.scorer.neighbours == 0 and old.scorer.pool_ is None
    assert old.tag(HEAT).tags


def test_format_4_model_directory_with_whole_training_vectors_still_loads(tagger, tmp_path):
    # format 4 kept each training vector whole (int8) and no directions to project on
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["format_version"] = 4
    del meta["scorer"]["neighbour_dims"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files if k != "neighbour_components"}
        whole = (npz["neighbour_vectors"] * npz["neighbour_scales"][:, None]) @ npz["neighbour_components"].T
    arrays["neighbour_vectors"], arrays["neighbour_scales"] = quantise_rows(whole)
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    old = Tagger.load(tmp_path / "m")
    assert old.scorer.neighbour_dims == 0 and old.scorer.pool_.components is None
    assert old.scorer.pool_.vectors.shape[1] == 512
    # the same neighbours, at cosines scaled by how much of the text lies along the directions
    assert old.tag(HEAT).tags[0].article == tagger.tag(HEAT).tags[0].article


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (
            {"neighbour_vectors": (slice(None), slice(0, 100))},
            "vectors and directions in weights.npz disagree",
        ),
        (
            {"neighbour_components": (slice(0, 384), slice(None))},
            "votes' pool in weights.npz expects 384 dimensions, but model.json's embedders give 512",
        ),
    ],
)
def test_neighbour_pool_of_another_size_is_refused(tagger, tmp_path, cut, message):
    tagger.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    for name, index in cut.items():
        arrays[name] = arrays[name][index]
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    with pytest.raises(rightsmap.ModelError, match=re.escape(message)):
        Tagger.load(tmp_path / "m")


def test_whole_text_list_that_disagrees_with_the_weights_is_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["whole_text"] = meta["whole_text"][:1]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(rightsmap.ModelError, match="disagree on the whole-text embedders"):
        Tagger.load(tmp_path / "m")


def test_no_right_gate_of_another_size_is_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["any_coef"] = arrays["any_coef"][: tagger.embedder.dim]
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    message = r"'no right engaged' head in weights\.npz expects 512 dimensions"
    with pytest.raises(rightsmap.ModelError, match=message):
        Tagger.load(tmp_path / "m")


def test_joint_network_of_another_size_is_refused(tagger, tmp_path):
    tagger.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["joint_hidden"] = arrays["joint_hidden"][:-1]
    np.savez(tmp_path / "m" / "weights.npz", **arrays)
    with pytest.raises(rightsmap.ModelError, match=r"joint network in weights\.npz expects 1773 dimensions"):
        Tagger.load(tmp_path / "m")
