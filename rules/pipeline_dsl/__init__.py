"""KFP3xx: pipelines: removed v1 DSL APIs, task modifiers, the types of task wiring."""
