package render

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/report"
	"github.com/roster-dev/roster/internal/state"
)

var reportDay = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// reportMatrix has a bit of everything: promotion order with production
// last, people in several environments, service accounts with owners, a
// user with two groups, admin-equivalent access, an expired and an expiring
// user, and live state for production with drift, a user not created yet,
// and users only IAM knows.
func reportMatrix() *report.Matrix {
	expired := manifest.EndOfDay(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	expires := manifest.EndOfDay(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC))
	denyBilling := `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`
	dev := &manifest.Environment{
		Name: "development", AccountID: "111111111111",
		Groups: []*manifest.Group{
			{Name: "developers", ManagedPolicies: []string{report.PowerUserAccess}, InlinePolicies: map[string]string{"deny-billing": denyBilling}},
			{Name: "platform", ManagedPolicies: []string{report.PowerUserAccess, report.IAMFullAccess}},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Groups: []string{"developers"}},
			{Kind: manifest.Person, Name: "bob", Groups: []string{"developers", "platform"}, Console: true},
			{Kind: manifest.Person, Name: "carol", Groups: []string{"developers"}, Expires: &expired},
			{Kind: manifest.Person, Name: "walter", Groups: []string{"developers"}, Expires: &expires,
				PermissionsBoundary: "arn:aws:iam::111111111111:policy/boundaries/contractor"},
			{Kind: manifest.ServiceAccount, Name: "preview-deployer", Owner: "platform-team",
				ManagedPolicies: []string{"arn:aws:iam::111111111111:policy/deploy/preview"}},
		},
	}
	prod := &manifest.Environment{
		Name: "production", AccountID: "444444444444", Production: true,
		Guardrails: manifest.Guardrails{ConsoleRequiresMFA: true},
		Groups:     []*manifest.Group{{Name: "operators", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "bob", Groups: []string{"operators"}, Console: true},
			{Kind: manifest.Person, Name: "dana", Groups: []string{"operators"}},
			{Kind: manifest.ServiceAccount, Name: "ci-deployer", Owner: "platform-team",
				ManagedPolicies: []string{"arn:aws:iam::444444444444:policy/deploy/app"}},
		},
	}
	live := &state.Account{
		AccountID: "444444444444",
		Groups:    map[string]*state.Group{"operators": {Name: "operators", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		Users: map[string]*state.User{
			"bob": {Name: "bob", Access: state.Access{Groups: []string{"operators"}, InlinePolicies: map[string]string{"roster-require-mfa": "{}"}},
				Details: state.LoginProfile | state.Credentials, LoginProfile: true, MFADevices: []string{"arn:aws:iam::444444444444:mfa/bob"}},
			"ci-deployer": {Name: "ci-deployer", Access: state.Access{ManagedPolicies: []string{"arn:aws:iam::444444444444:policy/deploy/app", report.AdministratorAccess}},
				Details: state.LoginProfile | state.Credentials, AccessKeys: []state.AccessKey{{ID: "AKIA1", Status: "Active"}}},
			"break-glass": {Name: "break-glass", Access: state.Access{ManagedPolicies: []string{report.AdministratorAccess}}, Details: state.LoginProfile, LoginProfile: true},
			"leaver":      {Name: "leaver", Access: state.Access{Groups: []string{"operators"}, Tags: map[string]string{"roster:managed": "true"}}},
		},
	}
	return report.Build([]*manifest.Environment{dev, {Name: "staging", AccountID: "333333333333"}, prod},
		report.Options{Now: reportDay, Live: map[string]*state.Account{"production": live}})
}

// hostileMatrix carries hostile strings wherever a snapshot can put text:
// user, group and policy names, which IAM itself would refuse but a
// hand-edited snapshot may hold.
func hostileMatrix() *report.Matrix {
	prod := &manifest.Environment{Name: "production", AccountID: "444444444444", Production: true,
		Users: []*manifest.User{{Kind: manifest.ServiceAccount, Name: "svc", Owner: hostileMention + hostileHTML}}}
	name := "eve" + hostileHTML
	group := "g" + hostileCell + hostileMention
	live := &state.Account{
		AccountID: "444444444444",
		Groups:    map[string]*state.Group{group: {Name: group, ManagedPolicies: []string{"arn:aws:iam::1:policy/" + hostileLink}}},
		Users: map[string]*state.User{
			name: {Name: name, Access: state.Access{
				Groups:              []string{group},
				ManagedPolicies:     []string{report.AdministratorAccess},
				InlinePolicies:      map[string]string{hostileForgery: "{}"},
				PermissionsBoundary: "arn:aws:iam::1:policy/" + hostileIssue + hostileFence,
			}},
		},
	}
	return report.Build([]*manifest.Environment{prod}, report.Options{Now: reportDay, Live: map[string]*state.Account{"production": live}})
}

func renderReport(t *testing.T, format string, m *report.Matrix) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if format == "html" {
		err = ReportHTML(&buf, m)
	} else {
		err = ReportMarkdown(&buf, m, ReportOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	matrices := map[string]func() *report.Matrix{
		"full":    reportMatrix,
		"hostile": hostileMatrix,
		"empty":   func() *report.Matrix { return report.Build(nil, report.Options{Now: reportDay}) },
		"nobody": func() *report.Matrix {
			return report.Build([]*manifest.Environment{{Name: "production", AccountID: "444444444444", Production: true}}, report.Options{Now: reportDay})
		},
	}
	for name, m := range matrices {
		for _, format := range []string{"md", "html"} {
			t.Run(name+"."+format, func(t *testing.T) {
				t.Parallel()
				golden.File(t, "report-"+name+"."+format+".golden", renderReport(t, format, m()))
			})
		}
	}
}

// TestReportHTMLSelfContained: the page loads nothing from elsewhere, so it
// can be opened from a build artifact or an email attachment.
func TestReportHTMLSelfContained(t *testing.T) {
	t.Parallel()
	out := string(renderReport(t, "html", reportMatrix()))
	external := regexp.MustCompile(`(?i)<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(|https?://`)
	if loc := external.FindStringIndex(out); loc != nil {
		t.Errorf("the page refers to something outside itself: %q", out[max(0, loc[0]-40):min(len(out), loc[1]+40)])
	}
	for _, want := range []string{"<style>", "position:sticky", `<th class="prod">production`} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestReportHostile: hostile strings stay text in both formats: no element,
// no table cell break, no mention, no hidden comment.
func TestReportHostile(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"md", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			out := string(renderReport(t, format, hostileMatrix()))
			bad := []string{"<img", "<!-- roster", "<!--"}
			if format == "md" {
				// GitHub turns these into mentions, links and issue
				// references; a browser shows them as text.
				bad = append(bad, "@org", "](https://evil", "#123")
			}
			for _, bad := range bad {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q", bad)
				}
			}
			if format == "md" {
				for _, line := range strings.Split(out, "\n") {
					if !strings.HasPrefix(line, "| ") {
						continue
					}
					if cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); cells != 3 && cells != 8 {
						t.Errorf("a table row has %d separators, want 3 (matrix) or 8 (details): %s", cells, line)
					}
				}
			}
		})
	}
}

// TestReportMarkdownMarks: what a reader of the job summary looks for is in
// the Markdown: the production column, the admin mark on the right cells,
// the drift and the live-only users.
func TestReportMarkdownMarks(t *testing.T) {
	t.Parallel()
	out := string(renderReport(t, "md", reportMatrix()))
	for _, want := range []string{
		"| User | development | staging | 🔒 **production** (live) |",
		"| **bob** | 🔴 **admin**<br>developers, platform<br>console | · | operators<br>console, MFA |",
		"| **ci\\-deployer** 🤖 | · | · | 🔴 **admin**<br>*app, AdministratorAccess*<br>1 access key<br>⚠️ drift |",
		"| **dana** | · | · | operators<br>not created yet |",
		"| **break\\-glass** ❔ | · | · | 🔴 **admin**<br>*AdministratorAccess*<br>console<br>not in manifests |",
		"- 🔴 **break\\-glass** in 🔒 **production**: AdministratorAccess \\(direct\\)",
		"~~expired~~",
		"| **preview\\-deployer** 🤖<br>owner: platform\\-team | — | preview |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// bigMatrix has many users, as a large company's would.
func bigMatrix(users int) *report.Matrix {
	var envs []*manifest.Environment
	for _, name := range []string{"development", "production"} {
		e := &manifest.Environment{Name: name, AccountID: "111111111111", Production: name == "production",
			Groups: []*manifest.Group{{Name: "developers", ManagedPolicies: []string{report.PowerUserAccess, "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}}}}
		for i := range users {
			e.Users = append(e.Users, &manifest.User{Kind: manifest.Person, Name: fmt.Sprintf("user-%04d", i), Groups: []string{"developers"}})
		}
		envs = append(envs, e)
	}
	return report.Build(envs, report.Options{Now: reportDay})
}

// TestReportMarkdownMaxLength: a report too long for a job summary first
// drops the per-environment tables, then is cut at a whole row with a note;
// it never exceeds the limit.
func TestReportMarkdownMaxLength(t *testing.T) {
	t.Parallel()
	m := bigMatrix(400)
	var full bytes.Buffer
	if err := ReportMarkdown(&full, m, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		max                    int
		wantDetails            bool
		wantLastUser, wantNote string
	}{
		{name: "fits", max: full.Len(), wantDetails: true, wantLastUser: "user\\-0399"},
		{name: "no tables", max: full.Len() - 1, wantLastUser: "user\\-0399", wantNote: "per-environment tables are left out"},
		{name: "cut", max: 4000, wantNote: "was cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := ReportMarkdown(&buf, m, ReportOptions{MaxLength: tt.max}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if len(out) > tt.max {
				t.Errorf("length %d exceeds %d", len(out), tt.max)
			}
			if got := strings.Contains(out, "<details>"); got != tt.wantDetails {
				t.Errorf("per-environment tables shown = %v, want %v", got, tt.wantDetails)
			}
			if tt.wantLastUser != "" && !strings.Contains(out, "**"+tt.wantLastUser+"**") {
				t.Errorf("the matrix lacks its last user %s", tt.wantLastUser)
			}
			if tt.wantNote != "" && !strings.Contains(out, tt.wantNote) {
				t.Errorf("output lacks the note %q", tt.wantNote)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
					t.Errorf("a table row was cut: %q", line)
				}
			}
		})
	}
}
