"""The Kubernetes example runs as shipped: schema-valid manifests, a ConfigMap the real node starts on with the
example Secrets, shutdown timings that let the readiness probe see the drain, and one address per node."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import kubernetes_validate
import pytest
import yaml

from tests.test_cli import METRICS_LISTENING, listening_port, logged_port

REPO = Path(__file__).resolve().parents[2]
KUBE = REPO / "deploy" / "kubernetes"
K8S_VERSION = "1.37.0"
# Resources that are custom (no schema in Kubernetes' own set): checked by shape below.
CUSTOM_KINDS = {"ServiceMonitor", "Kustomization"}


def documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(KUBE.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def kind(name: str) -> dict[str, Any]:
    return next(doc for doc in documents() if doc["kind"] == name)


def container() -> dict[str, Any]:
    spec: dict[str, Any] = kind("StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    return spec


def secrets() -> dict[str, dict[str, str]]:
    return {doc["metadata"]["name"]: doc["stringData"] for doc in documents() if doc["kind"] == "Secret"}


@pytest.mark.parametrize("doc", [d for d in documents() if d["kind"] not in CUSTOM_KINDS], ids=lambda d: d["kind"])
def test_every_manifest_passes_kubernetes_strict_schema(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    broken = copy.deepcopy(kind("StatefulSet"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_kustomization_lists_every_resource_but_the_example_secrets() -> None:
    listed = set(yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"])
    shipped = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == shipped


def test_one_stable_address_per_node_through_a_headless_service() -> None:
    service = kind("Service")
    assert service["spec"]["clusterIP"] == "None"
    assert kind("StatefulSet")["spec"]["serviceName"] == service["metadata"]["name"]
    assert not any(doc["kind"] == "Deployment" for doc in documents())


def test_pods_run_unprivileged_on_a_read_only_root() -> None:
    pod = kind("StatefulSet")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container()["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    # Everything the process writes has a volume: yt-dlp's cache under /tmp, the working directory.
    mounts = {m["mountPath"] for m in container()["volumeMounts"]}
    assert {"/tmp", "/var/lib/lavalink"} <= mounts
    assert pod["affinity"]["podAntiAffinity"]


def test_drain_outlasts_the_readiness_period_and_the_grace_period_covers_it() -> None:
    args = container()["args"]
    drain_s = float(args[args.index("--drain-seconds") + 1])
    readiness = container()["readinessProbe"]
    assert readiness["httpGet"]["path"] == "/v4/ready"
    probe_window_s = readiness["periodSeconds"] * readiness["failureThreshold"]
    assert drain_s > probe_window_s
    pre_stop_s = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace_s = kind("StatefulSet")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    closing_margin_s = 10  # voice and client sockets closed after the drain
    assert grace_s >= pre_stop_s + drain_s + closing_margin_s
    assert container()["livenessProbe"]["httpGet"]["path"] == "/v4/alive"


def test_disruption_budget_and_monitor_select_the_pods() -> None:
    labels = kind("StatefulSet")["spec"]["template"]["metadata"]["labels"]
    for name in ("PodDisruptionBudget", "ServiceMonitor"):
        selector = kind(name)["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), name
    monitor = kind("ServiceMonitor")
    assert "release" in monitor["metadata"]["labels"]  # what kube-prometheus-stack selects by
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["basicAuth"]["password"]["name"] in secrets()
    ports = {p["name"] for p in kind("Service")["spec"]["ports"]}
    assert endpoint["port"] in ports
    patch = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["patches"][0]
    assert patch["target"]["kind"] == "ServiceMonitor"


def _environment() -> dict[str, str]:
    """The container's env resolved from the example Secrets, as the kubelet would."""
    out: dict[str, str] = {}
    for item in container()["env"]:
        ref = item["valueFrom"]["secretKeyRef"]
        out[item["name"]] = secrets()[ref["name"]][ref["key"]]
    return out


async def test_the_configmap_starts_the_real_node_with_the_example_secrets(tmp_path: Path) -> None:
    config = kind("ConfigMap")["data"]["application.yml"]
    # Port 0 for both: the OS picks free ports (no race with a parallel run); the node logs what it bound.
    config = config.replace("port: 2333", "port: 0").replace("port: 9090", "port: 0")
    config = config.replace("address: 0.0.0.0", "address: 127.0.0.1")
    path = tmp_path / "application.yml"
    path.write_text(config)
    env = {**os.environ, "PYTHONPATH": str(REPO), **_environment()}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lavalink_py", "--config", str(path), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        seen = bytearray()
        metrics_port = await logged_port(process, seen, METRICS_LISTENING)
        port = await listening_port(process, seen)
        password = _environment()["LAVALINK_SERVER_PASSWORD"]
        user, secret = _environment()["METRICS_USERNAME"], _environment()["METRICS_PASSWORD"]
        basic = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        async with aiohttp.ClientSession() as http:
            await _until_ready(http, f"http://127.0.0.1:{port}", process)
            async with http.get(f"http://127.0.0.1:{port}/v4/info", headers={"Authorization": password}) as r:
                assert r.status == 200
                assert (await r.json())["sourceManagers"]
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics", headers={"Authorization": basic}) as r:
                assert r.status == 200
                assert 'environment="production"' in await r.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as r:
                assert r.status == 401
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "unknown key" not in stderr.decode()


async def _until_ready(http: aiohttp.ClientSession, base: str, process: asyncio.subprocess.Process) -> None:
    for _ in range(600):
        if process.returncode is not None:
            raise AssertionError(f"node exited with {process.returncode}")
        try:
            async with http.get(f"{base}/v4/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("node not ready within 60 s")

