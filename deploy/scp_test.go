package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/policy"
)

// scpFile is the example service control policy docs/setup.md explains.
const scpFile = "scp-protect-roster-tags.json"

// request is one IAM API call as an SCP sees it: who calls, what on which
// resource, and the tag keys the request carries (aws:TagKeys).
type request struct {
	principal, action, resource string
	tagKeys                     []string
}

// scpStatement is the part of a policy statement the evaluator reads.
type scpStatement struct {
	Sid       string
	Effect    string
	Action    values
	Resource  values
	Condition map[string]map[string]values
}

// values is a policy value that is one string or a list of them.
type values []string

// UnmarshalJSON reads a single string as a one-element list.
func (s *values) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// glob reports whether value matches an IAM pattern, where * matches any run
// of characters and ? any one character.
func glob(pattern, value string, foldCase bool) bool {
	var re strings.Builder
	re.WriteString("^")
	if foldCase {
		re.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(value)
}

// arnLike is the ArnLike operator: the six colon-separated parts of the ARN
// are matched one by one, each a pattern of its own.
func arnLike(pattern, arn string) bool {
	p, a := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], a[i], false) {
			return false
		}
	}
	return true
}

// conditionHolds evaluates one condition operator and key against req. Only
// the operators and keys the example uses are known; any other fails the
// test, so the evaluator never guesses. want holds the condition's values.
func conditionHolds(t *testing.T, op, key string, want []string, req request) bool {
	t.Helper()
	switch {
	case op == "ForAnyValue:StringLike" && key == "aws:TagKeys":
		// True when any tag key of the request matches any value; a request
		// without tag keys matches nothing.
		return slices.ContainsFunc(req.tagKeys, func(k string) bool {
			return slices.ContainsFunc(want, func(v string) bool { return glob(v, k, false) })
		})
	case op == "ArnNotLike" && key == "aws:PrincipalArn":
		return !slices.ContainsFunc(want, func(v string) bool { return arnLike(v, req.principal) })
	}
	t.Fatalf("%s: the test cannot evaluate condition %s on %s", scpFile, op, key)
	return false
}

// denies returns the Sid of the first statement of scp that denies req, or "".
func denies(t *testing.T, scp []scpStatement, req request) string {
	t.Helper()
	for _, s := range scp {
		if s.Effect != "Deny" ||
			!slices.ContainsFunc(s.Action, func(a string) bool { return glob(a, req.action, true) }) ||
			!slices.ContainsFunc(s.Resource, func(r string) bool { return glob(r, req.resource, false) }) {
			continue
		}
		all := true
		for op, keys := range s.Condition {
			for key, want := range keys {
				all = all && conditionHolds(t, op, key, want, req)
			}
		}
		if all {
			return s.Sid
		}
	}
	return ""
}

// readSCP reads the example SCP, checks it with the policy grammar roster
// uses for every policy document, and decodes its statements.
func readSCP(t *testing.T) []scpStatement {
	t.Helper()
	data, err := os.ReadFile(scpFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", scpFile, err)
	}
	for _, p := range policy.Validate(doc) {
		t.Errorf("%s: %s: %s", scpFile, p.Path, p.Message)
	}
	var scp struct{ Statement []scpStatement }
	if err := json.Unmarshal(data, &scp); err != nil {
		t.Fatalf("%s: %v", scpFile, err)
	}
	// SCPs deny; a service control policy attached with an Allow beside
	// AWS's FullAWSAccess would widen nothing, and is not what this file is.
	for _, s := range scp.Statement {
		if s.Effect != "Deny" {
			t.Errorf("%s: statement %s is %q; the example only denies", scpFile, s.Sid, s.Effect)
		}
	}
	return scp.Statement
}

// TestSCPProtectsRosterTagsAndRoles evaluates the example SCP as AWS
// Organizations does for each request: someone with IAM rights in an
// environment account but no access to the repository cannot forge or strip
// roster's tags, nor change roster's roles; roster's apply role and
// CloudFormation StackSets still can do their jobs; nothing else is denied.
func TestSCPProtectsRosterTagsAndRoles(t *testing.T) {
	t.Parallel()
	scp := readSCP(t)
	const (
		acct       = "arn:aws:iam::444444444444:"
		admin      = acct + "user/mallory"
		sso        = acct + "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
		applyRole  = acct + "role/roster-apply"
		planRole   = acct + "role/roster-plan"
		stacksets  = acct + "role/stacksets-exec-5f3c1e0b9a8d7c6e"
		breakGlass = acct + "user/break-glass-admin"
	)
	tests := []struct {
		name   string
		req    request
		denied bool
	}{
		{"an administrator forges the ownership tag", request{admin, "iam:TagUser", breakGlass, []string{"roster:managed"}}, true},
		{"through single sign-on too", request{sso, "iam:TagUser", breakGlass, []string{"roster:managed"}}, true},
		{"among other tags", request{admin, "iam:TagUser", breakGlass, []string{"team", "roster:managed"}}, true},
		{"the owner tag", request{admin, "iam:TagUser", breakGlass, []string{"roster:owner"}}, true},
		{"stripping the ownership tag", request{admin, "iam:UntagUser", acct + "user/alice", []string{"roster:managed"}}, true},
		{"creating a user that claims ownership", request{admin, "iam:CreateUser", acct + "user/ghost", []string{"roster:managed"}}, true},
		{"action names are case-insensitive", request{admin, "IAM:taguser", breakGlass, []string{"roster:managed"}}, true},
		{"the plan role may not tag", request{planRole, "iam:TagUser", breakGlass, []string{"roster:managed"}}, true},
		{"the apply role tags users it adopts", request{applyRole, "iam:TagUser", acct + "user/alice", []string{"roster:managed"}}, false},
		{"the apply role in another partition", request{"arn:aws-cn:iam::444444444444:role/roster-apply", "iam:TagUser", "arn:aws-cn:iam::444444444444:user/alice", []string{"roster:managed"}}, false},
		{"another partition is protected too", request{"arn:aws-us-gov:iam::444444444444:user/mallory", "iam:TagUser", "arn:aws-us-gov:iam::444444444444:user/bob", []string{"roster:managed"}}, true},
		{"other tags stay free", request{admin, "iam:TagUser", breakGlass, []string{"team", "cost-center"}}, false},
		{"creating a user without roster tags", request{admin, "iam:CreateUser", acct + "user/ci", nil}, false},
		{"widening the apply role's trust", request{admin, "iam:UpdateAssumeRolePolicy", applyRole, nil}, true},
		{"attaching a policy to the plan role", request{admin, "iam:AttachRolePolicy", planRole, nil}, true},
		{"an inline policy on the apply role", request{admin, "iam:PutRolePolicy", applyRole, nil}, true},
		{"deleting the apply role", request{admin, "iam:DeleteRole", applyRole, nil}, true},
		{"the apply role cannot widen itself", request{applyRole, "iam:PutRolePolicy", applyRole, nil}, true},
		{"the hub apply role's trust", request{admin, "iam:UpdateAssumeRolePolicy", "arn:aws:iam::999999999999:role/roster-hub-apply", nil}, true},
		{"StackSets updates roster's roles", request{stacksets, "iam:PutRolePolicy", applyRole, nil}, false},
		{"other roles stay free", request{admin, "iam:PutRolePolicy", acct + "role/payments-service", nil}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sid := denies(t, scp, tt.req)
			if got := sid != ""; got != tt.denied {
				t.Errorf("%s %s on %s with tag keys %q: denied = %v (statement %q), want %v",
					tt.req.principal, tt.req.action, tt.req.resource, tt.req.tagKeys, got, sid, tt.denied)
			}
		})
	}
}

// TestSCPEvaluator: the evaluator the test above relies on follows IAM's
// matching rules.
func TestSCPEvaluator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:*:iam::*:role/roster-apply", "arn:aws:iam::111122223333:role/roster-apply", true},
		{"arn:*:iam::*:role/roster-apply", "arn:aws:iam::111122223333:role/roster-applyx", false},
		{"arn:*:iam::*:role/roster-apply", "arn:aws:sts::111122223333:role/roster-apply", false},
		{"arn:*:iam::*:role/stacksets-exec-*", "arn:aws:iam::111122223333:role/stacksets-exec-abc", true},
		{"arn:*:iam::*:role/roster-*", "arn:aws:iam::111122223333:user/roster-apply", false},
		{"arn:*:iam::*:role/roster-apply", "not-an-arn", false},
	}
	for _, tt := range tests {
		if got := arnLike(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("arnLike(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
	scp := []scpStatement{{
		Sid: "S", Effect: "Deny", Action: values{"iam:Tag*"}, Resource: values{"*"},
		Condition: map[string]map[string]values{"ForAnyValue:StringLike": {"aws:TagKeys": {"roster:*"}}},
	}}
	for _, tc := range []struct {
		req  request
		want string
	}{
		{request{"p", "iam:TagUser", "r", []string{"roster:x"}}, "S"},
		{request{"p", "iam:TagUser", "r", []string{"Roster:x"}}, ""},
		{request{"p", "iam:TagUser", "r", nil}, ""},
		{request{"p", "iam:UntagUser", "r", []string{"roster:x"}}, ""},
	} {
		if got := denies(t, scp, tc.req); got != tc.want {
			t.Errorf("denies(%+v) = %q, want %q", tc.req, got, tc.want)
		}
	}
}
