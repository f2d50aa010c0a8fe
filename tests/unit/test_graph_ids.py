"""LineageGraph merges, walks and provenance; stable ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lineage import ids
from lineage.graph import LineageGraph
from lineage.model import Edge, EdgeKind, Node, NodeKind


@pytest.mark.parametrize("url", [
    "https://github.com/Org/Repo.git",
    "https://user:s3cret@GitHub.com/Org/Repo",
    "git@github.com:Org/Repo.git",
    "ssh://git@github.com/Org/Repo.git/",
])
def test_remote_urls_normalize_to_one_repository(url: str) -> None:
    assert ids.repository_id(url) == "repository:github.com/Org/Repo"


def test_credentials_are_stripped() -> None:
    assert ids.strip_credentials("https://bob:tok@host.org/x.git") == "https://host.org/x.git"
    assert "tok" not in ids.repository_id("https://bob:tok@host.org/x.git")


@pytest.mark.parametrize("url,secret", [
    ("https://acc.blob.core.windows.net/c/f.csv?sv=2020-08-04&sp=r&sig=abc%2Bdef%3D", "abc"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIAEXAMPLE"
     "&X-Amz-Signature=f00d&X-Amz-Security-Token=tok3n", "AKIA"),
    ("https://storage.googleapis.com/b/o?X-Goog-Credential=svc%40p&X-Goog-Signature=0bad",
     "0bad"),
    ("https://u:pw@example.com/data.csv?api_key=k3y&token=t0k", "k3y"),
    ("https://example.com/d.csv?key=AIzaSecret", "AIza"),
])
def test_secret_query_parameters_are_redacted(url: str, secret: str) -> None:
    clean = ids.strip_credentials(url)
    assert secret not in clean and "REDACTED" in clean
    assert clean.split("?")[0] == url.split("?")[0].replace("u:pw@", "")


def test_urls_without_secrets_are_kept_as_written() -> None:
    for url in ("https://example.com/d.csv?path=a/b&monkey=1&version=3", "s3://bucket/path",
                "git@github.com:o/r.git", "https://host.org/x.git", "gs://b/o?generation=2",
                "sqlite:///mlflow.db", "file:///tmp/mlruns", "sqlite:////abs/path.db"):
        assert ids.strip_credentials(url) == url


def test_repository_without_remote_uses_root_commit() -> None:
    assert ids.repository_id(None, "abc") == "repository:root:abc"


def test_node_make_validates_and_compacts() -> None:
    n = Node.make(NodeKind.COMMIT, ids.commit_id("ABC"), sha="abc", message=None)
    assert n.id == "commit:abc" and "message" not in n.attrs
    with pytest.raises(ValidationError):
        Node.make(NodeKind.RISK_ASSESSMENT, "risk_assessment:x", model_group="g", tier="extreme")


def _chain() -> LineageGraph:
    g = LineageGraph()
    raw = ids.data_id("repository:r", "data/raw.csv", "md5:1")
    c0, c1 = ids.commit_id("0" * 40), ids.commit_id("1" * 40)
    run = ids.run_id("lineage", "r1")
    m = ids.model_id("churn", "v1")
    g.add([
        Node.make(NodeKind.COMMIT, c0, sha="0" * 40),
        Node.make(NodeKind.COMMIT, c1, sha="1" * 40, parents=["0" * 40]),
        Node.make(NodeKind.DATA, raw, path="data/raw.csv", hash="md5:1"),
        Node.make(NodeKind.RUN, run, source="lineage", run_id="r1"),
        Node.make(NodeKind.MODEL, m, group="churn", version="v1"),
        Edge.make(EdgeKind.PARENT, c0, c1),
        Edge.make(EdgeKind.CODE, c1, run, dirty=False),
        Edge.make(EdgeKind.INPUT, raw, run, pin="strong"),
        Edge.make(EdgeKind.PRODUCED, run, m),
        Edge.make(EdgeKind.DEPLOYED_AS, m, "deployment:churn:prod:2026"),
    ])
    return g


def test_provenance_is_everything_upstream_without_commit_history() -> None:
    g = _chain()
    prov = g.provenance("model:churn@v1")
    assert set(prov.node_ids()) == {
        "model:churn@v1", "run:lineage:r1", "commit:" + "1" * 40, "data:r:data/raw.csv@md5:1",
    }
    assert g.downstream("data:r:data/raw.csv@md5:1") == {
        "run:lineage:r1", "model:churn@v1", "deployment:churn:prod:2026"}


def test_dangling_reference_becomes_placeholder_until_described() -> None:
    g = _chain()
    assert g.is_placeholder("deployment:churn:prod:2026")
    g.add_node(Node.make(NodeKind.DEPLOYMENT, "deployment:churn:prod:2026",
                         model="model:churn@v1", environment="prod"))
    assert not g.is_placeholder("deployment:churn:prod:2026")


def test_merge_is_deterministic_and_node_link_round_trips() -> None:
    a, b = _chain(), _chain()
    b.add_node(Node.make(NodeKind.COMMIT, ids.commit_id("1" * 40), sha="1" * 40))
    assert a.to_node_link() == b.to_node_link()
    again = LineageGraph.from_node_link(a.to_node_link())
    assert again.to_node_link() == a.to_node_link()


def test_provenance_follows_same_as_both_ways() -> None:
    g = _chain()
    g.add_edge(Edge.make(EdgeKind.SAME_AS, "model:churn@v1", "model:churn@3"))
    g.add_edge(Edge.make(EdgeKind.TAGGED, "commit:" + "0" * 40, "model:churn@3"))
    assert {"model:churn@v1", "run:lineage:r1"} <= set(g.provenance("model:churn@3").node_ids())
    assert "model:churn@3" in g.provenance("model:churn@v1").node_ids()


@pytest.mark.parametrize("url,clean", [
    # an empty authority stays an authority (urllib would write sqlite:/mlflow.db)
    ("sqlite://alice:pw@/mlflow.db", "sqlite:///mlflow.db"),
    ("sqlite://alice:pw@//abs/mlflow.db", "sqlite:////abs/mlflow.db"),
    ("postgresql://u:p@db:5432/mlflow?sslmode=require", "postgresql://db:5432/mlflow?sslmode=require"),
    # everything else as written: path, query order and spelling, fragment, port
    ("https://u:p@h:0443/a%2Fb//c/?b=2&a=1&a=3#frag", "https://h:0443/a%2Fb//c/?b=2&a=1&a=3#frag"),
    ("https://u:p@[::1]:5000/x", "https://[::1]:5000/x"),
    ("https://h/x?token=&flag&sig=a=b", "https://h/x?token=REDACTED&flag&sig=REDACTED"),
    ("https://h/cb#access_token=t0k&state=1", "https://h/cb#access_token=REDACTED&state=1"),
    # the host is lower-cased when the credentials are cut, as ids stored so far were built
    ("https://bob:tok@GitHub.com/Org/Repo.git", "https://github.com/Org/Repo.git"),
    ("https://GitHub.com/Org/Repo.git", "https://GitHub.com/Org/Repo.git"),
])
def test_strip_credentials_rebuilds_by_hand(url: str, clean: str) -> None:
    assert ids.strip_credentials(url) == clean


def test_strip_credentials_never_raises_on_what_urllib_rejects() -> None:
    assert ids.strip_credentials("http://u:p@[::1/x?token=t") == "http://[::1/x?token=REDACTED"
    assert ids.strip_credentials("http://u:p@h:port/") == "http://h:port/"


_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~%", min_size=1, max_size=8)
_secret_names = st.sampled_from(["token", "sig", "X-Amz-Signature", "api_key", "password",
                                 "client_secret", "key", "access-key", "X-Goog-Credential"])
_plain_names = st.sampled_from(["path", "version", "monkey", "x", "sv", "generation", "keys"])


@st.composite
def _urls(draw: st.DrawFn) -> tuple[str, str, bool]:
    """(url, the url expected back, whether it carried anything to remove)."""
    scheme = draw(st.sampled_from(["https", "http", "s3", "sqlite", "postgresql", "git+ssh"]))
    host = draw(st.sampled_from(["", "Host.Example.com", "h", "[::1]", "10.0.0.1"]))
    port = draw(st.sampled_from(["", ":5000", ":0080"])) if host else ""
    user = draw(st.one_of(st.none(), st.just("SECRETuser")))
    password = draw(st.one_of(st.none(), st.just("SECRETpw"))) if user else None
    path = "".join("/" + draw(_word) for _ in range(draw(st.integers(0, 3))))
    params = draw(st.lists(st.tuples(st.one_of(_secret_names, _plain_names), st.booleans(),
                                     _word), max_size=4))
    fragment = draw(st.one_of(st.none(), _word))
    removed = user is not None
    raw_q, clean_q = [], []
    for name, secret, value in params:
        is_secret = ids._SECRET_PARAM.match(name) is not None
        v = f"SECRET{value}" if is_secret and secret else value
        raw_q.append(f"{name}={v}")
        clean_q.append(f"{name}=REDACTED" if is_secret else f"{name}={v}")
        removed |= is_secret
    q = ("?" + "&".join(raw_q)) if params else ""
    cq = ("?" + "&".join(clean_q)) if params else ""
    f = f"#{fragment}" if fragment is not None else ""
    cred = f"{user}{':' + password if password else ''}@" if user else ""
    url = f"{scheme}://{cred}{host}{port}{path}{q}{f}"
    clean_host = (host.lower() if user else host) + port
    return url, f"{scheme}://{clean_host}{path}{cq}{f}", removed


@given(_urls())
def test_strip_credentials_property(case: tuple[str, str, bool]) -> None:
    url, expected, removed = case
    clean = ids.strip_credentials(url)
    assert "SECRET" not in clean  # no credential nor secret value ever survives
    assert clean == expected  # and nothing else is touched
    if not removed:
        assert clean == url


@pytest.mark.parametrize("url,clean", [
    # JDBC URLs: the subprotocol is part of the scheme
    ("jdbc:postgresql://etl:SEKRET1@db:5432/crm", "jdbc:postgresql://db:5432/crm"),
    ("jdbc:mysql://db:3306/crm?user=etl&password=SEKRET1", "jdbc:mysql://db:3306/crm?user=etl&password=REDACTED"),
    # SQL Server's own style: properties after ';', in the authority or after the path
    ("jdbc:sqlserver://db:1433;user=sa;password=SEKRET2", "jdbc:sqlserver://db:1433;user=sa;password=REDACTED"),
    ("sqlserver://db:1433;databaseName=crm;Password=SEKRET2;encrypt=true",
     "sqlserver://db:1433;databaseName=crm;Password=REDACTED;encrypt=true"),
    ("jdbc:sqlserver://db\\SQLEXPRESS;accessToken=SEKRET2", "jdbc:sqlserver://db\\SQLEXPRESS;accessToken=REDACTED"),
    # Oracle thin: user/password before '@'
    ("jdbc:oracle:thin:scott/SEKRET4@db.example.com:1521:orcl", "jdbc:oracle:thin:@db.example.com:1521:orcl"),
    ("jdbc:oracle:thin:scott/SEKRET4@//db:1521/svc", "jdbc:oracle:thin:@//db:1521/svc"),
    ("jdbc:oracle:thin:@db:1521:orcl", "jdbc:oracle:thin:@db:1521:orcl"),
    # a password holding a character that ends the authority when it is not percent-encoded
    ("mysql://etl:pa#SEKRET3@db:3306", "mysql://db:3306"),
    ("postgres://etl:p/SEKRET5@db:5432", "postgres://db:5432"),
    ("postgres://etl:p/SEKRET5@db/crm", "postgres://db/crm"),
    ("postgres://etl:p@ss/SEKRET5@db:5432/crm", "postgres://db:5432/crm"),
    ("postgres://etl:p@ss/SEKRET5@db.internal/crm?sslmode=require", "postgres://db.internal/crm?sslmode=require"),
    ("mongodb://etl:p?SEKRET6@db:27017", "mongodb://db:27017"),
])
def test_strip_credentials_database_urls(url: str, clean: str) -> None:
    assert ids.strip_credentials(url) == clean
    assert "SEKRET" not in ids.strip_credentials(url)


def test_paths_with_at_signs_are_not_credentials() -> None:
    for url, clean in (("s3://bucket/models/churn@v2/model.pkl", None),
                       ("hdfs://namenode:8020/data/x@v2", None),
                       ("https://host/a@b:c", None), ("gs://b/o@1?generation=2", None),
                       ("file:///home/ada/x@y/data.csv", None),
                       ("https://u:p@host/path/file@v2", "https://host/path/file@v2"),
                       ("https://u:p@host/path/v@2.1", "https://host/path/v@2.1")):
        assert ids.strip_credentials(url) == (clean or url)


def test_strip_credentials_in_text() -> None:
    text = ("login failed: jdbc:sqlserver://db:1433;user=sa;password=SEKRET2 (retry 1), then "
            "jdbc:oracle:thin:scott/SEKRET7@db:1521:orcl and 'postgres://etl:SEKRET5@db/crm'")
    clean = ids.strip_credentials_in_text(text)
    assert "SEKRET" not in clean
    assert clean == ("login failed: jdbc:sqlserver://db:1433;user=sa;password=REDACTED (retry 1), "
                     "then jdbc:oracle:thin:@db:1521:orcl and 'postgres://db/crm'")
    for plain in ("no url here", "mail ada@example.com", "see https://example.com/a?b=1"):
        assert ids.strip_credentials_in_text(plain) == plain


@pytest.mark.parametrize("url,clean", [
    # an '@' in the path or fragment after a proper user part is part of the path
    ("https://bot:tok@artifacts.example.com/models/churn@v1.0.0.pkl",
     "https://artifacts.example.com/models/churn@v1.0.0.pkl"),
    ("https://ci:glpat-X@gitlab.example.com/ml/churn/-/merge_requests/42#note_alice@example.com",
     "https://gitlab.example.com/ml/churn/-/merge_requests/42#note_alice@example.com"),
    ("http://u:p@[::1]/x@y.example.com", "http://[::1]/x@y.example.com"),
    ("http://[::1]:8080/x@y.example.com", "http://[::1]:8080/x@y.example.com"),
    # a password holding '@' and '/' before a compose service name
    ("postgresql://etl:s@c/ret@db/wh", "postgresql://db/wh"),
    # SQL Server property values run to the next ';' ({…} quoted may hold one)
    ("jdbc:sqlserver://db:1433;user=sa;password=Pa/ss#2026", "jdbc:sqlserver://db:1433;user=sa;password=REDACTED"),
    ("jdbc:sqlserver://db:1433;password={se;cret};encrypt=true",
     "jdbc:sqlserver://db:1433;password=REDACTED;encrypt=true"),
    ("jdbc:sqlserver://db:1433;user=sa;pwd=s3cret", "jdbc:sqlserver://db:1433;user=sa;pwd=REDACTED"),
    ("mysql://db/x?user=etl&pwd=s3cret", "mysql://db/x?user=etl&pwd=REDACTED"),
])
def test_strip_credentials_keeps_paths_and_reads_property_values_whole(url: str,
                                                                      clean: str) -> None:
    assert ids.strip_credentials(url) == clean


def test_path_parameters_without_secrets_are_kept() -> None:
    for url in ("s3://bucket/a;key=value/b", "https://example.com/api;v=2/x",
                "https://example.com/a;jsessionid=1/b"):
        assert ids.strip_credentials(url) == url


def test_azure_containers_and_versions_after_a_user_part_are_kept() -> None:
    # ADLS Gen2 / Blob namespaces name the container before '@': no user, no secret
    for url in ("abfss://raw@acct.dfs.core.windows.net/x", "wasbs://curated@acct.blob.core.windows.net/y"):
        assert ids.strip_credentials(url) == url
    assert ids.strip_credentials("abfss://raw:k3y@acct.dfs.core.windows.net/x") == \
        "abfss://acct.dfs.core.windows.net/x"
    assert ids.strip_credentials("https://u:p@nexus/pkg@1.0") == "https://nexus/pkg@1.0"
    assert ids.strip_credentials("postgres://etl:p@ss/w@10.0.0.5:5432/crm") == \
        "postgres://10.0.0.5:5432/crm"


@pytest.mark.parametrize("name", ["x-api-key", "pass", "pw", "passphrase", "jwt",
                                  "credentials_base64", "client_secret_value", "access_token",
                                  "AccountKey", "SharedAccessKey"])
def test_more_secret_query_parameters_are_redacted(name: str) -> None:
    clean = ids.strip_credentials(f"https://api.example.com/v1?{name}=HUNTER2&page=2")
    assert "HUNTER2" not in clean and clean.endswith("=REDACTED&page=2"), clean


@pytest.mark.parametrize("text,clean", [
    ("Server=tcp:db.example.net,1433;Database=d;User ID=sa;Password=HUNTER2;",
     "Server=tcp:db.example.net,1433;Database=d;User ID=sa;Password=REDACTED;"),
    ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=HUNTER2==;EndpointSuffix=x",
     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=REDACTED;EndpointSuffix=x"),
    ("host=db user=etl password=HUNTER2 dbname=wh", "host=db user=etl password=REDACTED dbname=wh"),
    ("python train.py --password=HUNTER2 --epochs=3", "python train.py --password=REDACTED --epochs=3"),
    ("pwd='HUNTER2 x' then", "pwd=REDACTED then"),
])
def test_key_value_secrets_in_text_are_redacted(text: str, clean: str) -> None:
    assert ids.strip_credentials_in_text(text) == clean


def test_ordinary_text_keeps_its_key_values() -> None:
    for text in ("python train.py --epochs=3 --lr=0.1 --author=ada", "keys=3 monkey=1",
                 "https://example.com/d.csv?author=ada&version=3", "--secret-sauce=3"):
        assert ids.strip_credentials_in_text(text) == text
