"""Developer tooling: the CLI, test deliveries signed like the providers' and Lambda event
builders. Never imported by a function, and left out of the deployed layer."""
