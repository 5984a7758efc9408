"""Compute files: Azure's kinds, chosen by `type`, and Cairn's own (`local`, `ray`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.spec import documents
from cairn.spec.entities.compute import AmlCompute, KubernetesCompute, LocalCompute, RayCompute

from .document_cases import asset, found, write_files

COMPUTE = documents.COMPUTE

CASES = {
    # Azure: accepts (examples of Azure's compute YAML reference).
    "aml.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
        name: cpu-cluster
        type: amlcompute
        size: STANDARD_DS3_v2
        min_instances: 0
        max_instances: 2
        idle_time_before_scale_down: 120
    """,
    "aml_low_priority.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
        name: low-pri-example
        type: AmlCompute
        size: STANDARD_DS3_v2
        min_instances: 0
        max_instances: 2
        tier: Low_Priority
        identity:
          type: system_assigned,user_assigned
          user_assigned_identities:
            - resource_id: /subscriptions/x/resourceGroups/rg/providers/identity/uai
    """,
    "instance.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/computeInstance.schema.json
        name: minimal-example-i
        type: computeinstance
        size: STANDARD_DS3_v2
        idle_time_before_shutdown_minutes: 30
        schedules:
          compute_start_stop:
            - action: stop
              trigger:
                type: cron
                start_time: "2021-03-10T21:21:07"
                time_zone: Pacific Standard Time
                expression: 0 18 * * *
    """,
    "vm.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/vmCompute.schema.json
        name: vm-example
        type: virtualmachine
        resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v
        ssh_settings:
          admin_username: azureuser
          ssh_private_key_file: ./id_rsa
    """,
    # Azure: accepts (`namespace` left out becomes `default`).
    "kubernetes.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/kubernetesCompute.schema.json
        name: k8s-compute
        type: kubernetes
        resource_id: /subscriptions/x/resourceGroups/rg/providers/Microsoft.Kubernetes/clusters/c
        identity:
          type: system_assigned
    """,
    "synapse.yml": """
        name: synapse-spark
        type: synapsespark
        resource_id: /subscriptions/x/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/w/p
        identity:
          type: system_assigned
    """,
    # Cairn only (Azure: "Unknown compute type").
    "local.yml": """
        name: laptop
        type: local
        max_instances: 4
    """,
    "ray.yml": """
        name: ray-cluster
        type: ray
        address: ray://head.internal:10001
        max_instances: 16
        description: The team's Ray cluster.
    """,
    # Azure: rejects (`max_nodes`: Unknown field).
    "aml_unknown.yml": """
        name: c
        type: amlcompute
        max_nodes: 3
    """,
    # Azure: rejects (`name`: Missing data for required field).
    "aml_no_name.yml": """
        type: amlcompute
        size: STANDARD_DS3_v2
    """,
    # Azure: rejects (`lowpriority` not in ['low_priority', 'dedicated']).
    "aml_bad_tier.yml": """
        name: c
        type: amlcompute
        tier: lowpriority
    """,
    # Azure: rejects (`max_instances`: Not a valid integer).
    "aml_wrong_type.yml": """
        name: c
        type: amlcompute
        max_instances: many
    """,
    # Azure: rejects (`managed` is a job identity, not a compute's).
    "aml_identity.yml": """
        name: c
        type: amlcompute
        identity:
          type: managed
    """,
    # Azure: accepts offline; its service refuses a cluster whose minimum exceeds its maximum.
    "aml_min_max.yml": """
        name: c
        type: amlcompute
        min_instances: 4
        max_instances: 2
    """,
    # Azure: rejects ("Unknown compute type: amlcomptue", "Unknown compute type: None").
    "compute_bad_type.yml": """
        name: c
        type: amlcomptue
    """,
    "compute_no_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
        name: c
        size: STANDARD_DS3_v2
    """,
    # Azure: rejects (`resource_id`: Missing data for required field).
    "vm_no_resource.yml": """
        name: vm
        type: virtualmachine
    """,
    # Cairn only: not a Ray address, and no slots.
    "ray_bad.yml": """
        name: r
        type: ray
        address: the big cluster
        max_instances: 0
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, CASES)
    return tmp_path


@pytest.mark.parametrize(
    "name",
    ["aml.yml", "aml_low_priority.yml", "instance.yml", "vm.yml", "kubernetes.yml", "synapse.yml"],
)
def test_azure_compute_examples_are_valid(root: Path, name: str) -> None:
    report = asset(root, name)
    assert found(report) == []
    assert report.kind == "compute"


def test_compute_values(root: Path) -> None:
    aml = asset(root, "aml_low_priority.yml").entity
    assert isinstance(aml, AmlCompute)
    assert (aml.type, aml.tier, aml.max_instances) == ("amlcompute", "low_priority", 2)
    kubernetes = asset(root, "kubernetes.yml").entity
    assert isinstance(kubernetes, KubernetesCompute) and kubernetes.namespace == "default"


def test_cairns_own_compute_kinds(root: Path) -> None:
    local = asset(root, "local.yml")
    assert found(local) == [] and local.kind == "compute"
    assert isinstance(local.entity, LocalCompute) and local.entity.max_instances == 4
    ray = asset(root, "ray.yml")
    assert found(ray) == []
    assert isinstance(ray.entity, RayCompute) and ray.entity.address == "ray://head.internal:10001"
    bad = asset(root, "ray_bad.yml")
    assert found(bad) == [("E106", 3), ("E106", 4)]
    assert "is not a Ray cluster address" in bad.diagnostics.sorted()[0].message


@pytest.mark.parametrize(
    ("name", "expected", "hint"),
    [
        ("aml_unknown.yml", [("E101", 3)], "did you mean `max_instances`?"),
        ("aml_no_name.yml", [("E102", 1)], None),
        ("aml_bad_tier.yml", [("E104", 3)], "did you mean `low_priority`?"),
        ("aml_wrong_type.yml", [("E103", 3)], None),
        ("aml_identity.yml", [("E104", 4)], None),
        ("aml_min_max.yml", [("E106", 4)], None),
        ("vm_no_resource.yml", [("E102", 1)], None),
    ],
)
def test_compute_schema_errors(
    root: Path, name: str, expected: list[tuple[str, int]], hint: str | None
) -> None:
    report = asset(root, name)
    assert found(report) == expected
    if hint is not None:
        assert report.diagnostics.items[0].hint == hint


def test_a_comma_inside_an_allowed_value_is_kept(root: Path) -> None:
    message = asset(root, "aml_identity.yml").diagnostics.items[0].message
    assert message.endswith("`none`, `system_assigned,user_assigned`")


def test_the_type_selects_the_compute_schema(root: Path) -> None:
    bad = asset(root, "compute_bad_type.yml", COMPUTE)
    assert found(bad) == [("E104", 2)]
    assert bad.diagnostics.items[0].hint == "did you mean `amlcompute`?"
    missing = asset(root, "compute_no_type.yml")
    assert missing.kind == "compute"
    assert found(missing) == [("E102", 1)]
    # Without a `$schema` or a known `type`, nothing says this is a compute file.
    assert found(asset(root, "compute_bad_type.yml")) == [("E108", 1)]
