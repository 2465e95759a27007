"""Deploy the real template.yaml into LocalStack on this host (`make deploy-local`)."""
