"""The stand-in Atlas keeps to the real server's semantics and response shapes.

Requests go through the official ``apache-atlas`` client where it has a working method, so
the stand-in is also checked against the client's own models.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sinks.atlas.client import AtlasError, AtlasHttp
from connectors.sinks.atlas.typesystem import load_typedefs
from tests.standins.atlas import AtlasStandin, running_atlas

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "atlas" / "recorded-responses"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def atlas() -> Iterator[AtlasStandin]:
    with running_atlas({"admin": "pw"}) as s:
        yield s


@pytest.fixture
def http(atlas: AtlasStandin) -> AtlasHttp:
    h = AtlasHttp(atlas.url, "admin", "pw")
    h.create_typedefs(load_typedefs())
    return h


def data(ph: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"guid": ph, "typeName": "lineage_data",
            "attributes": {"qualifiedName": f"data:{path}@lineage", "name": path, "path": path,
                           **extra}}


def test_bulk_response_has_the_real_shape(http: AtlasHttp) -> None:
    resp = http.bulk({"entities": [data("-7", "a.csv")], "referredEntities": {}})
    real = recorded("thirdparty_entity_create_atlas2x.json")["response"]
    assert set(resp) == set(real)
    [header] = resp["mutatedEntities"]["CREATE"]
    real_header = real["mutatedEntities"]["CREATE"][0]
    assert set(header) == set(real_header)
    assert set(header["attributes"]) <= set(real_header["attributes"])
    assert resp["guidAssignments"] == {"-7": header["guid"]}
    hdp = recorded("thirdparty_entity_create_hdp.json")["response"]
    assert set(hdp["mutatedEntities"]["CREATE"][0]) <= set(header)


def test_typedef_create_response_has_the_real_shape(atlas: AtlasStandin) -> None:
    h = AtlasHttp(atlas.url, "admin", "pw")
    resp = h.create_typedefs(load_typedefs())
    real = recorded("thirdparty_typedef_create_hdp.json")["response"]
    assert set(real) <= set(resp)
    ours = {d["name"] for d in resp["entityDefs"]}
    assert "lineage_model_version" in ours
    for key in ("guid", "name", "superTypes", "attributeDefs", "version", "createdBy"):
        assert key in resp["entityDefs"][0]


def test_existing_types_are_409_and_nothing_is_created(http: AtlasHttp, atlas: AtlasStandin
                                                       ) -> None:
    before = set(atlas.types)
    td = load_typedefs()
    extra = {"entityDefs": [{**td["entityDefs"][0], "name": "lineage_new_type"},
                            td["entityDefs"][1]]}
    with pytest.raises(AtlasError) as exc:
        http.create_typedefs(extra)
    assert exc.value.status == 409 and exc.value.error_code == "ATLAS-409-00-001"
    assert set(atlas.types) == before
    # a built-in type of the real server's 228 is taken too
    with pytest.raises(AtlasError) as exc:
        http.create_typedefs({"entityDefs": [{**td["entityDefs"][0], "name": "hive_table"}]})
    assert exc.value.status == 409


def test_error_body_shape_and_dangling_reference(http: AtlasHttp, atlas: AtlasStandin) -> None:
    real = recorded("error_referenced_entity_not_found.json")
    run = {"guid": "-1", "typeName": "lineage_training_run",
           "attributes": {"qualifiedName": "run:x@lineage", "name": "x", "runSource": "mlflow",
                          "runId": "x",
                          "inputs": [{"typeName": "lineage_data",
                                      "uniqueAttributes": {"qualifiedName": "nope@lineage"}}]}}
    raw = requests.post(f"{atlas.url}/api/atlas/v2/entity/bulk", auth=("admin", "pw"),
                        json={"entities": [run]}, timeout=10)
    assert raw.status_code == real["status"] == 404
    body = raw.json()
    assert set(body) == set(real["response"])
    assert body["errorCode"] == real["response"]["errorCode"]
    assert body["errorMessage"].startswith("Referenced entity AtlasObjectId{guid='null', "
                                           "typeName='lineage_data', uniqueAttributes=")
    # a placeholder that is not in the request is dangling too
    run["attributes"]["inputs"] = [{"guid": "-2", "typeName": "lineage_data"}]
    with pytest.raises(AtlasError) as exc:
        http.bulk({"entities": [run]})
    assert exc.value.error_code == "ATLAS-404-00-00A"
    assert "ATLAS-404-00-00A" in str(exc.value) and "-2" in str(exc.value)
    assert not atlas.entities  # nothing half-written


def test_missing_mandatory_and_bad_enum_are_404_007(http: AtlasHttp) -> None:
    bad = data("-1", "a.csv")
    del bad["attributes"]["path"]
    with pytest.raises(AtlasError) as exc:
        http.bulk({"entities": [bad]})
    assert (exc.value.status, exc.value.error_code) == (404, "ATLAS-404-00-007")
    assert "lineage_data.path: mandatory attribute value missing" in str(exc.value)
    approval = {"guid": "-1", "typeName": "lineage_approval",
                "attributes": {"qualifiedName": "approval:1@lineage", "name": "a",
                               "approver": "x", "decision": "maybe"}}
    with pytest.raises(AtlasError) as exc:
        http.bulk({"entities": [approval]})
    assert exc.value.error_code == "ATLAS-404-00-007"
    assert "lineage_approval_decision" in str(exc.value)


def test_upsert_by_qualified_name_drops_unknown_attributes_ignores_classifications_on_update(
        http: AtlasHttp, atlas: AtlasStandin) -> None:
    first = data("-1", "a.csv", size=1, madeUp="x")
    first["classifications"] = [{"typeName": "EUAIAct_High", "propagate": True}]
    created = http.bulk({"entities": [first]})
    guid = created["guidAssignments"]["-1"]
    stored = http.get_entity(guid)["entity"]
    assert "madeUp" not in stored["attributes"]  # dropped silently, no error
    assert [c["typeName"] for c in stored["classifications"]] == ["EUAIAct_High"]
    again = data("-5", "a.csv", size=1)
    same = http.bulk({"entities": [again]})
    assert same["guidAssignments"] == {"-5": guid}  # resolved by qualifiedName
    assert same["mutatedEntities"] == {}  # equal to the stored one: not reported
    changed = data("-9", "a.csv", size=2)
    changed["classifications"] = [{"typeName": "EUAIAct_Minimal", "propagate": True}]
    upd = http.bulk({"entities": [changed]})
    assert [h["guid"] for h in upd["mutatedEntities"]["UPDATE"]] == [guid]
    stored = http.get_entity(guid)["entity"]
    assert stored["attributes"]["size"] == 2
    assert [c["typeName"] for c in stored["classifications"]] == ["EUAIAct_High"]  # ignored
    assert len(atlas.entities) == 1
    http.add_classifications(guid, [{"typeName": "EUAIAct_Minimal", "propagate": False}])
    with pytest.raises(AtlasError) as exc:
        http.add_classifications(guid, [{"typeName": "EUAIAct_Minimal", "propagate": False}])
    assert exc.value.error_code == "ATLAS-400-00-01B"


def test_basic_auth(atlas: AtlasStandin) -> None:
    assert requests.get(f"{atlas.url}/api/atlas/v2/types/typedefs/headers",
                        timeout=10).status_code == 401
    with pytest.raises(AtlasError) as exc:
        AtlasHttp(atlas.url, "admin", "wrong").typedef_headers()
    assert exc.value.status == 401


def test_lineage_response_fits_the_official_client_model(http: AtlasHttp) -> None:
    from apache_atlas.model.lineage import AtlasLineageInfo

    proc = {"guid": "-3", "typeName": "lineage_dvc_stage",
            "attributes": {"qualifiedName": "stage:s@lineage", "name": "s", "stageName": "s",
                           "inputs": [{"guid": "-1", "typeName": "lineage_data"}],
                           "outputs": [{"guid": "-2", "typeName": "lineage_data"}]}}
    resp = http.bulk({"entities": [data("-1", "in.csv"), data("-2", "out.csv"), proc]})
    g = resp["guidAssignments"]
    raw = http.call("GET", f"lineage/{g['-2']}", params={"direction": "BOTH", "depth": 3})
    info = http.client.lineage.get_lineage_info(g["-2"], "BOTH", 3)
    assert isinstance(info, AtlasLineageInfo)
    assert set(raw) == {"baseEntityGuid", "lineageDirection", "lineageDepth", "guidEntityMap",
                        "relations"}
    assert info.baseEntityGuid == g["-2"] and info.lineageDirection == "BOTH"
    pairs = {(r.fromEntityId, r.toEntityId) for r in info.relations}
    assert pairs == {(g["-1"], g["-3"]), (g["-3"], g["-2"])}
    assert set(info.guidEntityMap) == set(g.values())
    assert info.guidEntityMap[g["-3"]].typeName == "lineage_dvc_stage"


def test_lineage_depth_counts_process_hops(http: AtlasHttp) -> None:
    def stage(ph: str, name: str, src: str, dst: str) -> dict[str, Any]:
        return {"guid": ph, "typeName": "lineage_dvc_stage",
                "attributes": {"qualifiedName": f"stage:{name}@lineage", "name": name,
                               "stageName": name,
                               "inputs": [{"guid": src, "typeName": "lineage_data"}],
                               "outputs": [{"guid": dst, "typeName": "lineage_data"}]}}

    resp = http.bulk({"entities": [data("-1", "a"), data("-2", "b"), data("-3", "c"),
                                   stage("-4", "ab", "-1", "-2"), stage("-5", "bc", "-2", "-3")]})
    g = resp["guidAssignments"]
    one = http.lineage(g["-3"], depth=1, direction="INPUT")
    assert set(one["guidEntityMap"]) == {g["-3"], g["-5"], g["-2"]}
    two = http.lineage(g["-3"], depth=2, direction="INPUT")
    assert set(two["guidEntityMap"]) == {g[k] for k in ("-1", "-2", "-3", "-4", "-5")}
    down = http.lineage(g["-1"], depth=3, direction="OUTPUT")
    assert {(r["fromEntityId"], r["toEntityId"]) for r in down["relations"]} == {
        (g["-1"], g["-4"]), (g["-4"], g["-2"]), (g["-2"], g["-5"]), (g["-5"], g["-3"])}


@pytest.mark.parametrize("break_it,code", [
    (lambda td: td["entityDefs"][0].update(superTypes=["NoSuchType"]), "ATLAS-404-00-001"),
    (lambda td: td["entityDefs"][0]["attributeDefs"].append(
        {"name": "x", "typeName": "array<nope>", "isOptional": True}), "ATLAS-404-00-001"),
    (lambda td: td["businessMetadataDefs"][0]["attributeDefs"][1]["options"].pop(
        "maxStrLength"), "ATLAS-400-00-02B"),
    (lambda td: td["relationshipDefs"][0]["endDef1"].update(isContainer=True),
     "ATLAS-400-00-030"),
    (lambda td: td["entityDefs"][1]["attributeDefs"].append(
        {"name": "owner", "typeName": "string", "isOptional": True}), "ATLAS-400-00-011"),
])
def test_bad_typedefs_are_refused(atlas: AtlasStandin, break_it: Any, code: str) -> None:
    td = json.loads(json.dumps(load_typedefs()))
    break_it(td)
    with pytest.raises(AtlasError) as exc:
        AtlasHttp(atlas.url, "admin", "pw").create_typedefs(td)
    assert exc.value.error_code == code
    assert "lineage_model" not in atlas.types


@pytest.mark.parametrize("change,code", [
    (lambda d: d["attributeDefs"].pop(0), "ATLAS-400-00-00D"),
    (lambda d: d["attributeDefs"].append({"name": "extra", "typeName": "string",
                                          "isOptional": False}), "ATLAS-400-00-00C"),
])
def test_a_typedef_update_keeps_every_attribute_and_adds_optional_ones(
        http: AtlasHttp, atlas: AtlasStandin, change: Any, code: str) -> None:
    td = json.loads(json.dumps(load_typedefs()))  # (the http fixture created them)
    approval = next(d for d in td["entityDefs"] if d["name"] == "lineage_approval")
    added = {"name": "extraOptional", "typeName": "string", "isOptional": True}
    approval = {**approval, "attributeDefs": [*approval["attributeDefs"], added]}
    http.update_typedefs({"entityDefs": [approval]})
    assert added in atlas.types["lineage_approval"]["attributeDefs"]
    change(approval)
    with pytest.raises(AtlasError) as exc:
        http.update_typedefs({"entityDefs": [approval]})
    assert exc.value.error_code == code


def test_business_metadata_merge_remove_and_overwrite(http: AtlasHttp, atlas: AtlasStandin
                                                      ) -> None:
    version = {"guid": "-1", "typeName": "lineage_model_version",
               "attributes": {"qualifiedName": "model:churn@v1@lineage", "name": "churn@v1",
                              "version": "v1"}}
    guid = http.bulk({"entities": [version]})["guidAssignments"]["-1"]

    def bm() -> Any:
        return http.get_entity(guid)["entity"].get("businessAttributes")

    def delete(body: Any, on: str = guid) -> None:
        http.call("DELETE", f"entity/guid/{on}/businessmetadata", expected=204, body=body,
                  want=None)

    http.add_business_metadata(guid, {
        "lineage_approval_status": {"status": "approved", "approvers": ["ada"],
                                    "approvalCount": 1},
        "lineage_retraining": {"trigger": "drift", "reason": "psi"}})
    # isOverwrite=false merges attribute by attribute
    http.add_business_metadata(guid, {"lineage_approval_status": {"approvalCount": 2}})
    assert bm()["lineage_approval_status"] == {"status": "approved", "approvers": ["ada"],
                                               "approvalCount": 2}
    # DELETE removes the attributes it names (values ignored), all of a BM given as {}
    delete({"lineage_approval_status": {"approvers": None, "evidence": None}})
    assert bm()["lineage_approval_status"] == {"status": "approved", "approvalCount": 2}
    delete({"lineage_retraining": {}})
    assert set(bm()) == {"lineage_approval_status"}
    delete({"lineage_risk_assessment": {"tier": None}, "no_such_bm": {}})  # not set: no-op
    assert set(bm()) == {"lineage_approval_status"}
    with pytest.raises(AtlasError) as exc:
        delete({})
    assert (exc.value.status, exc.value.error_code) == (400, "ATLAS-400-00-01A")
    assert "businessAttributes is null/empty" in str(exc.value)
    with pytest.raises(AtlasError) as exc:
        delete({"lineage_retraining": {}}, on="no-such-guid")
    assert (exc.value.status, exc.value.error_code) == (404, "ATLAS-404-00-005")
    # isOverwrite=true: every business attribute of the entity not in the body is removed
    http.add_business_metadata(guid, {"lineage_retraining": {"trigger": "drift"}})
    http.call("POST", f"entity/guid/{guid}/businessmetadata", expected=204,
              params={"isOverwrite": "true"}, want=None,
              body={"lineage_approval_status": {"status": "unapproved", "approvalCount": 0}})
    assert bm() == {"lineage_approval_status": {"status": "unapproved", "approvalCount": 0}}


def test_delete_is_soft_and_frees_the_qualified_name(http: AtlasHttp, atlas: AtlasStandin
                                                      ) -> None:
    """Atlas 2.x (SoftDeleteHandlerV1, the default): DELETED, not gone; the unique attribute
    is released, so the same qualifiedName is a new entity; deleting again is no error."""
    entity = http.client.entity  # the official client's delete methods and response model
    made = http.bulk({"entities": [data("-1", "a.csv"), data("-2", "b.csv")]})
    a, b = made["guidAssignments"]["-1"], made["guidAssignments"]["-2"]
    out = entity.delete_entities_by_guids([a])
    [header] = out.mutatedEntities["DELETE"]
    assert (header.guid, header.status, header.typeName) == (a, "DELETED", "lineage_data")
    assert set(out.mutatedEntities) == {"DELETE"}
    gone = http.get_entity(a)["entity"]  # still read by its guid
    assert gone["status"] == "DELETED" and gone["attributes"]["qualifiedName"] == \
        "data:a.csv@lineage"
    with pytest.raises(AtlasError) as exc:
        http.call("GET", "entity/uniqueAttribute/type/lineage_data",
                  params={"attr:qualifiedName": "data:a.csv@lineage"})
    assert (exc.value.status, exc.value.error_code) == (404, "ATLAS-404-00-009")
    assert http.find_guid("lineage_data", "data:a.csv@lineage") is None
    # already DELETED, or never held: no error, nothing listed
    for guids in ([a], [a, "no-such-guid"]):
        assert "DELETE" not in (http.delete_entities(guids).get("mutatedEntities") or {})
    assert http.delete_entity("no-such-guid").get("mutatedEntities") in (None, {})
    # a reference by unique attribute no longer finds it
    with pytest.raises(AtlasError) as exc:
        http.bulk({"entities": [{"guid": "-1", "typeName": "lineage_commit", "attributes": {
            "qualifiedName": "commit:1@lineage", "name": "1", "sha": "1"},
            "relationshipAttributes": {"definesData": [{
                "typeName": "lineage_data",
                "uniqueAttributes": {"qualifiedName": "data:a.csv@lineage"}}]}}]})
    assert exc.value.error_code == "ATLAS-404-00-00A"
    # the same qualifiedName upserted again: a new entity, the deleted one stays DELETED
    again = http.bulk({"entities": [data("-3", "a.csv")]})
    new = again["guidAssignments"]["-3"]
    assert new != a and [h["guid"] for h in again["mutatedEntities"]["CREATE"]] == [new]
    assert http.get_entity(a)["entity"]["status"] == "DELETED"
    assert http.get_entity(new)["entity"]["status"] == "ACTIVE"
    assert http.find_guid("lineage_data", "data:a.csv@lineage") == new
    # by unique attribute: the ACTIVE one only
    out = entity.delete_entity_by_attribute("lineage_data", {"qualifiedName": "data:a.csv@lineage"})
    assert [h.guid for h in out.mutatedEntities["DELETE"]] == [new]
    out = entity.delete_entity_by_attribute("lineage_data", {"qualifiedName": "data:a.csv@lineage"})
    assert not (out.mutatedEntities or {}).get("DELETE")
    out = entity.delete_entity_by_guid(b)
    assert [h.guid for h in out.mutatedEntities["DELETE"]] == [b]
    assert {e["status"] for e in atlas.entities.values()} == {"DELETED"}
    assert not atlas.unique


def test_a_deleted_entity_takes_its_relationships_and_propagated_tier_with_it(
        http: AtlasHttp) -> None:
    model = {"guid": "-1", "typeName": "lineage_model",
             "attributes": {"qualifiedName": "model:churn@lineage", "name": "churn"}}
    version = {"guid": "-2", "typeName": "lineage_model_version",
               "attributes": {"qualifiedName": "model:churn@v1@lineage", "name": "churn@v1",
                              "version": "v1"},
               "relationshipAttributes": {"registeredModel": {"guid": "-1",
                                                              "typeName": "lineage_model"}}}
    made = http.bulk({"entities": [model, version]})["guidAssignments"]
    http.add_classifications(made["-1"], [{"typeName": "EUAIAct_High", "propagate": True,
                                           "removePropagationsOnEntityDelete": True}])
    v = http.get_entity(made["-2"])["entity"]
    assert [c["typeName"] for c in v["classifications"]] == ["EUAIAct_High"]
    assert v["relationshipAttributes"]["registeredModel"]["relationshipStatus"] == "ACTIVE"
    http.delete_entities([made["-1"]])
    v = http.get_entity(made["-2"])["entity"]
    assert v["status"] == "ACTIVE" and v["classifications"] == []
    ref = v["relationshipAttributes"]["registeredModel"]
    assert (ref["guid"], ref["entityStatus"], ref["relationshipStatus"]) == (
        made["-1"], "DELETED", "DELETED")
