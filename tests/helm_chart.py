"""Offline checks of a rendered project's Helm chart, no cluster and no helm binary: Helm's own
lint and render (helm-python-sdk), kubernetes-validate --strict against a current Kubernetes,
and assertions on what the manifests promise (probes, security context, grace period)."""

from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate  # type: ignore[import-untyped]
import yaml

KUBERNETES_VERSION = "1.37.0"
Manifest = dict[str, Any]


def render(chart: Path, values: dict[str, Any]) -> dict[str, Manifest]:
    """The chart's manifests for `values`, each validated strictly, by kind."""
    with helm.Chart.load(str(chart)) as loaded:
        rendered = loaded.render(values, name="api", namespace="prod")
    manifests: dict[str, Manifest] = {}
    for path, text in rendered.items():
        if path.endswith(".yaml"):
            for document in yaml.safe_load_all(text):
                if document:
                    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
                    manifests[document["kind"]] = document
    return manifests


def env_of(container: Manifest) -> dict[str, str]:
    return {variable["name"]: variable.get("value", "") for variable in container["env"]}


def check_deployment(deployment: Manifest, values: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # Where a read-only root lets the process write: an emptyDir at /tmp.
    [mount] = container["volumeMounts"]
    assert mount["mountPath"] == "/tmp"
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["readinessProbe"]["httpGet"]["port"] == "http"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    env = env_of(container)
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pause == values.get("shutdown", {}).get("preStopSeconds", 5)
    assert pod["terminationGracePeriodSeconds"] > pause + int(env["SHUTDOWN_TIMEOUT"])
    assert env["HOST"] == "0.0.0.0"
    # Secrets never come from values: only from the Secret, whole.
    assert not {"API_AUTH_TOKENS", "UPSTREAM_API_KEY"} & set(env)
    [source] = container["envFrom"]
    assert source["secretRef"]["name"]
    resources = container["resources"]
    assert set(resources) == {"requests", "limits"}
    assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])
    assert "replicas" not in deployment["spec"]  # the autoscaler sets it


def check_files(chart: Path) -> None:
    """`files` become a ConfigMap mounted read-only at `filesPath`, where a setting finds them."""
    routes = "routes:\n  - model: chat\n"
    values = {"files": {"routes.yaml": routes}, "config": {"ROUTES_FILE": "/etc/app/routes.yaml"}}
    manifests = render(chart, {**values, "filesPath": "/etc/app"})
    assert manifests["ConfigMap"]["data"] == {"routes.yaml": routes}
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    assert mounts["files"] == {"name": "files", "mountPath": "/etc/app", "readOnly": True}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["files"]["configMap"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
    assert env_of(container)["ROUTES_FILE"] == "/etc/app/routes.yaml"


def check_chart(chart: Path, rate_limits: bool) -> None:
    """Lint and render the chart with its defaults and with values-production.yaml."""
    report = helm.lint(str(chart))
    assert not report["errors"], report
    # Severity 1 is information ("icon is recommended"); warnings and errors fail.
    assert not [message for message in report["messages"] if message["severity"] > 1], report

    defaults = render(chart, {})
    assert set(defaults) == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    check_deployment(defaults["Deployment"], {})
    assert defaults["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert defaults["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    assert defaults["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    assert defaults["Service"]["spec"]["sessionAffinity"] == "None"
    check_files(chart)
    sticky = render(chart, {"service": {"sessionAffinity": "ClientIP"}})["Service"]["spec"]
    assert sticky["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}

    values = yaml.safe_load((chart / "values-production.yaml").read_text())
    production = render(chart, values)
    check_deployment(production["Deployment"], values)
    ingress = production["Ingress"]
    assert (
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    )
    assert ingress["spec"]["tls"][0]["hosts"] == ["api.example.com"]
    minimum = production["HorizontalPodAutoscaler"]["spec"]["minReplicas"]
    assert production["PodDisruptionBudget"]["spec"]["minAvailable"] < minimum
    env = env_of(production["Deployment"]["spec"]["template"]["spec"]["containers"][0])
    assert ("REDIS_URL" in env) is rate_limits
