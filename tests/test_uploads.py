"""upload-elf-image as the SDKs' upload examples drive it: 8 MiB chunks, multipart, the first opening an UploadTask,
the last making the image (domain/uploads.py)."""

from __future__ import annotations

import io

from cloudtower_sim.mock_server.api.wire import MAX_JSON_BYTES
from cloudtower_sim.mock_server.domain.uploads import CHUNK_SIZE
from .support import TOKEN
from .support import snapshot

SIZE = 2 * CHUNK_SIZE + 5  # three chunks, the last of 5 bytes


def upload(client, part: bytes, **fields):
    """One multipart request of an upload, as the official SDK sends it (the chunk as a file part named `file`)."""
    data = {k: str(v) for k, v in fields.items()}
    data["file"] = (io.BytesIO(part), "file", "application/octet-stream")
    r = client.post("/v2/api/upload-elf-image", data=data, content_type="multipart/form-data",
                    headers={"Authorization": TOKEN})
    return r.status_code, r.get_json()


def opening(api, **changed):
    cluster = api.ok("get-clusters")[0]["id"]
    return {"cluster_id": cluster, "name": "ubuntu-22.04.iso", "size": SIZE, "description": "jammy", **changed}


def test_an_image_is_uploaded_in_chunks_and_found_by_its_tasks_uuid(api):
    fields = opening(api)
    status, [task] = upload(api.client, b"x" * CHUNK_SIZE, **fields)
    assert status == 200, task
    assert (task["status"], task["resource_type"], task["size"], task["chunk_size"], task["current_chunk"]) == (
        "UPLOADING", "ELF_IMAGE", SIZE, CHUNK_SIZE, 1)
    uuid = task["args"]["attributes"]["uuid"]
    assert api.ok("get-elf-images", {"where": {"local_id": uuid}}) == []  # no image until the last chunk
    for part, chunk in ((b"y" * CHUNK_SIZE, 2), (b"z" * 5, 3)):
        status, [again] = upload(api.client, part, upload_task_id=task["id"], **fields)
        assert status == 200 and (again["id"], again["current_chunk"]) == (task["id"], chunk), again
    assert again["status"] == "SUCCESSED" and again["finished_at"]
    [image] = api.ok("get-elf-images", {"where": {"local_id": uuid}})
    assert (image["name"], image["size"], image["description"], image["cluster"]["id"]) == (
        "ubuntu-22.04.iso", SIZE, "jammy", fields["cluster_id"])
    [read] = api.ok("get-upload-tasks", {"where": {"id": task["id"]}})
    assert read["status"] == "SUCCESSED"
    # the scenario's own image came by upload too, and its task says so
    assert api.ok("get-upload-tasks-connection", {"where": {"status": "SUCCESSED"}})["aggregate"]["count"] == 2
    [scenario] = api.ok("get-upload-tasks", {"where": {"id_not": task["id"]}})
    [iso] = api.ok("get-elf-images", {"where": {"local_id": scenario["args"]["attributes"]["uuid"]}})
    assert (iso["name"], scenario["size"], scenario["current_chunk"]) == (
        "CentOS-7-x86_64-Minimal-2009.iso", iso["size"], -(-iso["size"] // CHUNK_SIZE))


def test_a_file_of_one_chunk_is_uploaded_by_one_request_and_size_unit_scales_size(api):
    status, [task] = upload(api.client, b"i" * 2048, **opening(api, size=2, size_unit="KB"))
    assert status == 200 and task["status"] == "SUCCESSED" and task["size"] == 2048, task
    assert api.ok("get-elf-images", {"where": {"name": "ubuntu-22.04.iso"}})[0]["size"] == 2048


def test_what_the_upload_protocol_does_not_allow_is_refused_and_changes_nothing(api):
    fields = opening(api)
    status, [task] = upload(api.client, b"x" * CHUNK_SIZE, **fields)
    assert status == 200
    before = snapshot(api.client)
    for part, changed, answer, words in (
            (b"x", {"cluster_id": "nope"}, 404, "cluster_id: no cluster"),
            (b"x", {"name": " "}, 400, "name:"),
            (b"x", {"size": "12MB"}, 400, "size: expected the file's size as a positive whole number"),
            (b"x", {"size": "0"}, 400, "size:"),
            (b"x", {"size": 1, "size_unit": "KiB"}, 400, "size_unit: expected one of B, KB"),
            (b"x", {"name": "ubuntu-22.04.iso", "size": 1}, 400, "or one being uploaded"),
            (b"x" * 3, {"name": "tiny.iso", "size": 2}, 400, "more than the upload takes"),
            (b"x", {"name": "big.iso"}, 400, "before the last"),
            (b"", {"name": "empty.iso"}, 400, "file: the chunk is empty"),
            (b"y" * CHUNK_SIZE, {"upload_task_id": "nope"}, 404, "upload_task_id: no ELF_IMAGE upload task"),
            (b"y" * CHUNK_SIZE, {"upload_task_id": task["id"], "name": "other.iso"}, 400, "does not change it"),
            (b"y" * CHUNK_SIZE, {"upload_task_id": task["id"], "size": SIZE + 1}, 400, "does not change it"),
            (b"y" * 7, {"upload_task_id": task["id"]}, 400, "before the last")):
        status, body = upload(api.client, part, **{**fields, **changed})
        assert (status, words in body["message"]) == (answer, True), (changed, body)
    status, body = upload(api.client, b"x", **{k: v for k, v in fields.items() if k != "cluster_id"})
    assert status == 400 and body["message"].startswith("cluster_id:"), body
    no_file = api.client.post("/v2/api/upload-elf-image", data={k: str(v) for k, v in fields.items()},
                              content_type="multipart/form-data", headers={"Authorization": TOKEN})
    assert no_file.status_code == 400 and no_file.get_json()["message"].startswith("file:"), no_file.get_json()
    as_json = api("upload-elf-image", fields)
    assert as_json[0] == 400 and "expected multipart/form-data" in as_json[1]["message"]
    assert snapshot(api.client) == before


def test_a_cancelled_upload_fails_and_takes_no_more_chunks(api):
    fields = opening(api)
    _, [task] = upload(api.client, b"x" * CHUNK_SIZE, **fields)
    assert api.ok("cancel-upload-task", {"where": {"id": task["id"]}}) == [task["id"]]
    [read] = api.ok("get-upload-tasks", {"where": {"id": task["id"]}})
    assert read["status"] == "FAILED" and read["finished_at"]
    status, body = upload(api.client, b"y" * CHUNK_SIZE, upload_task_id=task["id"], **fields)
    assert status == 400 and "is FAILED; it takes no more chunks" in body["message"]
    status, body, _ = api("cancel-upload-task", {"where": {"id": task["id"]}})
    assert status == 400 and "only an upload in progress" in body["message"]
    assert api.ok("get-elf-images", {"where": {"name": fields["name"]}}) == []
    status, [again] = upload(api.client, b"x" * CHUNK_SIZE, **fields)  # the name is free again
    assert status == 200 and again["id"] != task["id"]


def test_a_json_body_is_bounded_more_tightly_than_an_upload_chunk(api):
    big = b'{"where": {"name_in": ["' + b"a" * MAX_JSON_BYTES + b'"]}}'
    r = api.client.post("/v2/api/get-vms", data=big, content_type="application/json",
                        headers={"Authorization": TOKEN})
    assert r.status_code == 400 and str(MAX_JSON_BYTES) in r.get_json()["message"]


def test_the_official_sdk_uploads_as_its_readme_does_and_finds_the_image(served):
    """examples/upload/readme.md of cloudtower-python-sdk, with ElfImageApi, and image_utils to find the image."""
    from cloudtower import ApiClient, Configuration
    from cloudtower.api import ClusterApi, ElfImageApi
    from cloudtower.image_utils import get_elf_image_by_upload_task
    from cloudtower.utils import login

    client = ApiClient(Configuration(host=served(start_time="2026-01-01T08:00:00Z").base_url))
    try:
        login(client, "root", "HC!r0cks")
        cluster = ClusterApi(client).get_clusters({})[0].id
        iso, task_id = io.BytesIO(b"\x01" * SIZE), None
        chunk = iso.read(CHUNK_SIZE)
        while chunk:
            extra = {"upload_task_id": task_id} if task_id else {}
            [task] = ElfImageApi(client).create_elf_image(file=chunk, cluster_id=cluster, name="sdk.iso",
                                                          size=str(SIZE), **extra)
            task_id = task.id
            chunk = iso.read(CHUNK_SIZE)
        assert task.status == "SUCCESSED"
        image = get_elf_image_by_upload_task(client, {"where": {"id": task_id}})[task_id]
        assert (image.name, image.size, image.cluster.id) == ("sdk.iso", SIZE, cluster)
    finally:
        client.rest_client.pool_manager.clear()
        client.close()
