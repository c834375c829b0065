"""What bundling removes from pip's output: documentation in botocore's models, and files nothing loads."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from botocore.model import ServiceModel

from infra.bundling import slim_site, strip_model_documentation

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
MODEL = {
    "version": "2.0",
    "documentation": "The service.",
    "metadata": {"apiVersion": "2020-01-01", "protocol": "json", "serviceId": "Demo", "endpointPrefix": "demo"},
    "operations": {
        "Describe": {
            "name": "Describe",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "DescribeInput", "documentation": "What to describe."},
            "output": {"shape": "DescribeOutput"},
            "errors": [{"shape": "Missing", "documentation": "Not there."}],
            "documentation": "Describes it.",
            "documentationUrl": "https://docs.example.com/describe",
        }
    },
    "shapes": {
        "DescribeInput": {
            "type": "structure",
            "required": ["documentation"],
            "members": {
                # A member called "documentation" is data, not documentation: it stays.
                "documentation": {"shape": "String", "documentation": "The text of the document."},
                "Tags": {"shape": "Tags"},
            },
            "documentation": "The input.",
        },
        "Tags": {"type": "list", "member": {"shape": "String", "documentation": "A tag."}, "max": 5},
        "DescribeOutput": {"type": "structure", "members": {}},
        "Missing": {"type": "structure", "members": {}, "exception": True, "documentation": "Missing."},
        "String": {"type": "string", "min": 1, "pattern": "^[a-z]+$", "documentation": "A string."},
    },
}


def stripped(tmp_path: Path) -> dict[str, object]:
    model = tmp_path / "service-2.json.gz"
    model.write_bytes(gzip.compress(json.dumps(MODEL).encode()))
    strip_model_documentation(model)
    return json.loads(gzip.decompress(model.read_bytes()))


def test_a_stripped_model_keeps_everything_but_its_documentation(tmp_path):
    data = stripped(tmp_path)
    assert "documentation" not in json.dumps({k: v for k, v in data.items() if k != "shapes"})
    expected = json.loads(json.dumps(MODEL))
    expected.pop("documentation")
    operation = expected["operations"]["Describe"]
    for key in ("documentation", "documentationUrl"):
        operation.pop(key)
    operation["input"].pop("documentation")
    operation["errors"][0].pop("documentation")
    for shape in expected["shapes"].values():
        shape.pop("documentation", None)
    expected["shapes"]["DescribeInput"]["members"]["documentation"].pop("documentation")
    expected["shapes"]["Tags"]["member"].pop("documentation")
    assert data == expected


def test_botocore_reads_a_stripped_model_as_it_reads_the_full_one(tmp_path):
    full, lean = ServiceModel(MODEL), ServiceModel(stripped(tmp_path))
    assert lean.operation_model("Describe").input_shape.members.keys() == {"documentation", "Tags"}
    assert lean.operation_model("Describe").input_shape.required_members == ["documentation"]
    assert lean.shape_for("String").metadata == {"min": 1, "pattern": "^[a-z]+$"}
    assert lean.operation_model("Describe").error_shapes[0].name == "Missing"
    assert lean.operation_model("Describe").documentation == ""
    assert full.operation_model("Describe").documentation == "Describes it."


def test_the_rewrite_is_reproducible_so_the_asset_hash_holds(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        directory.mkdir()
        stripped(directory)
    assert (first / "service-2.json.gz").read_bytes() == (second / "service-2.json.gz").read_bytes()


def test_slimming_a_site_drops_what_nothing_loads_and_keeps_what_runs(tmp_path):
    files = {
        "botocore/data/sqs/2012-11-05/service-2.json.gz": gzip.compress(json.dumps(MODEL).encode()),
        "botocore/data/sqs/2012-11-05/paginators-1.json": b"{}",
        "botocore/data/sqs/2012-11-05/examples-1.json": b"{}",
        "botocore/data/s3/2006-03-01/service-2.json.gz": b"",
        "botocore/data/endpoints.json": b"{}",
        "boto3/data/sqs/2012-11-05/resources-1.json": b"{}",
        "boto3/session.py": b"",
        "botocore-1.0.dist-info/METADATA": b"Name: botocore",
        "botocore-1.0.dist-info/RECORD": b"",
        "pydantic/main.py": b"",
        "pydantic/main.pyi": b"",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py": b"",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js": b"",
        "cryptography/__init__.py": b"",
        "cryptography-50.0.dist-info/METADATA": b"",
        "_cffi_backend.cpython-313-x86_64-linux-gnu.so": b"",
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    slim_site(tmp_path)
    left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert left == {
        "botocore/data/sqs/2012-11-05/service-2.json.gz",
        "botocore/data/sqs/2012-11-05/paginators-1.json",
        "botocore/data/endpoints.json",
        "boto3/session.py",
        "botocore-1.0.dist-info/METADATA",
        "pydantic/main.py",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
    }


def test_the_functions_never_serve_the_swagger_ui_that_bundling_drops():
    for path in (FUNCTIONS / "ticketing").rglob("*.py"):
        assert "enable_swagger" not in path.read_text(), path
