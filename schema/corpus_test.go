package schema_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster/schema"
	"github.com/roster-dev/roster/schema/validate"
)

// corpusDir is the loader's bad-input corpus: one rule broken per case.
const corpusDir = "../internal/manifest/testdata/bad"

// beyondSchema lists the corpus cases whose rule a JSON Schema of one file
// cannot express, with the reason. Every other case must be rejected by the
// schema too, so editors flag the mistake before roster does; these must be
// accepted, which proves the list is exact (when the schema learns a rule,
// move its case out of this list).
var beyondSchema = map[string]string{
	"access-dir-missing":                  "no file to check",
	"access-key-overlap-not-below-rotate": "compares two fields' values",
	"access-key-pgp-key-garbage":          "needs an OpenPGP parser",
	"account-id-duplicate":                "compares environments",
	"approvals-unmeetable":                "compares required with the number of logins",
	"admin-equivalent-defaults":           "reads roster.yaml's defaults with the environment's policies",
	"admin-equivalent-escalation":         "judges policy documents and group memberships",
	"admin-equivalent-inline-production":  "judges policy documents in production",
	"admin-equivalent-managed-govcloud":   "depends on the environment's production setting, in another file",
	"arn-partition-mixed":                 "compares ARNs across the environment",
	"region-partition-mismatch":           "compares the region with the partition of ARNs across the environment",
	"console-pgp-key-garbage":             "needs an OpenPGP parser",
	"console-pgp-key-signing-only":        "needs an OpenPGP parser",
	"environment-file-in-subfolder":       "about where the file is",
	"environment-file-missing":            "about a missing file",
	"environment-name-invalid":            "about the folder name",
	"file-outside-environment":            "about where the file is",
	"file-too-large":                      "about the file's size",
	"elevation-too-long":                  "needs the clock and the environment's guardrails",
	"forbidden-policy-direct":             "needs the environment's guardrails",
	"forbidden-policy-via-group":          "needs the environment's guardrails and groups",
	"group-absent-referenced":             "compares users with groups",
	"group-name-duplicate-case":           "compares names across entries",
	"group-unknown":                       "compares users with groups",
	"group-unknown-case":                  "compares users with groups",
	"inline-policy-group-size":            "an aggregate size over all inline policies",
	"inline-policy-user-size":             "an aggregate size over all inline policies",
	"managed-policy-other-account":        "needs the environment's account",
	"no-environments":                     "about missing folders",
	"order-unknown-environment":           "needs the folder list",
	"permissions-boundary-other-account":  "needs the environment's account",
	"role-arn-other-account":              "compares role_arn with account_id",
	"symlink-outside-access":              "about the file system",
	"user-and-service-account-same-name":  "compares names across entries",
	"user-name-duplicate-across-files":    "compares names across files",
	"tag-duplicate-case":                  "compares keys case-insensitively",
	"tag-reserved-owner-custom":           "needs roster.yaml's owner_tag",
	"tag-reserved-ownership":              "needs roster.yaml's ownership_tag",
	"tag-defaults-reserved":               "needs roster.yaml's ownership_tag",
	"ownership-tag-equals-owner-tag":      "compares two fields' values",
	"user-name-duplicate-case":            "compares names across entries",
	"user-duplicate-via-alias":            "compares names across entries",
	"organization-name-reserved":          "an environment folder name reserved by roster.yaml's organization block",
	"unmanaged-glob-invalid":              "glob syntax is checked with path.Match",
	"unmanaged-ignored-declared":          "compares names with environment.yaml's unmanaged.ignore",
}

func TestSchemaAgreesWithLoaderCorpus(t *testing.T) {
	t.Parallel()
	cases, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("corpus has %d cases, want at least 40", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		name := c.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rejected := schemaRejects(t, filepath.Join(corpusDir, name))
			reason, beyond := beyondSchema[name]
			switch {
			case beyond && len(rejected) > 0:
				t.Errorf("the schema rejects %v although this case is listed as beyond it (%s); remove it from beyondSchema", rejected, reason)
			case !beyond && len(rejected) == 0:
				t.Errorf("the loader rejects this case but the schema accepts every file; teach the schema the rule, or list the case in beyondSchema with the reason")
			}
		})
	}
	for name := range beyondSchema {
		if !seen[name] {
			t.Errorf("beyondSchema names %q, which is not in the corpus", name)
		}
	}
}

// schemaRejects validates every YAML file of a corpus case with the schema
// of its kind and returns the files it rejects. Files the case generates at
// test time (oversized, symlinked, non-UTF-8) are whatever is on disk.
func schemaRejects(t *testing.T, dir string) []string {
	t.Helper()
	var rejected []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Type()&fs.ModeSymlink != 0 || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := validate.YAML(schema.KindOf(path), data); err != nil {
			rel, _ := filepath.Rel(dir, path)
			rejected = append(rejected, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rejected)
	return rejected
}
