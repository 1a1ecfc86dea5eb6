package policy_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/policy"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []policy.Problem
	}{
		{
			name: "valid flow style with unquoted version",
			yaml: `{ Version: 2012-10-17, Statement: [{Effect: Deny, Action: "aws-portal:*", Resource: "*"}] }`,
		},
		{
			name: "valid single statement, 2008 version, conditions",
			yaml: `
Version: "2008-10-17"
Id: mfa
Statement:
  Sid: DenyAllWithoutMFA1
  Effect: Deny
  NotAction: [iam:ChangePassword, "iam:*MFADevice", sts:GetSessionToken]
  NotResource: ["arn:aws:iam::*:user/${aws:username}"]
  Condition:
    BoolIfExists: { aws:MultiFactorAuthPresent: false }
    NumericGreaterThan: { aws:MultiFactorAuthAge: 3600 }
    ForAnyValue:StringLike: { aws:TagKeys: [team*, "env?"] }
    "Null": { aws:TokenIssueTime: "true" }
`,
		},
		{
			name: "valid without version",
			yaml: `{Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}`,
		},
		{
			name: "not an object",
			yaml: `[a, b]`,
			want: []policy.Problem{{Path: "", Message: "a policy document must be an object with Version and Statement, not a list"}},
		},
		{
			name: "bad version, unknown top-level key, no statement",
			yaml: `{Version: 2020-01-01, Id: 7, Statment: []}`, //nolint:misspell // the misspelled key is the case under test
			want: []policy.Problem{
				{Path: "Version", Message: `Version "2020-01-01" is not a policy language version; use "2012-10-17"`},
				{Path: "Id", Message: "Id must be a string, not a number"},
				{Path: "Statment", Message: `unknown policy element "Statment"; a policy document holds only Version, Id and Statement`}, //nolint:misspell // as above
				{Path: "", Message: "the policy document has no Statement"},
			},
		},
		{
			name: "version not a string",
			yaml: `{Version: 2012, Statement: {Effect: Allow, Action: "*", Resource: "*"}}`,
			want: []policy.Problem{{Path: "Version", Message: `Version must be the string "2012-10-17", not a number`}},
		},
		{
			name: "empty statement list",
			yaml: `{Version: "2012-10-17", Statement: []}`,
			want: []policy.Problem{{Path: "Statement", Message: "Statement is an empty list; a policy needs at least one statement"}},
		},
		{
			name: "statement of the wrong type",
			yaml: `{Statement: allow everything}`,
			want: []policy.Problem{{Path: "Statement", Message: "Statement must be an object or a list of objects, not a string"}},
		},
		{
			name: "statement list element not an object",
			yaml: `{Statement: [{Effect: Allow, Action: "*", Resource: "*"}, "*"]}`,
			want: []policy.Problem{{Path: "Statement[1]", Message: "a statement must be an object, not a string"}},
		},
		{
			name: "effect missing and wrong",
			yaml: `{Statement: [{Action: "*", Resource: "*"}, {Effect: allow, Action: "*", Resource: "*"}, {Effect: true, Action: "*", Resource: "*"}]}`,
			want: []policy.Problem{
				{Path: "Statement[0]", Message: "the statement has no Effect; add Effect: Allow or Effect: Deny"},
				{Path: "Statement[1].Effect", Message: `Effect "allow" must be Allow or Deny (case-sensitive)`},
				{Path: "Statement[2].Effect", Message: "Effect must be Allow or Deny, not a boolean"},
			},
		},
		{
			name: "action and resource both and neither",
			yaml: `{Statement: [{Effect: Allow, Action: "*", NotAction: "s3:*"}, {Effect: Allow, Resource: "*", NotResource: "*"}]}`,
			want: []policy.Problem{
				{Path: "Statement[0].NotAction", Message: "a statement holds Action or NotAction, not both"},
				{Path: "Statement[0]", Message: "the statement has no Resource (or NotResource)"},
				{Path: "Statement[1]", Message: "the statement has no Action (or NotAction)"},
				{Path: "Statement[1].NotResource", Message: "a statement holds Resource or NotResource, not both"},
			},
		},
		{
			name: "bad action strings on a single statement",
			yaml: `{Statement: {Effect: Allow, Action: [s3GetObject, "s3:Get Object", 3, "iam:*"], Resource: []}}`,
			want: []policy.Problem{
				{Path: "Statement.Action", Message: `Action[0] "s3GetObject" is not valid: an action is "*" or service:Action, for example s3:GetObject or s3:Get*`},
				{Path: "Statement.Action", Message: `Action[1] "s3:Get Object" is not valid: an action is "*" or service:Action, for example s3:GetObject or s3:Get*`},
				{Path: "Statement.Action", Message: "Action[2] must be a string, not a number"},
				{Path: "Statement.Resource", Message: "Resource is an empty list"},
			},
		},
		{
			name: "bad resource",
			yaml: `{Statement: {Effect: Allow, Action: "s3:*", NotResource: "my-bucket"}}`,
			want: []policy.Problem{
				{Path: "Statement.NotResource", Message: `NotResource "my-bucket" is not valid: a resource is "*" or an ARN, for example arn:aws:s3:::my-bucket/*`},
			},
		},
		{
			name: "action of the wrong type",
			yaml: `{Statement: {Effect: Allow, Action: {s3: Get}, Resource: "*"}}`,
			want: []policy.Problem{{Path: "Statement.Action", Message: "Action must be a string or a list of strings, not an object"}},
		},
		{
			name: "principal and unknown statement keys",
			yaml: `{Statement: [{Effect: Allow, Action: "*", Resource: "*", Principal: "*", NotPrincipal: {AWS: x}, Conditions: {}}]}`,
			want: []policy.Problem{
				{Path: "Statement[0].Conditions", Message: `unknown statement element "Conditions"; a statement holds Sid, Effect, Action or NotAction, Resource or NotResource, and Condition`},
				{Path: "Statement[0].NotPrincipal", Message: "NotPrincipal is not allowed in an identity-based policy: the policy applies to the user or group it is attached to"},
				{Path: "Statement[0].Principal", Message: "Principal is not allowed in an identity-based policy: the policy applies to the user or group it is attached to"},
			},
		},
		{
			name: "sid syntax and uniqueness",
			yaml: `{Statement: [
				{Sid: Read1, Effect: Allow, Action: "*", Resource: "*"},
				{Sid: Read1, Effect: Allow, Action: "*", Resource: "*"},
				{Sid: "read-2", Effect: Allow, Action: "*", Resource: "*"},
				{Sid: 12, Effect: Allow, Action: "*", Resource: "*"}]}`,
			want: []policy.Problem{
				{Path: "Statement[1].Sid", Message: `Sid "Read1" is already used by Statement[0]; Sids must be unique within a policy`},
				{Path: "Statement[2].Sid", Message: `Sid "read-2" may hold only letters A-Z, a-z and digits 0-9`},
				{Path: "Statement[3].Sid", Message: "Sid must be a string, not a number"},
			},
		},
		{
			name: "condition problems",
			yaml: `{Statement: {Effect: Allow, Action: "*", Resource: "*", Condition: {
				StringEqual: {a:b: x},
				NullIfExists: {a:b: "true"},
				Bool: [x],
				StringLike: {},
				ArnLike: {a:b: [], c:d: [{x: y}], e:f: {g: h}}}}}`,
			want: []policy.Problem{
				{Path: "Statement.Condition", Message: "ArnLike a:b is an empty list"},
				{Path: "Statement.Condition", Message: "ArnLike c:d[0] must be a string, boolean or number, not an object"},
				{Path: "Statement.Condition", Message: "ArnLike e:f must be a string, boolean, number or a list of them, not an object"},
				{Path: "Statement.Condition", Message: "Bool must be a map of condition keys to values, not a list"},
				{Path: "Statement.Condition", Message: `"NullIfExists" is not a condition operator (for example StringEquals, ArnLike, Bool, ForAnyValue:StringLike, StringEqualsIfExists)`},
				{Path: "Statement.Condition", Message: `"StringEqual" is not a condition operator (for example StringEquals, ArnLike, Bool, ForAnyValue:StringLike, StringEqualsIfExists)`},
				{Path: "Statement.Condition", Message: "StringLike names no condition key"},
			},
		},
		{
			name: "condition not a map",
			yaml: `{Statement: {Effect: Allow, Action: "*", Resource: "*", Condition: "aws:SecureTransport"}}`,
			want: []policy.Problem{{Path: "Statement.Condition", Message: "Condition must be a map of condition operators, not a string"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var doc any
			if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			got := policy.Validate(doc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidateJSON checks documents as Canonical's callers have them: JSON
// with numbers kept as written.
func TestValidateJSON(t *testing.T) {
	t.Parallel()
	var doc any
	if err := yaml.Unmarshal([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":"arn:aws:sqs:us-east-1:111122223333:jobs","Condition":{"NumericLessThanEquals":{"sqs:MessageSize":[262144]}}}]}`), &doc); err != nil {
		t.Fatal(err)
	}
	if got := policy.Validate(doc); len(got) != 0 {
		t.Errorf("Validate = %v, want no problems", got)
	}
	if got := policy.Validate(map[string]any{"Statement": make(chan int)}); len(got) != 1 || got[0].Path != "" {
		t.Errorf("Validate(unsupported value) = %v, want one problem for the whole document", got)
	}
}
