import json

import dask.dataframe as dd
import distributed
import pandas as pd
import pytest

import rightsmap.dask
from rightsmap.batch import ADDED_COLUMNS, tag_frame
from rightsmap.errors import DataError

TEXTS = [
    "The landlord shut off the heat in January and the pipes froze.",
    "Police beat my brother with batons while he was handcuffed.",
    "They purged me from the voter rolls and I could not vote.",
    "The bus was late again and I missed my show.",
    "My boss has not paid us for three weeks of work.",
    "",
    "La policía golpeó a mi hermano en la patrulla.",
    "The school expelled my son without a hearing.",
]


def test_tag_dataframe_on_a_local_cluster_matches_tag_frame(tagger):
    df = pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS})
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        ddf = dd.from_pandas(df, npartitions=4)
        out = rightsmap.dask.tag_dataframe(ddf, "text").compute().sort_values("id")
        loads = client.run(lambda: rightsmap.dask._model.cache_info().misses)
    expected = tag_frame(df, "text", tagger)
    assert list(out.columns) == ["id", "text", *ADDED_COLUMNS]
    assert out["rights"].tolist() == expected["rights"].tolist()
    assert out["top_article"].tolist() == expected["top_article"].tolist()
    assert "UDHR-5" in out.iloc[1]["rights"]
    assert sorted(loads.values()) == [1, 1]  # one model load per worker, however many partitions


def test_tag_dataframe_names_a_missing_column():
    ddf = dd.from_pandas(pd.DataFrame({"txt": ["a"]}), npartitions=1)
    with pytest.raises(DataError, match=r"'text'.*Did you mean 'txt'"):
        rightsmap.dask.tag_dataframe(ddf, "text")


def test_tag_dataframe_with_an_index_adds_recommendations_to_meta_and_rows(tmp_path, tagger):
    from rightsmap import upr

    records = [
        {"id": "X-1", "text": "End excessive force by police", "state_under_review": "Utopia"},
        {"id": "X-2", "text": "Guarantee access to adequate housing", "state_under_review": "Utopia"},
    ]
    (tmp_path / "recs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    upr.import_recommendations(tmp_path / "recs.jsonl", tmp_path / "idx", progress=False)
    ddf = dd.from_pandas(pd.DataFrame({"text": TEXTS[:2]}), npartitions=1)
    lazy = rightsmap.dask.tag_dataframe(ddf, "text", index=tmp_path / "idx")
    assert list(lazy.columns) == ["text", *ADDED_COLUMNS, "recommendations"]
    out = lazy.compute(scheduler="synchronous")
    assert list(out.columns) == list(lazy.columns)
    assert out["recommendations"].iloc[1].split(";")[0] == "X-1"  # the police beating
    assert "recommendations" not in rightsmap.dask.tag_dataframe(ddf, "text").columns
    with pytest.raises(DataError, match="no UPR index"):
        rightsmap.dask.tag_dataframe(ddf, "text", index=tmp_path / "none")
