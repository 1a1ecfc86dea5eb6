package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// attentionPlan raises privileges and destroys in production: an
// admin-equivalent policy attached, an inline allow-all, a membership in a
// group this plan makes admin-equivalent, a user and an access key deleted;
// and many ordinary changes in development, so the comment is shortened.
func attentionPlan() *plan.Plan {
	const allowAll = `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	prod := &plan.Environment{Name: "production", AccountID: "444455556666", Production: true, Digest: strings.Repeat("a", 64), Changes: []plan.Change{
		{Action: plan.Update, Kind: plan.KindGroup, Name: "ops", Before: &plan.Resource{}, After: &plan.Resource{Access: state.Access{ManagedPolicies: []string{"arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}}},
			Ops: []plan.Op{{Type: plan.OpAttachGroupPolicy, Group: "ops", PolicyARN: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}}},
		{Action: plan.Update, Kind: plan.KindUser, Name: "mallory", Before: &plan.Resource{}, After: &plan.Resource{Access: state.Access{Groups: []string{"ops"}}},
			Ops: []plan.Op{
				{Type: plan.OpAddUserToGroup, User: "mallory", Group: "ops"},
				{Type: plan.OpPutUserPolicy, User: "mallory", PolicyName: "god", PolicyDocument: allowAll},
				{Type: plan.OpDeleteUserPermissionsBoundary, User: "mallory"},
			}},
		{Action: plan.Update, Kind: plan.KindServiceAccount, Name: "ci", Before: &plan.Resource{}, After: &plan.Resource{},
			Ops: []plan.Op{{Type: plan.OpDeleteAccessKey, User: "ci", ID: "AKIAOLDKEY0000000001"}}},
		{Action: plan.Delete, Kind: plan.KindUser, Name: "bob", Before: &plan.Resource{}, Reason: "absent: true",
			Ops: []plan.Op{{Type: plan.OpDeleteUser, User: "bob"}}},
	}}
	dev := &plan.Environment{Name: "development", AccountID: "111122223333", Digest: strings.Repeat("b", 64)}
	for i := range 200 {
		name := "developer-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		dev.Changes = append(dev.Changes, plan.Change{Action: plan.Create, Kind: plan.KindUser, Name: name, After: &plan.Resource{Access: state.Access{Groups: []string{"developers"}}},
			Ops: []plan.Op{{Type: plan.OpCreateUser, User: name}, {Type: plan.OpAddUserToGroup, User: name, Group: "developers"}}})
	}
	return &plan.Plan{Environments: []*plan.Environment{dev, prod}}
}

// TestAttentionGolden: a compact comment, and one cut short, still list
// every privilege-raising and destructive change by name.
func TestAttentionGolden(t *testing.T) {
	t.Parallel()
	var full bytes.Buffer
	if err := Markdown(&full, attentionPlan(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		max  int
		cut  bool
	}{
		{"attention-compact.md", full.Len() - 1, false},
		{"attention-cut.md", 4000, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Markdown(&buf, attentionPlan(), MarkdownOptions{MaxLength: tt.max, SummaryURL: "https://github.com/acme/access/actions/runs/42"}); err != nil {
				t.Fatal(err)
			}
			body := buf.String()
			if len(body) > tt.max {
				t.Errorf("body is %d bytes, more than %d", len(body), tt.max)
			}
			if got := strings.Contains(body, "cut short"); got != tt.cut {
				t.Errorf("cut short = %v, want %v", got, tt.cut)
			}
			for _, want := range []string{
				"🗑️ **production** 🔴 production: delete user: bob",
				"🗑️ **production** 🔴 production: delete access key **AKIAOLDKEY0000000001** of service account: ci",
				"🔴 **production** 🔴 production: attach **arn:aws\\-us\\-gov:iam::aws:policy/AdministratorAccess** to group (admin-equivalent: administrator-access): ops",
				"🔴 **production** 🔴 production: join group **ops** as user (admin-equivalent group): mallory",
				"🔴 **production** 🔴 production: put inline policy **god** on user (admin-equivalent: allow-all): mallory",
				"⬆️ **production** 🔴 production: remove the permissions boundary of user: mallory",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("comment lacks %q", want)
				}
			}
			golden.File(t, tt.name+".golden", buf.Bytes())
		})
	}
}
