"""Static checks of the deployment files (docker-compose.yml, deploy/docker, deploy/k8s).

No container engine or cluster exists on the development machines, so these files are never
run here; what can be checked without one is checked against the code itself: every YAML file
parses; every command the containers run parses with the real argument parsers (`akar`'s,
rasa-sdk's); every probe and healthcheck targets a path the process really serves, on the port
it really listens on; every setting the files pass exists in bot/config.py or .env.example;
every Kubernetes object is well-formed and every reference (labels, ports, ConfigMap, Secret,
kustomization resources) resolves. Webhook mode (several bot processes): more than one bot only
with the webhook settings, broadcasts left to the sender and a PostgreSQL database; the webhook
port the bot listens on is the one its Service and the compose balancer forward to.
"""

from __future__ import annotations

import inspect
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rasa_sdk.endpoint import create_app as create_action_server_app
from rasa_sdk.endpoint import create_argument_parser as action_server_parser
from ruamel.yaml import YAML

from bot.cli import build_parser
from bot.config import Settings
from bot.desk.app import create_app, desk_routes
from bot.desk.state import DeskConfig
from bot.observability.health_server import PATHS as HEALTH_PATHS
from bot.stack import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DEPLOY = PROJECT_ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKER = DEPLOY / "docker"
COMPOSE_WEBHOOK = DOCKER / "compose.webhook.yml"
CADDYFILE = DOCKER / "Caddyfile.webhook"
WEBHOOK_PATH = "/telegram"
# Ports Telegram delivers webhooks to (setWebhook's documentation).
TELEGRAM_WEBHOOK_PORTS = {443, 80, 88, 8443}
RASA_SERVER = PROJECT_ROOT / ".venv-rasa" / "lib" / "python3.10" / "site-packages" / "rasa"
SERVICES = {"postgres", "redis", "migrate", "rasa", "actions", "bot", "web", "sender"}
APP_SERVICES = {"migrate", "actions", "bot", "web", "sender"}
# Variables the third-party images read (documented by those images), not app settings.
IMAGE_VARIABLES = {
    "postgres": {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"},
    "rasa": {
        "ACTION_ENDPOINT_URL",
        # endpoints.shared.yml: the tracker store and the lock store (bot/stack.py:rasa_store_env).
        "RASA_TRACKER_STORE_URL",
        "RASA_LOCK_STORE_HOST",
        "RASA_LOCK_STORE_PORT",
        "RASA_LOCK_STORE_DB",
        "RASA_LOCK_STORE_PASSWORD",
    },
}
TEST_TOOLS = {"pytest", "pytest-asyncio", "pytest-timeout", "ruff", "mypy", "playwright"}
DEV_MARKER = "# development and test tools"


def load_all(path: Path) -> list[Any]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if doc]


def yaml_files() -> list[Path]:
    return [COMPOSE, *sorted(DEPLOY.rglob("*.yaml")), *sorted(DEPLOY.rglob("*.yml"))]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    [doc] = load_all(COMPOSE)
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def k8s_objects() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in load_all(path)
    ]


# --- what the processes really serve and read ----------------------------------------------


def desk_paths() -> set[str]:
    """The paths of the routes the desk app serves (every page module's router, as mounted)."""
    app = create_app(DeskConfig("sqlite://"))
    try:
        served = {route.path for route in desk_routes()}
        # The app really includes each router (desk_routes() lists what it is built from).
        assert {"/healthz", "/readyz", "/metrics"} <= served
        return served
    finally:
        app.state.desk.engine.dispose()


def action_server_paths() -> set[str]:
    source = inspect.getsource(create_action_server_app)
    return set(re.findall(r'@app\.(?:get|post)\("([^"]+)"', source))


def rasa_paths() -> set[str] | None:
    """GET routes of Rasa's HTTP API, read from the installed Rasa (None without .venv-rasa)."""
    server = RASA_SERVER / "server.py"
    if not server.exists():
        return None
    return set(re.findall(r'@app\.get\("([^"]+)"', server.read_text(encoding="utf-8")))


def served_paths(component: str) -> set[str] | None:
    if component in ("bot", "sender"):
        return set(HEALTH_PATHS)
    if component == "web":
        return desk_paths()
    if component == "actions":
        return action_server_paths()
    if component == "rasa":
        return rasa_paths()
    raise AssertionError(f"unknown component {component}")


LISTENS_ON = {"bot": 8091, "sender": 8091, "web": 8080, "actions": 5055, "rasa": 5005}


def known_settings() -> set[str]:
    """Every name the app reads: Settings fields, and every NAME= line of .env.example."""
    names = {name.upper() for name in Settings.model_fields}
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    return names


def check_akar_command(argv: list[str]) -> None:
    """`python -m bot ...` (or several joined by && in `sh -c`) parses with akar's parser."""
    if argv[:2] == ["sh", "-c"]:
        for part in argv[2].split("&&"):
            check_akar_command(shlex.split(part))
        return
    assert argv[:3] == ["python", "-m", "bot"], argv
    build_parser().parse_args(argv[3:])  # SystemExit on an unknown command or option


def check_action_server_command(argv: list[str]) -> None:
    assert argv[:3] == ["python", "-m", "rasa_sdk"], argv
    args = action_server_parser().parse_args(argv[3:])
    assert args.actions == "actions" and args.port == LISTENS_ON["actions"]
    assert args.logging_config_file is not None
    assert (PROJECT_ROOT / args.logging_config_file).is_file()


def check_rasa_command(argv: list[str]) -> None:
    assert argv[:2] == ["rasa", "run"], argv
    assert "--enable-api" in argv  # the bot needs the REST channel, the tracker and /status
    rest = [arg for arg in argv[2:] if arg != "--enable-api"]
    options = dict(zip(rest[::2], rest[1::2], strict=True))
    assert all(option.startswith("--") for option in options), rest
    arguments = RASA_SERVER / "cli" / "arguments"
    if arguments.is_dir():  # each option is one Rasa 3.6 really has
        source = "".join(f.read_text(encoding="utf-8") for f in arguments.glob("*.py"))
        for option in [*options, "--enable-api"]:
            assert f'"{option}"' in source, option
    assert options.get("--port") == str(LISTENS_ON["rasa"])
    assert options.get("--interface") == "0.0.0.0"
    # The model the image trains (rasa.Dockerfile) is the one the server loads.
    dockerfile = (DOCKER / "rasa.Dockerfile").read_text(encoding="utf-8")
    assert "--out models --fixed-model-name akar" in dockerfile
    assert options.get("--model") == "models/akar.tar.gz"
    for option in ("--endpoints", "--credentials"):
        assert (PROJECT_ROOT / options[option]).is_file()


def check_command(component: str, argv: list[str]) -> None:
    if component == "rasa":
        check_rasa_command(argv)
    elif component == "actions":
        check_action_server_command(argv)
    else:
        check_akar_command(argv)


# --- YAML ----------------------------------------------------------------------------------------


def test_every_deployment_yaml_file_parses() -> None:
    files = yaml_files()
    assert len(files) >= 10
    for path in files:
        assert load_all(path), path


# --- docker compose ------------------------------------------------------------------------------


def compose_probe(service: dict[str, Any]) -> tuple[int, str]:
    """(port, path) of the http://127.0.0.1:PORT/PATH URL in a healthcheck's test command."""
    command = " ".join(service["healthcheck"]["test"])
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", command)
    assert found, command
    return int(found[1]), found[2]


def test_compose_has_the_services_and_each_checks_its_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in ("rasa", "actions", "bot", "web", "sender"):
        port, path = compose_probe(services[name])
        assert port == LISTENS_ON[name], name
        paths = served_paths(name)
        if paths is not None:
            assert path in paths, (name, path, paths)
    # Probes of the app services use the project's stdlib probe, not a missing curl.
    for name in ("actions", "bot", "web", "sender"):
        assert services[name]["healthcheck"]["test"][1:4] == [
            "python",
            "-m",
            "bot.observability.probe",
        ]


def test_compose_commands_parse_with_the_real_parsers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        check_command(name, services[name]["command"])
    dockerfile = (DOCKER / "rasa.Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*?\])\s*$", dockerfile, flags=re.MULTILINE | re.DOTALL)
    assert cmd, "rasa.Dockerfile has no CMD"
    [rasa_cmd] = load_all_text(cmd[1].replace("\\\n", " "))
    check_rasa_command(rasa_cmd)
    # Compose runs replicas that share conversations: every variable the file reads is set.
    rasa = services["rasa"]
    check_rasa_command(rasa["command"])
    assert endpoint_variables(rasa["command"]) <= set(rasa["environment"])


def endpoint_variables(argv: list[str]) -> set[str]:
    """The ${VAR}s the Rasa command's endpoints file reads (comments aside); Rasa refuses to
    start when one is unset."""
    path = PROJECT_ROOT / argv[argv.index("--endpoints") + 1]
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))


def load_all_text(text: str) -> list[Any]:
    return [YAML(typ="safe").load(text)]


def test_ports_are_the_settings_defaults_and_what_the_files_configure(
    compose: dict[str, Any], k8s_objects: list[tuple[Path, dict[str, Any]]]
) -> None:
    defaults = Settings.model_fields
    assert defaults["health_port"].default == LISTENS_ON["bot"] == LISTENS_ON["sender"]
    assert defaults["web_port"].default == LISTENS_ON["web"]
    assert defaults["action_server_port"].default == LISTENS_ON["actions"]
    assert defaults["rasa_port"].default == LISTENS_ON["rasa"]
    services = compose["services"]
    for name in ("bot", "sender"):
        assert int(services[name]["environment"]["HEALTH_PORT"]) == LISTENS_ON[name]
    assert int(services["web"]["environment"]["WEB_PORT"]) == LISTENS_ON["web"]
    data = by_kind(k8s_objects, "ConfigMap")["akar-config"]["data"]
    assert int(data["HEALTH_PORT"]) == LISTENS_ON["bot"]
    assert int(data["WEB_PORT"]) == LISTENS_ON["web"]


def test_compose_wiring(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["build"]["dockerfile"] == "deploy/docker/app.Dockerfile"
        env = service["environment"]
        assert env["RASA_URL"] == "http://rasa:5005"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://akar:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/akar")
        assert env["BROADCAST_IN_BOT"] == "false" and env["LOG_FORMAT"] == "json"
    assert services["web"]["environment"]["WEB_HOST"] == "0.0.0.0"
    assert services["rasa"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert services["rasa"]["build"]["dockerfile"] == "deploy/docker/rasa.Dockerfile"
    # Only the desk is published, and only on the host's loopback.
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"web": ["127.0.0.1:8080:8080"]}
    for name in ("bot", "web", "sender"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["bot"]["depends_on"]["rasa"] == {"condition": "service_healthy"}
    # The main file's bot long-polls (one process), even with webhook settings in .env.
    assert services["bot"]["environment"]["TELEGRAM_WEBHOOK_URL"] == ""
    assert "deploy" not in services["bot"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_every_variable_compose_passes_or_reads_exists() -> None:
    known = known_settings()
    [compose] = load_all(COMPOSE)
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        names = set(env)
        allowed = known if name in APP_SERVICES else IMAGE_VARIABLES.get(name, set())
        assert names <= allowed, (name, names - allowed)
    # ${VAR} interpolations are filled from .env, so .env.example must document each of them.
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert interpolated and interpolated <= known, interpolated - known
    # endpoints.yml reads ACTION_ENDPOINT_URL, which compose and k8s give Rasa.
    assert "${ACTION_ENDPOINT_URL}" in (PROJECT_ROOT / "endpoints.yml").read_text()


# --- Dockerfiles ---------------------------------------------------------------------------------


def copy_sources(dockerfile: Path) -> Iterator[str]:
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            yield from shlex.split(line)[1:-1]


def test_dockerfiles_copy_what_exists_and_use_the_right_pythons() -> None:
    app = (DOCKER / "app.Dockerfile").read_text(encoding="utf-8")
    rasa = (DOCKER / "rasa.Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-", app, flags=re.MULTILINE)
    assert re.search(r"^FROM python:3\.10-", rasa, flags=re.MULTILINE)
    assert 'requires-python = ">=3.11,<3.12"' in (PROJECT_ROOT / "pyproject.toml").read_text()
    for dockerfile in (DOCKER / "app.Dockerfile", DOCKER / "rasa.Dockerfile"):
        for source in copy_sources(dockerfile):
            if source != ".":
                assert (PROJECT_ROOT / source).exists(), (dockerfile.name, source)
        assert "USER akar" in dockerfile.read_text(encoding="utf-8")
    # The training command is the Makefile's.
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "train --skip-validation --data nlu stories --config config.yml --domain domain" in (
        makefile
    )
    assert "train --skip-validation --data nlu stories --config config.yml --domain domain" in (
        " ".join(rasa.replace("\\\n", " ").split())
    )


def test_the_app_image_installs_every_runtime_requirement() -> None:
    """The app image keeps app.txt's lines above the dev marker: only test tools may follow it."""
    lines = (PROJECT_ROOT / "requirements" / "app.txt").read_text(encoding="utf-8").splitlines()
    assert DEV_MARKER in lines
    after = lines[lines.index(DEV_MARKER) + 1 :]
    packages = {line.split("==")[0] for line in after if line and not line.startswith("#")}
    assert packages <= TEST_TOOLS, packages - TEST_TOOLS
    before = {line.split("==")[0].split("[")[0] for line in lines if "==" in line} - packages
    assert {"python-telegram-bot", "prometheus-client", "python-json-logger", "uvicorn"} <= before
    assert f"sed '/^{DEV_MARKER}/,$d'" in (DOCKER / "app.Dockerfile").read_text(encoding="utf-8")


def test_dockerignore_keeps_secrets_and_environments_out() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", ".venv", ".venv-rasa", "models", "*.db", ".git"} <= set(ignored)


# --- Kubernetes ----------------------------------------------------------------------------------


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    [kustomization] = load_all(K8S / "kustomization.yaml")
    resources = set(kustomization["resources"])
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert resources == manifests - {"secret.example.yaml"}
    assert all((K8S / r).is_file() for r in resources)
    assert {image["name"] for image in kustomization["images"]} == {"akar-app", "akar-rasa"}


def test_every_object_is_well_formed(k8s_objects: list[tuple[Path, dict[str, Any]]]) -> None:
    assert len(k8s_objects) >= 15
    for path, obj in k8s_objects:
        assert isinstance(obj.get("apiVersion"), str) and obj["apiVersion"], path
        assert isinstance(obj.get("kind"), str) and obj["kind"], path
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", obj["metadata"]["name"]), path
    kinds = [obj["kind"] for _, obj in k8s_objects]
    assert kinds.count("Deployment") == 5 and kinds.count("Service") == 5
    assert {"Namespace", "ConfigMap", "Secret", "Job", "NetworkPolicy"} <= set(kinds)


def by_kind(objects: list[tuple[Path, dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for _, obj in objects if obj["kind"] == kind}


def pod_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return containers


def test_deployments_probe_real_paths_on_declared_ports(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    deployments = by_kind(k8s_objects, "Deployment")
    assert set(deployments) == {"rasa", "actions", "bot", "web", "sender"}
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items(), name
        [container] = pod_containers(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert LISTENS_ON[name] in ports.values(), name
        requests = container["resources"]["requests"]
        assert requests["cpu"] and requests["memory"], name
        assert container["resources"]["limits"]["memory"], name
        check_command(name, container["command"])
        probes = {k: v for k, v in container.items() if k.endswith("Probe")}
        assert {"readinessProbe", "livenessProbe"} <= set(probes), name
        paths = served_paths(name)
        for kind, probe in probes.items():
            port = probe["httpGet"]["port"]
            assert (ports.get(port) if isinstance(port, str) else port) == LISTENS_ON[name]
            if paths is not None:
                assert probe["httpGet"]["path"] in paths, (name, kind, paths)
        # Liveness never depends on another service: the process answering is enough.
        if name in ("bot", "sender", "web"):
            assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]
    # The sender's safe default: one, never two at once (several need REDIS_URL). The bot's
    # replicas and strategy depend on its mode: test_bot_replicas_only_in_webhook_mode.
    assert deployments["sender"]["spec"]["replicas"] == 1
    assert deployments["sender"]["spec"]["strategy"]["type"] == "Recreate"
    # Several Rasa replicas only with the shared stores, and with every variable they read.
    [rasa] = pod_containers(deployments["rasa"])
    if deployments["rasa"]["spec"]["replicas"] > 1:
        assert "endpoints.shared.yml" in rasa["command"]
    assert endpoint_variables(rasa["command"]) <= {variable["name"] for variable in rasa["env"]}


def test_services_select_pods_and_target_their_ports(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    deployments = by_kind(k8s_objects, "Deployment")
    for name, service in by_kind(k8s_objects, "Service").items():
        selector = service["spec"]["selector"]
        [target] = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        [container] = pod_containers(target)
        names = {p["name"] for p in container["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, (name, port)
    # The bot finds Rasa, and Rasa the action server, by these Service names and ports.
    configmap = by_kind(k8s_objects, "ConfigMap")["akar-config"]
    assert configmap["data"]["RASA_URL"] == "http://rasa:5005"
    [rasa] = pod_containers(deployments["rasa"])
    assert {"name": "ACTION_ENDPOINT_URL", "value": "http://actions:5055/webhook"} in rasa["env"]


def test_configuration_references_resolve(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    known = known_settings()
    configmaps = by_kind(k8s_objects, "ConfigMap")
    secrets = by_kind(k8s_objects, "Secret")
    assert set(configmaps["akar-config"]["data"]) <= known
    assert set(secrets["akar-secrets"]["stringData"]) <= known
    assert all(isinstance(v, str) for v in configmaps["akar-config"]["data"].values())
    workloads = [
        *by_kind(k8s_objects, "Deployment").values(),
        *by_kind(k8s_objects, "Job").values(),
    ]
    for workload in workloads:
        for container in pod_containers(workload):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
            assert container["image"] in ("akar-app", "akar-rasa")
    [job] = by_kind(k8s_objects, "Job").values()
    check_akar_command(pod_containers(job)[0]["command"])
    # Network policies select real pods.
    pod_labels = [
        d["spec"]["template"]["metadata"]["labels"]
        for d in by_kind(k8s_objects, "Deployment").values()
    ]
    for policy in by_kind(k8s_objects, "NetworkPolicy").values():
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert any(selector.items() <= labels.items() for labels in pod_labels)


def test_the_probe_module_is_what_the_healthchecks_run() -> None:
    from bot.observability import probe

    assert probe.main(["http://127.0.0.1:9/nothing-listens-here"]) == 1
    assert probe.main(["not a url"]) == 2


# --- webhook mode: several bot processes (issue #7, bot/webhook/) --------------------------------


def container_env(
    container: dict[str, Any], objects: list[tuple[Path, dict[str, Any]]]
) -> dict[str, str | None]:
    """The settings a container gets: its ConfigMap's and Secret's keys (envFrom), then its own
    `env` entries on top (a value, or None for one taken from a secretKeyRef/configMapKeyRef)."""
    configmaps = by_kind(objects, "ConfigMap")
    secrets = by_kind(objects, "Secret")
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            env.update(secrets[source["secretRef"]["name"]]["stringData"])
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value")
    return env


def test_app_containers_name_only_real_settings_and_secret_keys(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    known = known_settings()
    secrets = by_kind(k8s_objects, "Secret")
    configmaps = by_kind(k8s_objects, "ConfigMap")
    workloads = [
        *by_kind(k8s_objects, "Deployment").values(),
        *by_kind(k8s_objects, "Job").values(),
    ]
    for workload in workloads:
        for container in pod_containers(workload):
            names = {variable["name"] for variable in container.get("env", [])}
            allowed = known if container["image"] == "akar-app" else IMAGE_VARIABLES["rasa"]
            assert names <= allowed, (workload["metadata"]["name"], names - allowed)
            for variable in container.get("env", []):
                source = variable.get("valueFrom", {})
                if "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    assert ref["key"] in secrets[ref["name"]]["stringData"], ref
                if "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    assert ref["key"] in configmaps[ref["name"]]["data"], ref


def longest_handling(env: dict[str, Any]) -> float:
    """How long one update may take under load: its wait for a turn to Rasa, then Rasa's answer
    (the settings' defaults unless the environment changes them)."""
    fields = Settings.model_fields
    queue = env.get("RASA_QUEUE_SECONDS") or fields["rasa_queue_seconds"].default
    answer = env.get("RASA_TIMEOUT_SECONDS") or fields["rasa_timeout_seconds"].default
    return float(queue) + float(answer)


def is_webhook_mode(env: dict[str, str | None]) -> bool:
    return "TELEGRAM_WEBHOOK_URL" in env and env["TELEGRAM_WEBHOOK_URL"] != ""


def test_bot_replicas_only_in_webhook_mode(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    """More than one bot only in webhook mode (two pollers conflict, and only the shared inbox
    keeps a chat's updates in order across processes), with the secret Telegram must send, on
    a shared PostgreSQL database, and with broadcasts left to the `sender` Deployment (each bot
    sending too would multiply the rate)."""
    bot = by_kind(k8s_objects, "Deployment")["bot"]
    [container] = pod_containers(bot)
    env = container_env(container, k8s_objects)
    spec = bot["spec"]
    if not is_webhook_mode(env):
        assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
        return
    # The production shape is webhook mode with two replicas.
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert "TELEGRAM_WEBHOOK_SECRET" in env
    # Required, not optional: a pod without them must not start (it would long-poll).
    refs = {
        v["name"]: v["valueFrom"]["secretKeyRef"]
        for v in container["env"]
        if "secretKeyRef" in v.get("valueFrom", {})
    }
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        assert refs[name] == {"name": "akar-secrets", "key": name}, name
    assert env["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0"
    assert env["BROADCAST_IN_BOT"] == "false"
    assert str(env["DATABASE_URL"]).startswith("postgresql+psycopg://")
    assert by_kind(k8s_objects, "Deployment")["sender"]["spec"]["replicas"] >= 1
    # A rollout lets a pod finish what it holds.
    grace = bot["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= longest_handling(env)
    # Readiness on the health port, on a path the health server serves.
    probe = container["readinessProbe"]["httpGet"]
    assert (probe["path"], probe["port"]) == ("/readyz", "health")
    assert probe["path"] in HEALTH_PATHS


def test_the_webhook_port_is_the_one_the_bot_listens_on_and_the_service_targets(
    k8s_objects: list[tuple[Path, dict[str, Any]]],
) -> None:
    bot = by_kind(k8s_objects, "Deployment")["bot"]
    [container] = pod_containers(bot)
    env = container_env(container, k8s_objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    listen_port = int(env.get("TELEGRAM_WEBHOOK_PORT") or 0) or (
        Settings.model_fields["telegram_webhook_port"].default
    )
    assert ports["webhook"] == listen_port
    assert ports["health"] == int(str(env["HEALTH_PORT"]))
    service = by_kind(k8s_objects, "Service")["bot"]
    targets = {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}
    assert targets["webhook"] in ("webhook", listen_port)


def test_the_example_webhook_url_is_one_telegram_accepts() -> None:
    """HTTPS on a port Telegram posts to, on the path the compose balancer forwards."""
    [secret] = load_all(K8S / "secret.example.yaml")
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    [env_url] = re.findall(r"^#?\s*TELEGRAM_WEBHOOK_URL=(\S+)$", example, flags=re.MULTILINE)
    for url in (secret["stringData"]["TELEGRAM_WEBHOOK_URL"], env_url):
        parts = urlsplit(url)
        assert parts.scheme == "https", url
        assert (parts.port or 443) in TELEGRAM_WEBHOOK_PORTS, url
        assert parts.path == WEBHOOK_PATH, url
    # The example secret fits what the bot (and Telegram) accept, so it is obviously a template.
    from bot.webhook.runner import SECRET_PATTERN

    assert SECRET_PATTERN.fullmatch(secret["stringData"]["TELEGRAM_WEBHOOK_SECRET"])


def test_compose_webhook_override(compose: dict[str, Any]) -> None:
    """deploy/docker/compose.webhook.yml: two bots in webhook mode behind the balancer, which
    forwards only the webhook path to the port the bots listen on."""
    [override] = load_all(COMPOSE_WEBHOOK)
    services = override["services"]
    assert set(services) == {"bot", "webhook-proxy"}
    bot = services["bot"]
    assert bot["deploy"]["replicas"] == 2
    env = {**compose["services"]["bot"]["environment"], **bot["environment"]}
    grace = re.fullmatch(r"(\d+)s", bot["stop_grace_period"])
    assert grace and int(grace[1]) >= longest_handling(env)
    assert set(bot["environment"]) <= known_settings()
    assert env["TELEGRAM_WEBHOOK_URL"].startswith("${TELEGRAM_WEBHOOK_URL:?")
    assert env["TELEGRAM_WEBHOOK_SECRET"].startswith("${TELEGRAM_WEBHOOK_SECRET:?")
    assert env["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0"
    assert env["BROADCAST_IN_BOT"] == "false"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "sender" in compose["services"]
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_WEBHOOK.read_text("utf-8")))
    assert interpolated <= known_settings(), interpolated - known_settings()
    # The balancer: published on loopback only, the Caddyfile it mounts forwards the webhook
    # path (and nothing else) to the bots' TELEGRAM_WEBHOOK_PORT.
    proxy = services["webhook-proxy"]
    assert proxy["ports"] == ["127.0.0.1:8443:8443"]
    [mount] = proxy["volumes"]
    source, target = mount.split(":")[:2]
    assert (PROJECT_ROOT / source).resolve() == CADDYFILE.resolve()
    assert target == "/etc/caddy/Caddyfile"
    caddy = CADDYFILE.read_text(encoding="utf-8")
    assert re.search(r"^http://:8443 \{", caddy, flags=re.MULTILINE)
    assert re.findall(r"^\s*handle (\S+) \{", caddy, flags=re.MULTILINE) == [WEBHOOK_PATH]
    upstream = re.search(r"name bot\s+port (\d+)", caddy)
    assert upstream and upstream[1] == env["TELEGRAM_WEBHOOK_PORT"]
    assert "/metrics" not in caddy
