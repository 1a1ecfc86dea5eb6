package render

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

func TestDiffLines(t *testing.T) {
	t.Parallel()
	long := func(n int, changed map[int]string) []string {
		var lines []string
		for i := range n {
			if s, ok := changed[i]; ok {
				lines = append(lines, s)
				continue
			}
			lines = append(lines, fmt.Sprintf("line %d", i))
		}
		return lines
	}
	tests := []struct {
		name string
		a, b []string
		want []string
	}{
		{
			name: "short diff shows everything",
			a:    []string{"{", `"a": 1,`, `"b": 2`, "}"},
			b:    []string{"{", `"a": 1,`, `"b": 3`, "}"},
			want: []string{"  {", `  "a": 1,`, `- "b": 2`, `+ "b": 3`, "  }"},
		},
		{
			name: "insertion",
			a:    []string{"x", "z"},
			b:    []string{"x", "y", "z"},
			want: []string{"  x", "+ y", "  z"},
		},
		{
			name: "long diff keeps three lines of context",
			a:    long(60, nil),
			b:    long(60, map[int]string{30: "changed"}),
			want: []string{"  …", "  line 27", "  line 28", "  line 29", "- line 30", "+ changed", "  line 31", "  line 32", "  line 33", "  …"},
		},
		{
			name: "identical",
			a:    []string{"x"},
			b:    []string{"x"},
			want: []string{"  x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, l := range diffLines(tt.a, tt.b, 3) {
				got = append(got, l.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diffLines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangeLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change plan.Change
		want   []string
	}{
		{
			name: "path, tags and console",
			change: plan.Change{
				Action: plan.Update, Kind: plan.KindUser, Name: "dan",
				Before: &plan.Resource{Path: "/", Access: state.Access{Tags: map[string]string{"team": "a", "old": "x", "same": "s"}}, Console: true},
				After:  &plan.Resource{Path: "/people/", Access: state.Access{Tags: map[string]string{"team": "b", "same": "s"}}},
				Ops:    []plan.Op{{Type: plan.OpDeleteLoginProfile, User: "dan"}},
			},
			want: []string{"- path: /", "+ path: /people/", "- tag old = x", "- tag team = a", "+ tag team = b", "- console access"},
		},
		{
			name: "undelivered password reset",
			change: plan.Change{
				Action: plan.Update, Kind: plan.KindUser, Name: "gus",
				Before: &plan.Resource{Path: "/", Access: state.Access{Tags: map[string]string{"roster:password": "undelivered"}}, Console: true},
				After:  &plan.Resource{Path: "/", Console: true},
				Ops: []plan.Op{
					{Type: plan.OpUpdateLoginProfile, User: "gus", PGPKeyFingerprint: "22817043BAD9976A7337A6101430D9BB83F080E9"},
					{Type: plan.OpUntagUser, User: "gus", TagKeys: []string{"roster:password"}},
				},
			},
			want: []string{
				"- tag roster:password = undelivered",
				"- console password, never delivered",
				"+ console password, new, encrypted to PGP key 22817043BAD9976A7337A6101430D9BB83F080E9, to be changed at first sign-in",
			},
		},
		{
			name: "unassigned virtual MFA device",
			change: plan.Change{
				Action: plan.Update, Kind: plan.KindUser, Name: "hal",
				Before: &plan.Resource{Path: "/"},
				After:  &plan.Resource{Path: "/"},
				Ops:    []plan.Op{{Type: plan.OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/hal"}},
			},
			want: []string{"- virtual MFA device arn:aws:iam::111122223333:mfa/hal (assigned to no user)"},
		},
		{
			name: "group policies",
			change: plan.Change{
				Action: plan.Update, Kind: plan.KindGroup, Name: "ops",
				Before: &plan.Resource{Access: state.Access{ManagedPolicies: []string{"arn:a", "arn:b"}, InlinePolicies: map[string]string{"gone": `{"V":1}`}}},
				After:  &plan.Resource{Access: state.Access{ManagedPolicies: []string{"arn:b", "arn:c"}, InlinePolicies: map[string]string{"new": `{"V":2}`}}},
			},
			want: []string{
				"- managed policy arn:a", "+ managed policy arn:c",
				"- inline policy gone:", "-   {", `-     "V": 1`, "-   }",
				"+ inline policy new:", "+   {", `+     "V": 2`, "+   }",
			},
		},
		{
			name: "group deletion teardown",
			change: plan.Change{
				Action: plan.Delete, Kind: plan.KindGroup, Name: "old-team", Reason: "marked absent in the manifests",
				Before: &plan.Resource{Members: []string{"erin"}, Access: state.Access{ManagedPolicies: []string{"arn:x"}}},
				Ops: []plan.Op{
					{Type: plan.OpRemoveUserFromGroup, User: "erin", Group: "old-team"},
					{Type: plan.OpDetachGroupPolicy, Group: "old-team", PolicyARN: "arn:x"},
					{Type: plan.OpDeleteGroupPolicy, Group: "old-team", PolicyName: "p"},
					{Type: plan.OpDeleteGroup, Group: "old-team"},
				},
			},
			want: []string{"- member erin", "- managed policy arn:x", "- inline policy p", "- group old-team"},
		},
		{
			name: "created user with the require-MFA policy",
			change: plan.Change{
				Action: plan.Create, Kind: plan.KindUser, Name: "fay",
				After: &plan.Resource{Path: "/", Access: state.Access{InlinePolicies: map[string]string{plan.RequireMFAPolicyName: plan.RequireMFAPolicy}}},
			},
			want: []string{"+ path: /", "+ inline policy roster-require-mfa " + requireMFAWords},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, l := range newChangeView(tt.change).Lines {
				got = append(got, l.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReviewOrder: destructive environments come first in the comment,
// the rest keep the promotion order.
func TestReviewOrder(t *testing.T) {
	t.Parallel()
	var got []string
	for _, e := range newPlanView(fullPlan(t)).ReviewOrder {
		got = append(got, e.Name)
	}
	want := []string{"staging", "production", "development", "testing"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("review order (-want +got):\n%s", diff)
	}
}
