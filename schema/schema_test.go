package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/schema"
	"github.com/roster-dev/roster/schema/validate"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want schema.Kind
	}{
		{"roster.yaml", schema.Config},
		{"access/roster.yaml", schema.Config},
		{`access\production\environment.yaml`, schema.Environment},
		{"access/production/environment.yaml", schema.Environment},
		{"access/production/people.yaml", schema.Manifest},
		{"access/production/teams/roster.yml", schema.Manifest},
		{"access/production/environment.yml", schema.Manifest},
	}
	for _, tt := range tests {
		if got := schema.KindOf(tt.file); got != tt.want {
			t.Errorf("KindOf(%q) = %v, want %v", tt.file, got, tt.want)
		}
	}
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	var got []string
	for _, k := range append(schema.Kinds, schema.Kind(0)) {
		got = append(got, k.String()+" "+k.File()+" "+k.URL())
	}
	want := []string{
		"config roster.schema.json https://raw.githubusercontent.com/roster-dev/roster/v1/schema/roster.schema.json",
		"environment environment.schema.json https://raw.githubusercontent.com/roster-dev/roster/v1/schema/environment.schema.json",
		"manifest manifest.schema.json https://raw.githubusercontent.com/roster-dev/roster/v1/schema/manifest.schema.json",
		"Kind(0)  ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}

// TestSchemaFiles checks what editors rely on: each embedded schema is the
// file in this folder, declares draft 2020-12 and its published $id.
func TestSchemaFiles(t *testing.T) {
	t.Parallel()
	for _, k := range schema.Kinds {
		disk, err := os.ReadFile(k.File())
		if err != nil {
			t.Fatal(err)
		}
		src := string(schema.Source(k))
		if src != string(disk) {
			t.Errorf("Source(%v) differs from %s", k, k.File())
		}
		for _, want := range []string{
			`"$schema": "https://json-schema.org/draft/2020-12/schema"`,
			`"$id": "` + k.URL() + `"`,
		} {
			if !strings.Contains(src, want) {
				t.Errorf("%s lacks %s", k.File(), want)
			}
		}
	}
	if schema.Source(schema.Kind(0)) != nil {
		t.Error("Source(Kind(0)) is not nil")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind schema.Kind
		yaml string
		want []validate.Problem // nil: valid
	}{
		{
			name: "empty config",
			kind: schema.Config,
			yaml: "# nothing here yet\n",
		},
		{
			name: "full config",
			kind: schema.Config,
			yaml: `
order: [development, production]
ownership_tag: roster:managed
owner_tag: roster:owner
defaults:
  path: /people/
  tags: { cost-center: "1234" }
  guardrails: { max_deletions: 2, console_requires_mfa: true }
`,
		},
		{
			name: "config with unknown field and bad order",
			kind: schema.Config,
			yaml: "order: [Production]\ndefault: {}\n",
			want: []validate.Problem{
				{Path: "", Message: "additional properties 'default' not allowed"},
				{Path: "/order/0", Message: "'Production' does not match pattern '^[a-z0-9][a-z0-9-]*$'"},
			},
		},
		{
			name: "config ownership tag with aws prefix",
			kind: schema.Config,
			yaml: "ownership_tag: AWS:managed\n",
			want: []validate.Problem{{Path: "/ownership_tag", Message: "'not' failed"}},
		},
		{
			name: "environment",
			kind: schema.Environment,
			yaml: `
account_id: "111122223333"
role_arn: arn:aws:iam::111122223333:role/roster-apply
plan_role_arn: arn:aws:iam::111122223333:role/ci/roster-plan
region: us-gov-west-1
production: true
guardrails:
  forbidden_managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
  console_requires_mfa: true
  max_access_key_age_days: 90
  max_deletions: 5
unmanaged:
  ignore: ["break-glass-*"]
`,
		},
		{
			name: "environment with unquoted account id",
			kind: schema.Environment,
			yaml: "account_id: 111122223333\n",
			want: []validate.Problem{{Path: "/account_id", Message: "got number, want string"}},
		},
		{
			name: "environment without account id",
			kind: schema.Environment,
			yaml: "region: us-east-1\n",
			want: []validate.Problem{{Path: "", Message: "missing property 'account_id'"}},
		},
		{
			name: "environment with bad values",
			kind: schema.Environment,
			yaml: `
account_id: "1234"
role_arn: arn:aws:iam::111122223333:user/roster
guardrails: { max_deletions: -1, console_requires_mfa: "yes" }
unmanaged: { ignore: "break-glass-*" }
`,
			want: []validate.Problem{
				{Path: "/account_id", Message: "'1234' does not match pattern '^[0-9]{12}$'"},
				{Path: "/guardrails/console_requires_mfa", Message: "got string, want boolean"},
				{Path: "/guardrails/max_deletions", Message: "minimum: got -1, want 0"},
				{Path: "/role_arn", Message: "'arn:aws:iam::111122223333:user/roster' does not match pattern '^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([!-~]+/)*[A-Za-z0-9_+=,.@-]{1,64}$'"},
				{Path: "/unmanaged/ignore", Message: "got string, want array"},
			},
		},
		{
			name: "empty manifest",
			kind: schema.Manifest,
			yaml: "",
		},
		{
			name: "manifest of every kind",
			kind: schema.Manifest,
			yaml: `
groups:
  - name: developers
    path: /teams/
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
    inline_policies:
      deny-billing: { Version: 2012-10-17, Statement: [{Effect: Deny, Action: "aws-portal:*", Resource: "*"}] }
  - name: old
    absent: true
users:
  - name: alice
    path: /people/
    groups: [developers]
    managed_policies: [arn:aws-cn:iam::111122223333:policy/team/read]
    permissions_boundary: arn:aws:iam::111122223333:policy/boundary
    tags: { team: payments, email: alice@example.com, "ünïcode key": "välue 1" }
    console: true
    pgp_key: "mQINBF..."
    expires: 2027-03-31
service_accounts:
  - name: ci-deployer
    owner: platform-team
    inline_policies:
      deploy:
        Version: "2012-10-17"
        Statement:
          Sid: Deploy1
          Effect: Allow
          NotAction: [iam:*]
          NotResource: "arn:aws:iam::*:*"
          Condition: { "ForAnyValue:StringLike": { "aws:TagKeys": [app*] }, BoolIfExists: { aws:SecureTransport: true } }
`,
		},
		{
			name: "console without pgp key, service account with console",
			kind: schema.Manifest,
			yaml: `
users:
  - { name: alice, console: true }
service_accounts:
  - { name: ci, owner: me, pgp_key: x }
  - { name: ci2 }
`,
			want: []validate.Problem{
				{Path: "/service_accounts/0", Message: "additional properties 'pgp_key' not allowed"},
				{Path: "/service_accounts/1", Message: "missing property 'owner'"},
				{Path: "/users/0", Message: "missing property 'pgp_key'"},
			},
		},
		{
			name: "names, paths, dates and tags",
			kind: schema.Manifest,
			yaml: `
groups:
  - { name: "dev team", path: teams }
users:
  - name: alice/smith
    path: //
    expires: 2027-3-31
    groups: [a, a]
    tags: { "aws:team": x, team: 42, "": y }
  - name: bob
    expires: 2027-03-31T10:00:00
  - name: carol
    expires: "2027-02-30"
`,
			want: []validate.Problem{
				{Path: "/groups/0/name", Message: "'dev team' does not match pattern '^[A-Za-z0-9_+=,.@-]{1,128}$'"},
				{Path: "/groups/0/path", Message: "'teams' does not match pattern '^(/|/[!-~]+/)$'"},
				{Path: "/users/0/name", Message: "'alice/smith' does not match pattern '^[A-Za-z0-9_+=,.@-]{1,64}$'"},
				{Path: "/users/0/path", Message: "'//' does not match pattern '^(/|/[!-~]+/)$'"},
				// The date as written, not as YAML would resolve it.
				// Neither a date nor a time: each alternative says why.
				{Path: "/users/0/expires", Message: "'2027-3-31' is not valid date-time: less than 20 characters long"},
				{Path: "/users/0/expires", Message: `'2027-3-31' is not valid date: parsing time "2027-3-31" as "2006-01-02": cannot parse "3-31" as "01"`},
				{Path: "/users/0/groups", Message: "items at 0 and 1 are equal"},
				{Path: "/users/0/tags/aws:team", Message: "'not' failed"},
				{Path: "/users/0/tags/team", Message: "got number, want string"},
				{Path: "/users/0/tags", Message: "additional properties '' not allowed"},
				// A time needs its offset.
				{Path: "/users/1/expires", Message: "'2027-03-31T10:00:00' is not valid date-time: less than 20 characters long"},
				{Path: "/users/1/expires", Message: `'2027-03-31T10:00:00' is not valid date: parsing time "2027-03-31T10:00:00": extra text: "T10:00:00"`},
				{Path: "/users/2/expires", Message: "'2027-02-30' is not valid date-time: less than 20 characters long"},
				{Path: "/users/2/expires", Message: `'2027-02-30' is not valid date: parsing time "2027-02-30": day out of range`},
			},
		},
		{
			name: "policy documents",
			kind: schema.Manifest,
			yaml: `
groups:
  - name: g
    inline_policies:
      "bad name": { Statement: [] }
      principal: { Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "*", Resource: "*"}] }
      both: { Statement: {Effect: allow, Action: "*", NotAction: "s3:*", Resource: "*"} }
      cond: { Statement: {Effect: Deny, Action: "s3:*", Resource: "*", Condition: {StringEqual: {a: b}}} }
`,
			want: []validate.Problem{
				{Path: "/groups/0/inline_policies", Message: "additional properties 'bad name' not allowed"},
				{Path: "/groups/0/inline_policies/principal/Statement", Message: "got array, want object"},
				{Path: "/groups/0/inline_policies/principal/Statement/0", Message: "additional properties 'Principal' not allowed"},
				{Path: "/groups/0/inline_policies/both/Statement/Effect", Message: "value must be one of 'Allow', 'Deny'"},
				{Path: "/groups/0/inline_policies/both/Statement", Message: "'not' failed"},
				{Path: "/groups/0/inline_policies/both/Statement", Message: "'not' failed"},
				{Path: "/groups/0/inline_policies/both/Statement", Message: "got object, want array"},
				{Path: "/groups/0/inline_policies/cond/Statement/Condition", Message: "additional properties 'StringEqual' not allowed"},
				{Path: "/groups/0/inline_policies/cond/Statement", Message: "got object, want array"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := validate.YAML(tt.kind, []byte(tt.yaml))
			var got []validate.Problem
			var serr *validate.Error
			switch {
			case errors.As(err, &serr):
				got = serr.Problems
				if serr.Kind != tt.kind {
					t.Errorf("Error.Kind = %v, want %v", serr.Kind, tt.kind)
				}
			case err != nil:
				t.Fatalf("Validate: %v", err)
			}
			sortProblems(got)
			sortProblems(tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func sortProblems(ps []validate.Problem) {
	slices.SortFunc(ps, func(a, b validate.Problem) int {
		return strings.Compare(a.Path+"\x00"+a.Message, b.Path+"\x00"+b.Message)
	})
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind schema.Kind
		yaml string
		want string
	}{
		{"syntax", schema.Manifest, "users: [", "parse YAML: "},
		{"two documents", schema.Manifest, "users: []\n---\ngroups: []\n", "parse YAML: the file holds more than one YAML document"},
		{"duplicate key", schema.Manifest, "users: []\nusers: []\n", `parse YAML: line 2: mapping key "users" already defined`},
		{"unknown kind", schema.Kind(9), "", "validate: unknown schema kind Kind(9)"},
		{"not a mapping", schema.Environment, "- a\n", "does not match the environment schema (environment.schema.json):\n  (document): got array, want object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := validate.YAML(tt.kind, []byte(tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want an error starting with %q", err, tt.want)
			}
		})
	}
}

// TestExampleAccessTree validates every file of the example access/ tree
// against the schema of its kind, and checks that its yaml-language-server
// comment names that schema, so editors validate it the same way.
func TestExampleAccessTree(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "access")
	var files int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return nil
		}
		files++
		rel, _ := filepath.Rel(root, path)
		kind := schema.KindOf(rel)
		if (kind == schema.Config) != (rel == "roster.yaml") {
			t.Errorf("%s: kind %v at the wrong depth", rel, kind)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		first, rest, _ := strings.Cut(string(b), "\n")
		if want := "# yaml-language-server: $schema=" + kind.URL(); first != want {
			t.Errorf("%s: first line is %q, want %q", rel, first, want)
		}
		if !strings.HasPrefix(rest, "# ") {
			t.Errorf("%s: the second line should be a comment saying what the file is for", rel)
		}
		if err := validate.YAML(kind, b); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Errorf("found %d YAML files under %s; is the example tree missing?", files, root)
	}
}

// TestDescriptions checks that every property of every schema carries a
// description, directly or through the definition it refers to, because
// that is what an editor shows on hover and in completion.
func TestDescriptions(t *testing.T) {
	t.Parallel()
	docs := map[string]map[string]any{}
	for _, k := range schema.Kinds {
		var doc map[string]any
		if err := json.Unmarshal(schema.Source(k), &doc); err != nil {
			t.Fatalf("%s: %v", k.File(), err)
		}
		docs[k.File()] = doc
	}
	// described reports whether s has a description, following $ref.
	var described func(file string, s map[string]any) bool
	described = func(file string, s map[string]any) bool {
		if _, ok := s["description"]; ok {
			return true
		}
		ref, ok := s["$ref"].(string)
		if !ok {
			return false
		}
		target, ptr, _ := strings.Cut(ref, "#")
		if target == "" {
			target = file
		}
		var v any = docs[target]
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			v = m[tok]
		}
		m, ok := v.(map[string]any)
		return ok && described(target, m)
	}
	var walk func(file, at string, v any)
	walk = func(file, at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, key := range []string{"properties", "patternProperties"} {
				props, _ := x[key].(map[string]any)
				for name, p := range props {
					ps, ok := p.(map[string]any)
					if !ok || !described(file, ps) {
						t.Errorf("%s: %s/%s/%s has no description", file, at, key, name)
					}
				}
			}
			for k, e := range x {
				walk(file, at+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(file, fmt.Sprintf("%s/%d", at, i), e)
			}
		}
	}
	for file, doc := range docs {
		walk(file, "#", doc)
	}
}

// TestValidateHostile checks that files built to exhaust the validator are
// refused with an error instead.
func TestValidateHostile(t *testing.T) {
	t.Parallel()
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	for name, doc := range map[string]string{"alias bomb": bomb.String(), "deep nesting": deep} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := validate.YAML(schema.Manifest, []byte(doc))
			var serr *validate.Error
			if err == nil || errors.As(err, &serr) {
				t.Errorf("Validate = %v, want a refusal", err)
			}
		})
	}
}
