package cloudformation

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// shortForms maps CloudFormation's YAML short-form tags to the long-form key
// they stand for.
var shortForms = map[string]string{
	"!Ref":         "Ref",
	"!Sub":         "Fn::Sub",
	"!GetAtt":      "Fn::GetAtt",
	"!Join":        "Fn::Join",
	"!Select":      "Fn::Select",
	"!Split":       "Fn::Split",
	"!If":          "Fn::If",
	"!Equals":      "Fn::Equals",
	"!Not":         "Fn::Not",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!Condition":   "Condition",
	"!FindInMap":   "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue",
	"!GetAZs":      "Fn::GetAZs",
	"!Base64":      "Fn::Base64",
	"!Cidr":        "Fn::Cidr",
}

// decodeTemplate parses a CloudFormation YAML template into plain Go values
// (maps, slices, strings, numbers, bools), turning short-form intrinsic
// functions into their long form as CloudFormation does: !Ref X becomes
// {"Ref": "X"}, !GetAtt A.B becomes {"Fn::GetAtt": ["A", "B"]}.
func decodeTemplate(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("want one YAML document, got %d", len(doc.Content))
	}
	return value(doc.Content[0])
}

func value(n *yaml.Node) (any, error) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		plain := *n
		plain.Tag = ""
		v, err := value(&plain)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok && fn == "Fn::GetAtt" {
			resource, attribute, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, s)
			}
			v = []any{resource, attribute}
		}
		return map[string]any{fn: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			k, err := value(n.Content[i])
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("line %d: key %v is not a string", n.Content[i].Line, k)
			}
			if _, dup := m[ks]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, ks)
			}
			if m[ks], err = value(n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if n.Tag == "" {
			// A short-form tag was stripped: a plain string.
			return n.Value, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	case yaml.AliasNode:
		return value(n.Alias)
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
}

func TestDecodeTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     any
		wantErr  string
	}{
		{
			name: "short forms",
			in: "a: !Ref Name\n" +
				"b: !GetAtt Role.Arn\n" +
				"c: !Sub arn:${AWS::Partition}:iam::${Id}:root\n" +
				"d: !Select [0, !Split [',', !Ref List]]\n" +
				"e: \"2012-10-17\"\n" +
				"f: 3600\n",
			want: map[string]any{
				"a": map[string]any{"Ref": "Name"},
				"b": map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}},
				"c": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${Id}:root"},
				"d": map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::Split": []any{",", map[string]any{"Ref": "List"}}}}},
				"e": "2012-10-17",
				"f": 3600,
			},
		},
		{name: "unknown tag", in: "a: !Nope x\n", wantErr: "unknown tag !Nope"},
		{name: "bad GetAtt", in: "a: !GetAtt Role\n", wantErr: "want Resource.Attribute"},
		{name: "duplicate key", in: "a: 1\na: 2\n", wantErr: "duplicate key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeTemplate([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decodeTemplate error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeTemplate (-want +got):\n%s", diff)
			}
		})
	}
}

// template is roster-roles.yaml, decoded.
func template(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("roster-roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeTemplate(data)
	if err != nil {
		t.Fatalf("roster-roles.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("roster-roles.yaml is a %T, want a mapping", v)
	}
	return m
}

// at walks a decoded template along keys (map keys, or slice indexes as ints).
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok || m[k] == nil {
				t.Fatalf("template has no %v", path[:i+1])
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("template has no %v", path[:i+1])
			}
			v = s[k]
		}
	}
	return v
}

// documentedPolicy returns the first JSON block after the heading in
// docs/permissions.md, decoded.
func documentedPolicy(t *testing.T, heading string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "permissions.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "\n## "+heading+"\n")
	if start < 0 {
		t.Fatalf("docs/permissions.md has no %q section", heading)
	}
	block := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(doc[start:])
	if block == nil {
		t.Fatalf("docs/permissions.md: no JSON block under %q", heading)
	}
	var v any
	if err := json.Unmarshal([]byte(block[1]), &v); err != nil {
		t.Fatalf("docs/permissions.md %q: %v", heading, err)
	}
	return v
}

// asJSON round-trips v through JSON, so YAML-decoded and JSON-decoded values
// compare alike (numbers, for one).
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// documentedAccount stands for the environment's account in the policies of
// docs/permissions.md, where the template says ${AWS::AccountId}.
const documentedAccount = "<account-id>"

// inPartition resolves the !Sub strings of v that name only the partition
// (arn:${AWS::Partition}:...) and the account (documentedAccount) as
// CloudFormation does in partition, so a policy
// of the template compares with the one docs/permissions.md shows for the
// commercial partition. Any other intrinsic function is left as it is, and
// then differs from the documented policy.
func inPartition(t *testing.T, v any, partition string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			resolved := strings.ReplaceAll(s, "${AWS::Partition}", partition)
			resolved = strings.ReplaceAll(resolved, "${AWS::AccountId}", documentedAccount)
			if !strings.Contains(resolved, "${") {
				return resolved
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = inPartition(t, e, partition)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inPartition(t, e, partition)
		}
		return out
	}
	return v
}

func TestInPartition(t *testing.T) {
	t.Parallel()
	in := map[string]any{
		"Resource": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::*:user/*"},
		"Other":    []any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}, "*"},
	}
	want := map[string]any{
		"Resource": "arn:aws-cn:iam::*:user/*",
		"Other":    []any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}, "*"},
	}
	if diff := cmp.Diff(want, inPartition(t, in, "aws-cn")); diff != "" {
		t.Errorf("inPartition (-want +got):\n%s", diff)
	}
}

// TestRolePoliciesMatchPermissionsDoc: the roles the template creates are
// allowed exactly what docs/permissions.md says (and what the engine's
// permission test runs plans with), no more and no less.
func TestRolePoliciesMatchPermissionsDoc(t *testing.T) {
	t.Parallel()
	tmpl := template(t)
	tests := []struct {
		resource, policyName, heading string
	}{
		{"PlanRole", "roster-plan", "Plan role"},
		{"ApplyRole", "roster-apply", "Apply role"},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			t.Parallel()
			policies, ok := at(t, tmpl, "Resources", tt.resource, "Properties", "Policies").([]any)
			if !ok || len(policies) != 1 {
				t.Fatalf("%s has %d policies, want exactly one", tt.resource, len(policies))
			}
			if got := at(t, policies[0], "PolicyName"); got != tt.policyName {
				t.Errorf("%s policy name = %v, want %s", tt.resource, got, tt.policyName)
			}
			want := documentedPolicy(t, tt.heading)
			got := asJSON(t, inPartition(t, at(t, policies[0], "PolicyDocument"), "aws"))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s policy differs from docs/permissions.md %q (-doc +template):\n%s", tt.resource, tt.heading, diff)
			}
			if _, ok := at(t, tmpl, "Resources", tt.resource).(map[string]any)["ManagedPolicyArns"]; ok {
				t.Errorf("%s attaches managed policies: it may have only the documented policy", tt.resource)
			}
		})
	}
}

// TestRoleTrust: pull request plans (the hub plan role) can reach the
// read-only role but never the apply role.
func TestRoleTrust(t *testing.T) {
	t.Parallel()
	tmpl := template(t)
	hubRoot := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:root"}
	hubRole := func(param string) any {
		return map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${HubAccountId}:role/${" + param + "}"}
	}
	tests := []struct {
		resource string
		want     any
	}{
		{"PlanRole", []any{
			map[string]any{
				"Sid":       "RosterHubRoles",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": hubRoot},
				"Action":    "sts:AssumeRole",
				"Condition": map[string]any{"ArnEquals": map[string]any{
					"aws:PrincipalArn": []any{hubRole("HubPlanRoleName"), hubRole("HubApplyRoleName")},
				}},
			},
		}},
		{"ApplyRole", []any{
			map[string]any{
				"Sid":       "RosterHubApplyRole",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": hubRoot},
				"Action":    "sts:AssumeRole",
				"Condition": map[string]any{"ArnEquals": map[string]any{
					"aws:PrincipalArn": hubRole("HubApplyRoleName"),
				}},
			},
		}},
	}
	for _, tt := range tests {
		got := at(t, tmpl, "Resources", tt.resource, "Properties", "AssumeRolePolicyDocument", "Statement")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s trust policy (-want +got):\n%s", tt.resource, diff)
		}
	}
}

// TestRoleNamesMatchExample: with the template's defaults, the example
// environments' role ARNs name roles the template creates, and the stack
// outputs give both ARNs.
func TestRoleNamesMatchExample(t *testing.T) {
	t.Parallel()
	tmpl := template(t)
	planName := at(t, tmpl, "Parameters", "PlanRoleName", "Default")
	applyName := at(t, tmpl, "Parameters", "ApplyRoleName", "Default")
	if got := at(t, tmpl, "Resources", "PlanRole", "Properties", "RoleName"); !cmp.Equal(got, map[string]any{"Ref": "PlanRoleName"}) {
		t.Errorf("PlanRole RoleName = %v, want !Ref PlanRoleName", got)
	}
	if got := at(t, tmpl, "Resources", "ApplyRole", "Properties", "RoleName"); !cmp.Equal(got, map[string]any{"Ref": "ApplyRoleName"}) {
		t.Errorf("ApplyRole RoleName = %v, want !Ref ApplyRoleName", got)
	}
	envs, err := filepath.Glob(filepath.Join("..", "..", "access", "*", "environment.yaml"))
	if err != nil || len(envs) == 0 {
		t.Fatalf("no example environments (%v)", err)
	}
	for _, f := range envs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			RoleARN     string `yaml:"role_arn"`
			PlanRoleARN string `yaml:"plan_role_arn"`
		}
		if err := yaml.Unmarshal(data, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := fmt.Sprintf(":role/%v", applyName); env.RoleARN != "" && !strings.HasSuffix(env.RoleARN, want) {
			t.Errorf("%s: role_arn %s does not name the template's apply role (%s)", f, env.RoleARN, want)
		}
		if want := fmt.Sprintf(":role/%v", planName); env.PlanRoleARN != "" && !strings.HasSuffix(env.PlanRoleARN, want) {
			t.Errorf("%s: plan_role_arn %s does not name the template's plan role (%s)", f, env.PlanRoleARN, want)
		}
	}
	for output, resource := range map[string]string{"PlanRoleArn": "PlanRole", "ApplyRoleArn": "ApplyRole"} {
		want := map[string]any{"Fn::GetAtt": []any{resource, "Arn"}}
		if got := at(t, tmpl, "Outputs", output, "Value"); !cmp.Equal(want, got) {
			t.Errorf("output %s = %v, want !GetAtt %s.Arn", output, got, resource)
		}
	}
}
