"""Inputs and outputs in object storage: an S3 server on localhost (moto's server mode) holds
the same partitioned Parquet dataset as a local folder, and every result must be the same.

The CLI runs in a real subprocess that finds the store the way a user's shell would:
AWS_ENDPOINT_URL and the standard AWS credential variables. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # moto[server]'s dependency; `make test` installs both
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

BUCKET = "preds"
SPEC = "mse,mae,huber(delta=0.5)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _isolated_env(**extra: str) -> dict[str, str]:
    """The environment without the user's AWS settings; no instance-metadata lookups (they
    would leave the machine)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_CONFIG_FILE=os.devnull,
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A moto S3 server with `s3://preds/ds/` (hive-partitioned Parquet, 3 files),
    `s3://preds/labels.parquet`, and the same files in a local folder."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    env = _isolated_env(
        AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test"
    )
    client = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    local = tmp_path_factory.mktemp("local")
    rng = np.random.default_rng(7)
    for part in range(3):
        n = 1_000 + 250 * part
        y_true = rng.normal(size=n)
        table = pa.table(
            {
                "id": np.arange(part * 10_000, part * 10_000 + n),
                "y_true": y_true,
                "y_pred": y_true + rng.normal(scale=0.4, size=n),
                "sample_weight": rng.uniform(0.5, 2.0, size=n),
            }
        )
        key = f"ds/part={part}/data.parquet"
        (local / key).parent.mkdir(parents=True)
        pq.write_table(table, local / key)
        client.put_object(Bucket=BUCKET, Key=key, Body=(local / key).read_bytes())
    client.put_object(Bucket=BUCKET, Key="ds/_SUCCESS", Body=b"")
    one = pq.read_table(local / "ds/part=1/data.parquet")
    labels = pa.table({"id": one["id"][::-1], "y_true": one["y_true"][::-1]})
    pq.write_table(labels, local / "labels.parquet")
    pq.write_table(one.drop(["y_true"]), local / "preds.parquet")
    for name in ("labels.parquet", "preds.parquet"):
        client.put_object(Bucket=BUCKET, Key=name, Body=(local / name).read_bytes())
    yield {"url": url, "env": env, "local": local, "client": client}
    server.stop()


def losscli(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _json(proc: subprocess.CompletedProcess) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _numbers(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["spec"], r["value"], r["count"], r["weight_sum"]) for r in doc["results"]]


def test_dataset_prefix_equals_the_local_folder(store: dict[str, Any]) -> None:
    remote = _json(losscli(store["env"], "eval", SPEC, f"s3://{BUCKET}/ds/", "-f", "json"))
    local = _json(losscli(store["env"], "eval", SPEC, str(store["local"] / "ds"), "-f", "json"))
    assert _numbers(remote) == _numbers(local)
    assert remote["input"]["rows"] == local["input"]["rows"] == 3_750
    record = remote["reproducibility"]["inputs"][0]
    assert record["path"] == f"s3://{BUCKET}/ds/"
    objects = record["objects"]
    assert [o["path"] for o in objects] == [
        f"s3://{BUCKET}/ds/part={p}/data.parquet" for p in range(3)
    ]
    head = store["client"].head_object(Bucket=BUCKET, Key="ds/part=0/data.parquet")
    assert objects[0]["etag"] == head["ETag"].strip('"')


def test_glob_and_single_object_equal_local(store: dict[str, Any]) -> None:
    glob = _json(
        losscli(store["env"], "eval", SPEC, f"s3://{BUCKET}/ds/part=*/*.parquet", "-f", "json")
    )
    local = _json(
        losscli(
            store["env"], "eval", SPEC, str(store["local"] / "ds/part=*/*.parquet"), "-f", "json"
        )
    )
    assert _numbers(glob) == _numbers(local)
    one = _json(
        losscli(store["env"], "eval", SPEC, f"s3://{BUCKET}/ds/part=2/data.parquet", "-f", "json")
    )
    record = one["reproducibility"]["inputs"][0]
    head = store["client"].head_object(Bucket=BUCKET, Key="ds/part=2/data.parquet")
    assert record["etag"] == head["ETag"].strip('"')
    assert record["size"] == head["ContentLength"]
    assert one["reproducibility"]["signature"].endswith(f"sha:{record['etag'][:6]}")


def test_labels_join_and_per_sample_output_equal_local(store: dict[str, Any]) -> None:
    local_dir = store["local"]
    out_key = "out/per_sample.parquet"
    proc = losscli(
            store["env"],
            "eval", SPEC, f"s3://{BUCKET}/preds.parquet",
            "--labels", f"s3://{BUCKET}/labels.parquet", "--on", "id",
            "--per-sample", f"s3://{BUCKET}/{out_key}", "--keep", "id",
            "-o", f"s3://{BUCKET}/out/result.json", "-f", "json",
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    local_file = local_dir / "per_sample.parquet"
    local = _json(
        losscli(
            store["env"],
            "eval", SPEC, str(local_dir / "preds.parquet"),
            "--labels", str(local_dir / "labels.parquet"), "--on", "id",
            "--per-sample", str(local_file), "--keep", "id", "-f", "json",
        )
    )  # fmt: skip
    body = store["client"].get_object(Bucket=BUCKET, Key=out_key)["Body"].read()
    assert pq.read_table(pa.BufferReader(body)).equals(pq.read_table(local_file))
    written = store["client"].get_object(Bucket=BUCKET, Key="out/result.json")["Body"].read()
    assert _numbers(json.loads(written)) == _numbers(local)
    # nothing but the two targets was written (no temporary keys left behind)
    keys = [
        o["Key"] for o in store["client"].list_objects_v2(Bucket=BUCKET, Prefix="out/")["Contents"]
    ]
    assert sorted(keys) == ["out/per_sample.parquet", "out/result.json"]


def test_check_config_in_the_store_with_relative_paths(store: dict[str, Any]) -> None:
    config = '[[check]]\nname = "ds"\nfile = "ds/"\nloss = "mse"\nfail_above = 10.0\n'
    store["client"].put_object(Bucket=BUCKET, Key="check.toml", Body=config.encode())
    (store["local"] / "check.toml").write_text(config)
    remote = _json(losscli(store["env"], "check", f"s3://{BUCKET}/check.toml", "-f", "json"))
    local = _json(losscli(store["env"], "check", str(store["local"] / "check.toml"), "-f", "json"))
    assert remote["passed"] and local["passed"]
    assert remote["checks"][0]["value"] == local["checks"][0]["value"]
    assert remote["checks"][0]["reproducibility"]["inputs"][0]["path"] == f"s3://{BUCKET}/ds/"


def test_fsspec_urls_read_through_the_same_layer(store: dict[str, Any]) -> None:
    import fsspec

    from losscli import evaluate

    memory = fsspec.filesystem("memory")
    memory.pipe("/losscli-test/x.parquet", (store["local"] / "preds.parquet").read_bytes())
    memory.pipe("/losscli-test/labels.parquet", (store["local"] / "labels.parquet").read_bytes())
    remote = evaluate(
        "memory://losscli-test/x.parquet",
        SPEC,
        labels="memory://losscli-test/labels.parquet",
        on="id",
    )
    local = evaluate(
        str(store["local"] / "preds.parquet"),
        SPEC,
        labels=str(store["local"] / "labels.parquet"),
        on="id",
    )
    assert [r.value for r in remote.results] == [r.value for r in local.results]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://no-such-bucket/x.parquet", "no such bucket"),
        (f"s3://{BUCKET}/missing.parquet", "no such object"),
        (f"s3://{BUCKET}/missing/", "no such object"),
    ],
)
def test_missing_bucket_or_key_exit_3_naming_the_uri(
    store: dict[str, Any], uri: str, message: str
) -> None:
    proc = losscli(store["env"], "eval", "mse", uri)
    assert proc.returncode == 3, proc.stderr
    assert uri in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_missing_check_config_exits_3_naming_the_uri(store: dict[str, Any]) -> None:
    proc = losscli(store["env"], "check", f"s3://{BUCKET}/nope.toml")
    assert proc.returncode == 3, proc.stderr
    assert f"s3://{BUCKET}/nope.toml" in proc.stderr and "no such object" in proc.stderr


def test_writing_to_a_missing_bucket_exits_3(store: dict[str, Any]) -> None:
    target = "s3://no-such-bucket/out.json"
    proc = losscli(store["env"], "eval", "mse", f"s3://{BUCKET}/ds/", "-o", target)
    assert proc.returncode == 3, proc.stderr
    assert target in proc.stderr and "no such bucket" in proc.stderr


@pytest.fixture(scope="module")
def locked_store() -> Iterator[dict[str, Any]]:
    """A second moto server that checks credentials (its own process: moto reads that setting
    once). Its first requests, unauthenticated, create the bucket and a user without rights."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        keys = {
            "endpoint_url": url,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
            "region_name": "us-east-1",
        }
        s3 = boto3.client("s3", **keys)
        s3.create_bucket(Bucket="locked")
        s3.put_object(Bucket="locked", Key="x.csv", Body=b"y_true,y_pred\n1,2\n")
        iam = boto3.client("iam", **keys)
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        yield {"url": url, "key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_no_credentials_exit_3_naming_the_uri(locked_store: dict[str, Any]) -> None:
    env = _isolated_env(AWS_ENDPOINT_URL=locked_store["url"])
    proc = losscli(env, "eval", "mse", "s3://locked/x.csv")
    assert proc.returncode == 3, proc.stderr
    assert "s3://locked/x.csv" in proc.stderr
    assert "access denied" in proc.stderr and "no credentials were found" in proc.stderr


def test_denied_exit_3_naming_the_uri(locked_store: dict[str, Any]) -> None:
    env = _isolated_env(
        AWS_ENDPOINT_URL=locked_store["url"],
        AWS_ACCESS_KEY_ID=locked_store["key"],
        AWS_SECRET_ACCESS_KEY=locked_store["secret"],
    )
    proc = losscli(env, "eval", "mse", "s3://locked/x.csv")
    assert proc.returncode == 3, proc.stderr
    assert "s3://locked/x.csv" in proc.stderr
    assert "access denied" in proc.stderr and "lack permission" in proc.stderr


def test_local_runs_import_no_cloud_library(tmp_path: Path) -> None:
    """A local file loads neither fsspec nor any S3 client, and makes no S3 filesystem."""
    code = (
        "import sys, losscli\n"
        "from losscli import fs\n"
        "losscli.evaluate('sample_data/regression.csv', 'mse')\n"
        "loaded = [m for m in ('fsspec', 'boto3', 'botocore', 's3fs', 'gcsfs', 'dask', "
        "'distributed') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert fs._filesystem.cache_info().currsize == 0\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_other_schemes_without_a_backend_exit_3_naming_the_uri(tmp_path: Path) -> None:
    """A scheme fsspec does not know, and any non-S3/GCS scheme when fsspec is missing."""
    unknown = losscli(_isolated_env(), "eval", "mse", "nosuchscheme://bucket/x.parquet")
    assert unknown.returncode == 3, unknown.stderr
    assert "nosuchscheme://bucket/x.parquet" in unknown.stderr
    assert "no filesystem for nosuchscheme://" in unknown.stderr
    code = (
        "import sys; sys.modules['fsspec'] = None\n"
        "from losscli.cli import main; sys.argv = ['losscli', 'eval', 'mse', 'memory://b/x.csv']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert "memory://b/x.csv" in proc.stderr and "losscli[fsspec]" in proc.stderr


def test_a_versioned_bucket_records_the_version_read(store: dict[str, Any]) -> None:
    client = store["client"]
    client.create_bucket(Bucket="versioned")
    client.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    body = (store["local"] / "ds/part=0/data.parquet").read_bytes()
    put = client.put_object(Bucket="versioned", Key="x.parquet", Body=body)
    doc = _json(losscli(store["env"], "eval", "mse", "s3://versioned/x.parquet", "-f", "json"))
    record = doc["reproducibility"]["inputs"][0]
    assert record["version"] == put["VersionId"]
    assert record["etag"] == put["ETag"].strip('"')


@pytest.mark.parametrize("suffix", ["", ".gz", ".xz"])
def test_text_formats_stream_from_the_store(store: dict[str, Any], suffix: str) -> None:
    """CSV (plain and compressed) streams from the store as from a local file."""
    import gzip
    import lzma

    root = Path(__file__).resolve().parents[1]
    raw = (root / "sample_data/regression.csv").read_bytes()
    body = {"": raw, ".gz": gzip.compress(raw), ".xz": lzma.compress(raw)}[suffix]
    key = f"text/regression.csv{suffix}"
    store["client"].put_object(Bucket=BUCKET, Key=key, Body=body)
    remote = _json(losscli(store["env"], "eval", SPEC, f"s3://{BUCKET}/{key}", "-f", "json"))
    local = _json(
        losscli(store["env"], "eval", SPEC, str(root / "sample_data/regression.csv"), "-f", "json")
    )
    assert _numbers(remote) == _numbers(local)
