package plan

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

// TestRequireMFAPolicyIsCanonical guards against a require-MFA policy that
// differs from its normalized live copy, which would make every plan
// re-put it on every console user.
func TestRequireMFAPolicyIsCanonical(t *testing.T) {
	t.Parallel()
	got, err := policy.Canonical(RequireMFAPolicy)
	if err != nil {
		t.Fatalf("Canonical(RequireMFAPolicy): %v", err)
	}
	if got != RequireMFAPolicy {
		t.Errorf("RequireMFAPolicy is not canonical:\n have %s\n want %s", RequireMFAPolicy, got)
	}
	// IAM returns documents URL-encoded; the live copy must still compare equal.
	if got, err := policy.Canonical(url.QueryEscape(RequireMFAPolicy)); err != nil || got != RequireMFAPolicy {
		t.Errorf("Canonical(URL-encoded RequireMFAPolicy) = %q, %v; want the constant", got, err)
	}
}

func TestRequireMFAPolicyIsValid(t *testing.T) {
	t.Parallel()
	var doc any
	if err := json.Unmarshal([]byte(RequireMFAPolicy), &doc); err != nil {
		t.Fatalf("RequireMFAPolicy is not JSON: %v", err)
	}
	if problems := policy.Validate(doc); len(problems) > 0 {
		t.Errorf("RequireMFAPolicy has grammar problems: %v", problems)
	}
	// The deny must hold unless MFA is present, including for long-term
	// keys, which carry no MFA context (hence BoolIfExists).
	var parsed struct {
		Statement []struct {
			Effect    string
			NotAction []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(RequireMFAPolicy), &parsed); err != nil {
		t.Fatal(err)
	}
	last := parsed.Statement[len(parsed.Statement)-1]
	if last.Effect != "Deny" || last.Condition["BoolIfExists"]["aws:MultiFactorAuthPresent"] != "false" {
		t.Errorf("last statement = %+v, want a Deny unless aws:MultiFactorAuthPresent", last)
	}
}

// TestDiffComparesNormalizedPolicies checks that policy documents that mean
// the same (key order, whitespace, URL encoding, a one-element list versus a
// string) are no change once both sides are canonical, and that a real
// difference is.
func TestDiffComparesNormalizedPolicies(t *testing.T) {
	t.Parallel()
	desired, err := policy.CanonicalValue(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Action": []any{"s3:GetObject"}, "Resource": "arn:aws:s3:::bucket/*",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	liveSame, err := policy.Canonical(url.QueryEscape(`{ "Statement": { "Resource": ["arn:aws:s3:::bucket/*"],
		"Action": "s3:GetObject", "Effect": "Allow" }, "Version": "2012-10-17" }`))
	if err != nil {
		t.Fatal(err)
	}
	liveOther, err := policy.Canonical(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		live        string
		wantChanges int
	}{
		{name: "same meaning, different form", live: liveSame, wantChanges: 0},
		{name: "different actions", live: liveOther, wantChanges: 2}, // the user and the group
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(
				[]*manifest.User{{Kind: manifest.Person, Name: "alice", Path: "/", InlinePolicies: map[string]string{"s3": desired}}},
				[]*manifest.Group{{Name: "devs", Path: "/", InlinePolicies: map[string]string{"s3": desired}}})
			u := liveUser("alice", managedTags())
			u.InlinePolicies = map[string]string{"s3": tt.live}
			live := withGroups(account(u), &state.Group{Name: "devs", Path: "/", InlinePolicies: map[string]string{"s3": tt.live}})
			got := Diff(testCfg, env, live, testNow)
			if len(got.Changes) != tt.wantChanges {
				t.Errorf("got %d changes, want %d: %+v", len(got.Changes), tt.wantChanges, got.Changes)
			}
		})
	}
}
