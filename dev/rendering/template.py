"""Write the per-provider parts of template.yaml from the provider definitions (`make template`).

Every provider needs the same ten resources and outputs, from its definition's `Deployment`
and `methods`; writing them by hand for every provider would let them drift. The shared parts of the template stay hand-written; the regions between
`# >>> generated: <region>` and `# <<< generated` are replaced. A test fails when the file
differs from what this writes, so an edit here must be followed by `make template`.
"""

from __future__ import annotations

import re

from dev.rendering.generated import write_or_check
from dev.template import TEMPLATE
from hookgate import providers
from hookgate.providers.base import Provider, Setting


def _logical(provider: Provider) -> str:
    return provider.name.capitalize()


def _definitions() -> list[Provider]:
    return [providers.get(name) for name in providers.NAMES]


FUNCTION_SKIPS = """\
      checkov:
        skip:
          - id: CKV_AWS_116
            comment: Invoked synchronously by API Gateway; a failure goes back to the provider, which retries. DLQs are for async invokes.
          - id: CKV_AWS_117
            comment: Calls only AWS APIs over TLS; a VPC would add NAT or endpoint cost and cold-start time, not protection.
          - id: CKV_AWS_173
            comment: The environment holds resource names and settings only; secrets live in Secrets Manager.
          - id: CKV_AWS_115
            comment: Set by the ReservedConcurrency parameter (off by default, see its description).
"""


def _methods(provider: Provider) -> list[str]:
    return sorted(provider.methods)


def _parameter(setting: Setting, title: str) -> str:
    allowed = f"    AllowedValues: [{', '.join(setting.allowed)}]\n" if setting.allowed else ""
    default = f'"{setting.default}"' if setting.default in ("", "{body}") else setting.default
    return f"""\
  {setting.parameter}:
    Type: String
{allowed}    Default: {default}
    Description: >-
      {title} provider - {setting.description}
"""


def parameters() -> str:
    blocks = []
    for p in _definitions():
        routes = ", ".join(f"{m} /webhooks/{p.name}[/{{account}}]" for m in _methods(p))
        blocks.append(
            f"""\
  Enable{_logical(p)}:
    Type: String
    AllowedValues: ["true", "false"]
    Default: "{"true" if p.deployment.enabled else "false"}"
    Description: Deploy the {p.deployment.title} endpoint ({routes}).
"""
        )
    settings = [
        _parameter(setting, p.name.capitalize())
        for p in _definitions()
        for setting in p.deployment.settings
    ]
    return "".join(blocks + settings)


def conditions() -> str:
    return "".join(
        f'  {_logical(p)}Enabled: !Equals [!Ref Enable{_logical(p)}, "true"]\n'
        for p in _definitions()
    )


def _function(p: Provider) -> str:
    e = p.deployment
    logical = _logical(p)
    settings = "".join(f"          {s.variable}: !Ref {s.parameter}\n" for s in e.settings)
    # The bare route is the default account; `{account}` routes each to its own secret.
    events = "".join(
        f"""\
        {"Webhook" if method == "POST" else "Handshake"}{suffix}:
          Type: Api
          Properties:
            RestApiId: !Ref WebhookApi
            Path: /webhooks/{p.name}{path}
            Method: {method.lower()}
"""
        for method in _methods(p)
        for suffix, path in (("", ""), ("Account", "/{account}"))
    )
    secret_actions = (
        "[secretsmanager:GetSecretValue, secretsmanager:PutSecretValue]"
        if e.writes_secret
        else "secretsmanager:GetSecretValue"
    )
    # The topics a function takes are in its secret, which the template cannot read; the call
    # needs a token SNS sent to this endpoint, and confirms nothing but this endpoint.
    confirms = (
        """\
            - Sid: ConfirmSnsSubscriptions
              Effect: Allow
              Action: sns:ConfirmSubscription
              Resource: !Sub "arn:${AWS::Partition}:sns:*:*:*"
"""
        if e.confirms_subscriptions
        else ""
    )
    return f"""\
  {logical}Function:
    Type: AWS::Serverless::Function
    Condition: {logical}Enabled
    Properties:
      Description: Verifies {e.title} webhooks and publishes them to EventBridge
      CodeUri: functions/{p.name}/
      Environment:
        Variables:
          HOOKGATE_PROVIDER: {p.name}
          HOOKGATE_SECRET_ID: !Ref {logical}Secret
          HOOKGATE_ACCOUNT_SECRETS: !Sub "${{AWS::StackName}}/{p.name}"
{settings}      Policies:
        - EventBridgePutEventsPolicy:
            EventBusName: !Ref EventBus
        - Statement:
            - Sid: OwnSecret
              Effect: Allow
              Action: {secret_actions}
              Resource:
                - !Ref {logical}Secret
                - !Sub "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:${{AWS::StackName}}/{p.name}/*"
            - Sid: ReplayGuard
              Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:DeleteItem]
              Resource: !GetAtt ReplayTable.Arn
            - Sid: ClaimCheck
              Effect: Allow
              Action: s3:PutObject
              Resource: !Sub "${{PayloadBucket.Arn}}/*"
            # Which accounts exist, asked only while made-up account names are arriving.
            # ListSecrets has no resource scope: it shows secret names, never their values.
            - Sid: ListAccounts
              Effect: Allow
              Action: secretsmanager:ListSecrets
              Resource: "*"
{confirms}      Events:
{events}    Metadata:
      BuildMethod: makefile
      ContextPath: functions
{FUNCTION_SKIPS}"""


def _secret(p: Provider) -> str:
    e = p.deployment
    logical = _logical(p)
    value = (
        f"      SecretString: '{e.initial_secret}'\n"
        if e.initial_secret
        else """\
      # A random placeholder, so nothing verifies until the real secret is set.
      GenerateSecretString:
        PasswordLength: 48
        ExcludePunctuation: true
"""
    )
    return f"""\
  {logical}Secret:
    Type: AWS::SecretsManager::Secret
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_149
            comment: Encrypted with the AWS managed key; set KmsKeyId where policy demands a customer key.
    Condition: {logical}Enabled
    Properties:
      Name: !Sub "${{AWS::StackName}}/{p.name}"
      Description: >-
        {e.secret}
{value}"""


def _alarms(p: Provider) -> str:
    title = p.deployment.title
    logical = _logical(p)
    reasons = (
        ("forged", "bad_signature"),
        ("stale", "stale_timestamp"),
        ("unsigned", "missing_signature"),
        ("unknown", "unknown_account"),
    )
    metrics = "".join(
        f"""\
        - Id: {metric_id}
          ReturnData: false
          MetricStat:
            Metric:
              Namespace: Hookgate
              MetricName: WebhookRejected
              Dimensions:
                - {{Name: provider, Value: {p.name}}}
                - {{Name: reason, Value: {reason}}}
            Period: 300
            Stat: Sum
"""
        for metric_id, reason in reasons
    )
    return f"""\
  {logical}RejectedAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: {logical}Enabled
    Properties:
      AlarmDescription: Many {title} deliveries refused as forged, stale, unsigned or for unknown accounts
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: !Ref RejectedAlarmThreshold
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
      AlarmActions: !If [NotifiesAlarms, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
      Metrics:
        - Id: refused
          Expression: forged + stale + unsigned + unknown
          Label: refused deliveries
{metrics}
  {logical}PublishFailedAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: {logical}Enabled
    Properties:
      AlarmDescription: {title} deliveries failed to reach EventBridge (the provider will retry)
      Namespace: Hookgate
      MetricName: WebhookPublishFailed
      Dimensions:
        - {{Name: provider, Value: {p.name}}}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: !If [NotifiesAlarms, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
"""


def resources() -> str:
    return "\n".join(f"{_function(p)}\n{_secret(p)}\n{_alarms(p)}" for p in _definitions())


def outputs() -> str:
    return "".join(
        f"""\
  {_logical(p)}WebhookUrl:
    Condition: {_logical(p)}Enabled
    Description: Paste into {p.deployment.console}
    Value: !Sub "https://${{WebhookApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{StageName}}/webhooks/{p.name}"
  {_logical(p)}SecretArn:
    Condition: {_logical(p)}Enabled
    Description: Put the {p.deployment.title} secret here
    Value: !Ref {_logical(p)}Secret
"""
        for p in _definitions()
    )


REGIONS = {
    "parameters": parameters,
    "conditions": conditions,
    "resources": resources,
    "outputs": outputs,
}
_REGION = re.compile(r"(# >>> generated: (\w+)[^\n]*\n)(.*?)(\s*# <<< generated)", re.S)


def render(text: str) -> str:
    """`text` with every generated region written anew."""

    def replace(found: re.Match[str]) -> str:
        return found.group(1) + REGIONS[found.group(2)]().rstrip("\n") + found.group(4)

    rendered, count = _REGION.subn(replace, text)
    if count != len(REGIONS):
        raise SystemExit(f"template.yaml has {count} generated regions, expected {len(REGIONS)}")
    return rendered


def main() -> int:
    return write_or_check(TEMPLATE, render(TEMPLATE.read_text(encoding="utf-8")), target="template")


if __name__ == "__main__":
    raise SystemExit(main())
