"""template.yaml -> plain CloudFormation JSON, offline, for the policy scan (`make security`).

Checkov reads `AWS::Serverless::*` resources only in part: it never sees what the SAM transform makes of
them (the functions' IAM roles, the API's stage and methods, the Scheduler roles, the aliases). So the scan
runs on the transformed template, made here with the `samtranslator` of SAM CLI's own uv tool env (the
version `sam validate` uses) and the template's parameter defaults. No AWS call is made: local code
paths become placeholder S3 URIs (as `sam validate` does) and no managed policy is looked up by name.

Run with SAM CLI's Python: `python .checkov/sam_to_cfn.py template.yaml .aws-sam/security/template.json`.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

PLACEHOLDER = "s3://security-scan-placeholder/{}.zip"
CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
}


def _with_placeholder_code(template: dict[str, Any]) -> dict[str, Any]:
    """Local paths (what `sam build` uploads) -> S3 URIs, the only form the translator accepts."""
    for name, resource in template.get("Resources", {}).items():
        key = CODE_PROPERTIES.get(resource.get("Type", ""))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            properties[key] = PLACEHOLDER.format(name)
    return template


def translate(source: Path) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-north-1")
    import boto3  # noqa: PLC0415 - after the region is set; SAM CLI's env always has it

    template = _with_placeholder_code(yaml_parse(source.read_text()))
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name=os.environ["AWS_DEFAULT_REGION"]),
    )
    # The parameters' defaults are filled in by the translator itself (a deploy with no overrides).
    result: dict[str, Any] = translator.translate(
        sam_template=template, parameter_values={}, get_managed_policy_map=dict
    )
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(translate(source), indent=1, sort_keys=False, default=str) + "\n")
    print(f"{source} -> {target} (SAM transform applied, parameter defaults)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
