"""Write the per-provider parts of template.yaml from the provider definitions (`make template`).

Every provider needs the same resources and outputs, from its definition's `Deployment` and
`methods`; writing them by hand for every provider would let them drift. The alarms and the
dashboard are written here too, so that the metrics and reasons they name are in one place.
The shared parts of the template stay hand-written; the regions between
`# >>> generated: <region>` and `# <<< generated` are replaced. A test fails when the file
differs from what this writes, so an edit here must be followed by `make template`.
"""

from __future__ import annotations

import json
import re

from dev.rendering.generated import write_or_check
from dev.template import TEMPLATE
from hookgate import providers
from hookgate.providers.base import Provider, Setting
from hookgate.sources import ANY_SOURCE, PUBLISHED


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
    sources = [
        f"""\
  {_logical(p)}SourceIps:
    Type: String
    AllowedValues: [{ANY_SOURCE}, {PUBLISHED}]
    Default: {ANY_SOURCE}
    Description: >-
      {p.deployment.title} - where requests may come from: {ANY_SOURCE}, or only the ranges
      {p.deployment.title} publishes ({PUBLISHED}; hookgate/sender_ranges.json, `make ip-ranges`).
      Others get 403 before verification. Defence in depth: the signature is still checked.
"""
        for p in _definitions()
        if p.deployment.sender_ranges is not None
    ]
    return "".join(blocks + settings + sources)


def conditions() -> str:
    return "".join(
        f'  {_logical(p)}Enabled: !Equals [!Ref Enable{_logical(p)}, "true"]\n'
        for p in _definitions()
    )


def _function(p: Provider) -> str:
    e = p.deployment
    logical = _logical(p)
    settings = "".join(f"          {s.variable}: !Ref {s.parameter}\n" for s in e.settings)
    if e.sender_ranges is not None:
        settings += f"          HOOKGATE_ALLOWED_SOURCES: !Ref {logical}SourceIps\n"
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
          # What URL-signing providers sign: the custom domain's, when there is one.
          HOOKGATE_PUBLIC_URL: !If [HasCustomDomain, !Sub "https://${{DomainName}}/webhooks/{p.name}", !Ref AWS::NoValue]
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


#: Why deliveries are refused, each with its own alarm, and what the alarm most likely means.
#: The reasons are hookgate's `WebhookRejected` dimensions, and AWS WAF's rate-based rule.
REJECTION_ALARMS = (
    (
        "bad_signature",
        "BadSignature",
        "Deliveries whose signature matches no secret. One provider, every delivery: its "
        "secret was rotated at the provider but not in Secrets Manager. Otherwise: forgeries.",
    ),
    (
        "stale_timestamp",
        "StaleTimestamp",
        "Signed deliveries outside ToleranceSeconds: captured deliveries replayed, a provider "
        "retrying late, or a clock off.",
    ),
    (
        "missing_signature",
        "MissingSignature",
        "Requests without the provider's signature header: scanners, or a webhook set up "
        "without signing.",
    ),
    (
        "unknown_account",
        "UnknownAccount",
        "Deliveries to accounts that have no secret: an account removed while its provider "
        "still sends, or account names being guessed.",
    ),
    (
        "ip_not_allowed",
        "IpNotAllowed",
        "Requests from outside a provider's allow-listed ranges: the provider's ranges "
        "changed (make ip-ranges, then deploy), or someone else calling.",
    ),
)
#: The web ACL's rules, as named in its metrics (the `Rule` dimension of AWS/WAFV2).
RATE_RULE = "RateLimitPerIp"
REPUTATION_RULE = "IpReputation"
#: What the dashboard shows, and the alarms watch: the metrics the functions emit.
NAMESPACE = "Hookgate"


def _alarm_actions() -> str:
    return "      AlarmActions: !If [NotifiesAlarms, [!Ref AlarmTopicArn], !Ref AWS::NoValue]\n"


def _rejection_alarm(reason: str, name: str, meaning: str) -> str:
    # One alarm per reason for the whole stack, each provider a contributor of its own (the
    # alarm names which are over the threshold), instead of an alarm per provider and reason.
    query = (  # a CloudWatch Metrics Insights query, of constants
        f"SELECT SUM(WebhookRejected) FROM SCHEMA({NAMESPACE}, provider, reason) "  # noqa: S608
        f"WHERE reason = '{reason}' GROUP BY provider ORDER BY SUM() DESC"
    )
    return f"""\
  Rejected{name}Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: >-
        hookgate refused deliveries as {reason}. {meaning}
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: !Ref RejectedAlarmThreshold
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
{_alarm_actions()}      Metrics:
        - Id: refused
          Label: {reason}
          Period: 300
          Expression: "{query}"
"""


def alarms() -> str:
    reasons = "".join(_rejection_alarm(*alarm) for alarm in REJECTION_ALARMS)
    failed = (  # a CloudWatch Metrics Insights query, of constants
        f"SELECT SUM(WebhookPublishFailed) FROM SCHEMA({NAMESPACE}, provider) "  # noqa: S608
        "GROUP BY provider ORDER BY SUM() DESC"
    )
    return f"""\
{reasons}
  RateLimitedAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: LimitsRatePerIp
    Properties:
      AlarmDescription: >-
        AWS WAF answered 429 to clients over RateLimitPerIp requests in the window: a flood,
        or a provider sending in bursts (raise the limit).
      Namespace: AWS/WAFV2
      MetricName: BlockedRequests
      Dimensions:
        - {{Name: WebACL, Value: !Sub "${{AWS::StackName}}-webhooks"}}
        - {{Name: Region, Value: !Ref AWS::Region}}
        - {{Name: Rule, Value: {RATE_RULE}}}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: !Ref RejectedAlarmThreshold
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
{_alarm_actions()}
  PublishFailedAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: >-
        Verified deliveries failed to reach EventBridge; their providers are retrying
        (the dashboard shows which).
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: 1
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
{_alarm_actions()}      Metrics:
        - Id: failed
          Label: publish failures
          Period: 300
          Expression: "{failed}"
"""


#: The dashboard's graphs: title, metric, its dimensions, statistic. SEARCH finds one line per
#: provider (and reason), so the providers enabled later appear without a change here.
DASHBOARD_GRAPHS = (
    ("Verified deliveries", "WebhookVerified", "provider", "Sum"),
    ("Duplicates dropped", "WebhookDuplicate", "provider", "Sum"),
    ("Rejected, by provider and reason", "WebhookRejected", "provider,reason", "Sum"),
    ("Publish failures (providers retry)", "WebhookPublishFailed", "provider", "Sum"),
    ("Latency of answered deliveries, p50 (ms)", "WebhookLatency", "provider", "p50"),
    ("Latency of answered deliveries, p99 (ms)", "WebhookLatency", "provider", "p99"),
)


def _search(namespace: str, dimensions: str, terms: str, stat: str) -> str:
    return f"SEARCH('{{{namespace},{dimensions}}} {terms}', '{stat}', 300)"


def dashboard_body() -> dict[str, object]:
    """The dashboard's definition, with `${...}` left for CloudFormation's `!Sub`."""
    graphs = [
        (title, _search(NAMESPACE, dimensions, f'MetricName="{metric}"', stat))
        for title, metric, dimensions, stat in DASHBOARD_GRAPHS
    ]
    waf = 'MetricName="BlockedRequests" WebACL="${AWS::StackName}-webhooks"'
    graphs.append(
        ("Blocked by AWS WAF, by rule", _search("AWS/WAFV2", "Region,Rule,WebACL", waf, "Sum"))
    )
    widgets = [
        {
            "type": "metric",
            "x": (index % 2) * 12,
            "y": (index // 2) * 6,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": "${AWS::Region}",
                "view": "timeSeries",
                "period": 300,
                "metrics": [[{"expression": expression, "id": f"q{index}"}]],
            },
        }
        for index, (title, expression) in enumerate(graphs)
    ]
    return {"start": "-PT24H", "widgets": widgets}


def dashboard() -> str:
    body = json.dumps(dashboard_body(), indent=2).replace("\n", "\n        ")
    return f"""\
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Condition: ShowsDashboard
    Properties:
      DashboardName: !Sub "${{AWS::StackName}}-webhooks"
      DashboardBody: !Sub |
        {body}
"""


def observability() -> str:
    return alarms() + "\n" + dashboard()


def resources() -> str:
    return "\n".join(f"{_function(p)}\n{_secret(p)}" for p in _definitions())


def outputs() -> str:
    return "".join(
        f"""\
  {_logical(p)}WebhookUrl:
    Condition: {_logical(p)}Enabled
    Description: Paste into {p.deployment.console}
    Value: !If
      - HasCustomDomain
      - !Sub "https://${{DomainName}}/webhooks/{p.name}"
      - !Sub "https://${{WebhookApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{StageName}}/webhooks/{p.name}"
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
    "observability": observability,
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
