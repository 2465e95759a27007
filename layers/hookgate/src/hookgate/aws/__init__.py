"""The AWS adapters: clients with hookgate's timeouts and deadline, the secret store, the replay
guard and the publisher. Only these (and `hookgate.pipeline`) import boto3 or Powertools."""
