"""Rule families, one package or module each; the hundreds digit of a code names the family.

| family | codes | what it covers |
| --- | --- | --- |
| `files` | KFP0xx | files that cannot be read or parsed |
| `yaml_components` | KFP1xx | v1 component YAML: types, placeholders, defaults, if/concat, names, fileOutputs, graph |
| `py_components` | KFP2xx | Python function components: annotations, file parameters, factories |
| `pipeline_dsl` | KFP3xx | pipelines: removed v1 DSL APIs, task modifiers, wiring types between tasks |
"""
