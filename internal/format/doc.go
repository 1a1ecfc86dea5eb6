// Package format rewrites roster's YAML files (roster.yaml, environment.yaml
// and manifests) in canonical form for `roster fmt`: keys in the order of
// the repository contract (name first), lists whose order carries no
// meaning sorted (entries by name, groups, managed policies, tags, inline
// policy names, unmanaged.ignore), mappings and lists indented by two spaces.
//
// It edits the text rather than re-encoding it, so everything else stays as
// written: comments (they move with the entry or key they sit on), blank
// lines, quoting, flow or block style, and policy documents, which are only
// indented along with their entry. Formatting is idempotent.
package format
