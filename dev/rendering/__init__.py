"""Files written from the provider definitions: template.yaml's and the docs' generated parts."""
