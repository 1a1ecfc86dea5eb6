package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/plan"
)

// expiredAt18 is the hourly run at 18:00: production removes priya from
// prod-operators, development's expired contractors exceed max_deletions.
func expiredAt18() *apply.Result {
	return &apply.Result{Environments: []*apply.EnvironmentResult{
		{
			Name: "development", AccountID: "111111111111", Status: apply.EnvFailed,
			Reason: "This plan deletes 2 users, more than max_deletions (1) allows in development, so roster will not apply it.",
			Changes: []apply.ChangeResult{
				withReason(changeResult(plan.Delete, plan.KindUser, "c1", skipped(plan.Op{Type: plan.OpDeleteUser, User: "c1"}, "the plan was refused")), "expired on 2026-11-30"),
				withReason(changeResult(plan.Delete, plan.KindUser, "c2", skipped(plan.Op{Type: plan.OpDeleteUser, User: "c2"}, "the plan was refused")), "expired on 2026-11-30"),
			},
		},
		{
			Name: "production", AccountID: "222222222222", Production: true, Status: apply.EnvApplied,
			Changes: []apply.ChangeResult{
				withReason(changeResult(plan.Update, plan.KindUser, "priya",
					done(plan.Op{Type: plan.OpRemoveUserFromGroup, User: "priya", Group: "prod-operators"})),
					"membership of prod-operators ended at 2026-12-03 18:00 UTC"),
			},
		},
	}}
}

// The expire report: its own marker and heading, each removal with why,
// the refusal, and what was left for review, escaped.
func TestExpireMarkdownGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  *apply.Result
		left []string
	}{
		{"expire-18h00", expiredAt18(), []string{
			LeftForReview("production", []plan.Change{{Action: plan.Update, Kind: plan.KindUser, Name: "bob"}}),
			LeftForReview("staging", []plan.Change{{Action: plan.Create, Kind: plan.KindUser, Name: "<img src=x>@admins"}}),
		}},
		{"expire-nothing", &apply.Result{Environments: []*apply.EnvironmentResult{{Name: "production", AccountID: "222222222222", Status: apply.EnvNoChanges}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := ExpireMarkdown(&buf, tt.res, tt.left); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.HasPrefix(out, "<!-- roster:expire -->\n## roster expire\n") || strings.Contains(out, ApplyMarker) {
				t.Errorf("report is not titled as an expire run's:\n%s", out)
			}
			for _, bad := range []string{"<img", "@admins"} {
				if strings.Contains(out, bad) {
					t.Errorf("report holds %q unescaped:\n%s", bad, out)
				}
			}
			golden.File(t, tt.name+".md.golden", buf.Bytes())
		})
	}
}
