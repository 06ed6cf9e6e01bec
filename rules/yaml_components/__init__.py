"""KFP1xx: v1 component YAML files."""
