"""Write the per-provider parts of template.yaml from one list (`make template`).

Every provider needs the same ten resources and outputs; writing them by hand 21 times would
let them drift. The shared parts of the template stay hand-written; the regions between
`# >>> generated: <region>` and `# <<< generated` are replaced. A test fails when the file
differs from what this writes, so an edit here must be followed by `make template`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dev.rendering.generated import write_or_check
from dev.template import TEMPLATE
from hookgate import providers


@dataclass(frozen=True)
class Endpoint:
    """What the template says about one provider, beyond its layer definition."""

    name: str
    title: str
    #: Where the user pastes the webhook URL.
    where: str
    #: What goes into the secret (its description in Secrets Manager).
    secret: str
    enabled: bool = False
    #: A fixed initial secret value, instead of a random placeholder.
    initial_secret: str | None = None
    #: The function may write its own secret (a handshake delivers it).
    writes_secret: bool = False
    #: Extra environment variables: name -> parameter.
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def logical(self) -> str:
        return self.name.capitalize()


ROTATING = 'or JSON {"signing_secrets": ["new", "old"]} while rotating'
GENERIC_SETTINGS = {
    "HOOKGATE_GENERIC_SIGNATURE_HEADER": "GenericSignatureHeader",
    "HOOKGATE_GENERIC_ALGORITHM": "GenericAlgorithm",
    "HOOKGATE_GENERIC_ENCODING": "GenericEncoding",
    "HOOKGATE_GENERIC_PREFIX": "GenericPrefix",
    "HOOKGATE_GENERIC_TIMESTAMP_HEADER": "GenericTimestampHeader",
    "HOOKGATE_GENERIC_SIGNED_CONTENT": "GenericSignedContent",
    "HOOKGATE_GENERIC_ID_HEADER": "GenericIdHeader",
    "HOOKGATE_GENERIC_EVENT_HEADER": "GenericEventHeader",
    "HOOKGATE_GENERIC_CHALLENGE_PARAMETER": "GenericChallengeParameter",
}

ENDPOINTS = (
    Endpoint(
        "stripe",
        "Stripe",
        "Stripe (Developers > Webhooks > Add endpoint)",
        f"Stripe endpoint signing secret (whsec_...): a plain string, {ROTATING}.",
        enabled=True,
    ),
    Endpoint(
        "github",
        "GitHub",
        "GitHub (Settings > Webhooks > Payload URL, content type application/json)",
        f"GitHub webhook secret: a plain string, {ROTATING}.",
        enabled=True,
    ),
    Endpoint(
        "shopify",
        "Shopify",
        "Shopify (app configuration > Webhooks subscriptions)",
        f"Shopify app client secret: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "slack",
        "Slack",
        "Slack (app > Event Subscriptions / Interactivity / Slash Commands > Request URL)",
        f"Slack signing secret: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "twilio",
        "Twilio",
        "Twilio (phone number or service > webhook URL, HTTP POST)",
        f"Twilio auth token (or SharedKey secret): a plain string, {ROTATING}.",
    ),
    Endpoint(
        "square",
        "Square",
        "Square (Developer Dashboard > Webhooks > Notification URL)",
        'Square signature key: JSON {"signing_secrets": ["key"], "notification_url": "the'
        ' notification URL exactly as configured"}.',
    ),
    Endpoint(
        "paypal",
        "PayPal",
        "PayPal (Developer Dashboard > app > Webhooks > Webhook URL)",
        'PayPal webhook id: JSON {"webhook_id": "..."} (PayPal signs with its certificate).',
    ),
    Endpoint(
        "sendgrid",
        "SendGrid",
        "SendGrid (Settings > Mail Settings > Event Webhook > Post URL, signing enabled)",
        'SendGrid verification key: JSON {"public_key": "base64 key" or a list while rotating}.',
    ),
    Endpoint(
        "discord",
        "Discord",
        "Discord (Developer Portal > application > Interactions Endpoint URL)",
        'Discord application public key (hex): a plain string, or JSON {"public_key": [...]}.',
    ),
    Endpoint(
        "standardwebhooks",
        "Standard Webhooks",
        "the sender's webhook settings (any Standard Webhooks sender)",
        f"Signing secret (whsec_...): a plain string, {ROTATING}; "
        'Ed25519 senders: JSON {"public_key": "whpk_..."}.',
    ),
    Endpoint(
        "svix",
        "Svix",
        "the Svix-powered sender's webhook settings",
        f"Svix endpoint signing secret (whsec_...): a plain string, {ROTATING}.",
    ),
    Endpoint(
        "zoom",
        "Zoom",
        "Zoom (App Marketplace > app > Event Subscriptions > Endpoint URL)",
        f"Zoom app secret token: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "meta",
        "Meta",
        "Meta (App Dashboard > Webhooks > Callback URL)",
        'Meta app secret and your verify token: JSON {"signing_secrets": ["app secret"],'
        ' "verify_token": "..."}.',
    ),
    Endpoint(
        "twitter",
        "X (Twitter)",
        "X (Account Activity API webhook registration)",
        f"X consumer secret: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "twitch",
        "Twitch",
        "Twitch (EventSub subscription transport callback)",
        f"The EventSub subscription secret: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "msgraph",
        "Microsoft Graph",
        "Microsoft Graph (subscription notificationUrl)",
        f"The subscription clientState: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "dropbox",
        "Dropbox",
        "Dropbox (App Console > Webhooks > Webhook URI)",
        f"Dropbox app secret: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "asana",
        "Asana",
        "Asana (POST /webhooks with this URL as target)",
        "Set by Asana's handshake while it holds no signing secret; reset to"
        ' {"signing_secrets": []} before registering a new webhook.',
        initial_secret='{"signing_secrets": []}',  # noqa: S106 (no secret: awaiting one)
        writes_secret=True,
    ),
    Endpoint(
        "okta",
        "Okta",
        "Okta (Workflow > Event Hooks > URL, Authorization header = the secret)",
        f"The Authorization header value configured on the event hook, {ROTATING}.",
    ),
    Endpoint(
        "gitlab",
        "GitLab",
        "GitLab (Settings > Webhooks > URL, Secret token)",
        f"GitLab webhook secret token: a plain string, {ROTATING}.",
    ),
    Endpoint(
        "generic",
        "Generic HMAC",
        "any sender that signs with an HMAC header (see the Generic* parameters)",
        f"The shared HMAC secret: a plain string, {ROTATING}.",
        settings=GENERIC_SETTINGS,
    ),
)

GENERIC_PARAMETERS = """\
  GenericSignatureHeader:
    Type: String
    Default: X-Signature
    Description: Generic provider - the header holding the signature.
  GenericAlgorithm:
    Type: String
    AllowedValues: [sha1, sha256, sha512]
    Default: sha256
    Description: Generic provider - the HMAC's hash.
  GenericEncoding:
    Type: String
    AllowedValues: [hex, base64]
    Default: hex
    Description: Generic provider - how the digest is written.
  GenericPrefix:
    Type: String
    Default: ""
    Description: Generic provider - text before the digest, such as sha256=.
  GenericTimestampHeader:
    Type: String
    Default: ""
    Description: Generic provider - a header with a signed Unix time (empty for none).
  GenericSignedContent:
    Type: String
    Default: "{body}"
    Description: >-
      Generic provider - what is signed, from {body} (once), {timestamp}, {id} and {url};
      for example {timestamp}.{body}.
  GenericIdHeader:
    Type: String
    Default: ""
    Description: Generic provider - the delivery id header (empty - the JSON body's id).
  GenericEventHeader:
    Type: String
    Default: ""
    Description: Generic provider - the event type header (empty - the JSON body's type).
  GenericChallengeParameter:
    Type: String
    Default: ""
    Description: Generic provider - answer GET ?<parameter>=<c> with c (empty for none).
"""

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


def _methods(endpoint: Endpoint) -> list[str]:
    return sorted(providers.get(endpoint.name).methods)


def parameters() -> str:
    blocks = []
    for e in ENDPOINTS:
        routes = ", ".join(f"{m} /webhooks/{e.name}" for m in _methods(e))
        blocks.append(
            f"""\
  Enable{e.logical}:
    Type: String
    AllowedValues: ["true", "false"]
    Default: "{"true" if e.enabled else "false"}"
    Description: Deploy the {e.title} endpoint ({routes}).
"""
        )
    return "".join(blocks) + GENERIC_PARAMETERS


def conditions() -> str:
    return "".join(
        f'  {e.logical}Enabled: !Equals [!Ref Enable{e.logical}, "true"]\n' for e in ENDPOINTS
    )


def _function(e: Endpoint) -> str:
    settings = "".join(f"          {var}: !Ref {param}\n" for var, param in e.settings.items())
    events = "".join(
        f"""\
        {"Webhook" if method == "POST" else "Handshake"}:
          Type: Api
          Properties:
            RestApiId: !Ref WebhookApi
            Path: /webhooks/{e.name}
            Method: {method.lower()}
"""
        for method in _methods(e)
    )
    secret_actions = (
        "[secretsmanager:GetSecretValue, secretsmanager:PutSecretValue]"
        if e.writes_secret
        else "secretsmanager:GetSecretValue"
    )
    return f"""\
  {e.logical}Function:
    Type: AWS::Serverless::Function
    Condition: {e.logical}Enabled
    Properties:
      Description: Verifies {e.title} webhooks and publishes them to EventBridge
      CodeUri: functions/{e.name}/
      Environment:
        Variables:
          HOOKGATE_PROVIDER: {e.name}
          HOOKGATE_SECRET_ID: !Ref {e.logical}Secret
{settings}      Policies:
        - EventBridgePutEventsPolicy:
            EventBusName: !Ref EventBus
        - Statement:
            - Sid: OwnSecret
              Effect: Allow
              Action: {secret_actions}
              Resource: !Ref {e.logical}Secret
            - Sid: ReplayGuard
              Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:DeleteItem]
              Resource: !GetAtt ReplayTable.Arn
            - Sid: ClaimCheck
              Effect: Allow
              Action: s3:PutObject
              Resource: !Sub "${{PayloadBucket.Arn}}/*"
      Events:
{events}    Metadata:
      BuildMethod: makefile
      ContextPath: functions
{FUNCTION_SKIPS}"""


def _secret(e: Endpoint) -> str:
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
  {e.logical}Secret:
    Type: AWS::SecretsManager::Secret
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_149
            comment: Encrypted with the AWS managed key; set KmsKeyId where policy demands a customer key.
    Condition: {e.logical}Enabled
    Properties:
      Name: !Sub "${{AWS::StackName}}/{e.name}"
      Description: >-
        {e.secret}
{value}"""


def _alarms(e: Endpoint) -> str:
    reasons = (
        ("forged", "bad_signature"),
        ("stale", "stale_timestamp"),
        ("unsigned", "missing_signature"),
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
                - {{Name: provider, Value: {e.name}}}
                - {{Name: reason, Value: {reason}}}
            Period: 300
            Stat: Sum
"""
        for metric_id, reason in reasons
    )
    return f"""\
  {e.logical}RejectedAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: {e.logical}Enabled
    Properties:
      AlarmDescription: Many {e.title} deliveries refused as forged, stale or unsigned
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: !Ref RejectedAlarmThreshold
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
      AlarmActions: !If [NotifiesAlarms, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
      Metrics:
        - Id: refused
          Expression: forged + stale + unsigned
          Label: refused deliveries
{metrics}
  {e.logical}PublishFailedAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: {e.logical}Enabled
    Properties:
      AlarmDescription: {e.title} deliveries failed to reach EventBridge (the provider will retry)
      Namespace: Hookgate
      MetricName: WebhookPublishFailed
      Dimensions:
        - {{Name: provider, Value: {e.name}}}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: !If [NotifiesAlarms, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
"""


def resources() -> str:
    return "\n".join(f"{_function(e)}\n{_secret(e)}\n{_alarms(e)}" for e in ENDPOINTS)


def outputs() -> str:
    return "".join(
        f"""\
  {e.logical}WebhookUrl:
    Condition: {e.logical}Enabled
    Description: Paste into {e.where}
    Value: !Sub "https://${{WebhookApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{StageName}}/webhooks/{e.name}"
  {e.logical}SecretArn:
    Condition: {e.logical}Enabled
    Description: Put the {e.title} secret here
    Value: !Ref {e.logical}Secret
"""
        for e in ENDPOINTS
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
    if {e.name for e in ENDPOINTS} != set(providers.NAMES):
        raise SystemExit("ENDPOINTS and hookgate.providers.NAMES list different providers")
    return write_or_check(TEMPLATE, render(TEMPLATE.read_text(encoding="utf-8")), target="template")


if __name__ == "__main__":
    raise SystemExit(main())
