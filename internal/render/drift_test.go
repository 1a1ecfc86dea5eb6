package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

var driftNow = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

var driftOpts = DriftOptions{
	Header: "Scheduled drift check of `main`",
	Time:   driftNow,
	RunURL: "https://github.com/acme/access/actions/runs/42",
}

// driftFull is a realistic report: drift of every kind the diff produces,
// built the way roster builds it (manifests and live state, plan.Diff,
// drift.Build).
func driftFull(t *testing.T) *drift.Report {
	t.Helper()
	const (
		admin  = "arn:aws:iam::aws:policy/AdministratorAccess"
		power  = "arn:aws:iam::aws:policy/PowerUserAccess"
		file   = "access/staging/people.yaml"
		denyCE = `{"Statement":{"Action":"ce:*","Effect":"Deny","Resource":"*"},"Version":"2012-10-17"}`
	)
	cfg := manifest.Config{Defaults: manifest.Defaults{Path: "/"}, Pos: diag.Pos{File: "access/roster.yaml"}}
	at := func(line int) diag.Pos { return diag.Pos{File: file, Line: line, Col: 5} }
	env := &manifest.Environment{
		Name: "staging", Dir: "access/staging", AccountID: "333333333333",
		Pos:        diag.Pos{File: "access/staging/environment.yaml"},
		Guardrails: manifest.Guardrails{ForbiddenManagedPolicies: []string{admin}, MaxDeletions: 5},
		Groups: []*manifest.Group{
			{Name: "developers", Path: "/", ManagedPolicies: []string{power}, Pos: at(2)},
			{Name: "contractors", Absent: true, Pos: at(6)},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Path: "/", Groups: []string{"developers"}, Tags: manifest.TagsOf(map[string]string{"team": "payments"}), Pos: at(10)},
			{Kind: manifest.Person, Name: "bob", Path: "/", Groups: []string{"developers"}, Pos: at(14)},
			{Kind: manifest.Person, Name: "rahul", Path: "/", Pos: at(17)},
			{Kind: manifest.ServiceAccount, Name: "deployer", Path: "/", Owner: "platform", InlinePolicies: map[string]string{"deny-ce": denyCE}, Pos: at(20)},
		},
	}
	managed := func(name string, groups []string, tags map[string]string) *state.User {
		t := map[string]string{"roster:managed": "true"}
		for k, v := range tags {
			t[k] = v
		}
		return &state.User{Name: name, Path: "/", ARN: "arn:aws:iam::333333333333:user/" + name, Access: state.Access{Groups: groups, Tags: t}, Details: state.LoginProfile | state.Credentials}
	}
	live := &state.Account{
		AccountID: "333333333333",
		Groups: map[string]*state.Group{
			"developers":  {Name: "developers", Path: "/", ManagedPolicies: []string{power, admin}, Members: []string{"alice"}},
			"contractors": {Name: "contractors", Path: "/", Members: []string{}},
		},
		Users: map[string]*state.User{
			"alice":    managed("alice", []string{"developers"}, map[string]string{"team": "search"}),
			"rahul":    {Name: "rahul", Path: "/", ARN: "arn:aws:iam::333333333333:user/rahul", Details: state.LoginProfile},
			"deployer": managed("deployer", nil, map[string]string{"roster:owner": "platform"}),
			"dave":     managed("dave", nil, nil),
			"legacy":   {Name: "legacy", Path: "/", ARN: "arn:aws:iam::333333333333:user/legacy"},
		},
	}
	live.Users["alice"].LoginProfile = true
	return drift.Build(cfg, env, plan.Diff(cfg, env, live, driftNow))
}

// text builds a drift.Text from alternating words and literals.
func text(parts ...string) drift.Text {
	var t drift.Text
	for i, p := range parts {
		t = append(t, drift.Span{Text: p, Code: i%2 == 1})
	}
	return t
}

// driftHostile holds strings that try to break out of every construct the
// Markdown uses: table cells, code spans, HTML comments, mentions.
func driftHostile() *drift.Report {
	r := &drift.Report{
		Environment: "production",
		AccountID:   "444444444444",
		Production:  true,
		Refused:     "This plan deletes 9 users | <b>boom</b> @security-team",
		Notes:       []string{"group \"ops\" has member \"x\n## injected\", <script>alert(1)</script>"},
	}
	r.Add(
		drift.Finding{
			ID: "changed/user/eve/tag/x/differs/1", Kind: drift.Changed, Severity: drift.High,
			SubjectKind: plan.KindUser, Subject: "eve@example.com",
			Summary: text("tag ", "a|b", " is ", "`rm -rf`", " in AWS but ", "<img src=x onerror=alert(1)>", " in the manifests"),
			Restore: text("run apply to set it back, cc ", "@octocat", " and #1"),
			Accept:  text("set ", "x: --> <!-- ", " in ", "access/production/people.yaml:3"),
		},
		drift.Finding{
			ID: "unmanaged/user/@admins", Kind: drift.Unmanaged, Severity: drift.High,
			SubjectKind: plan.KindUser, Subject: "@admins\u202e",
			Summary: text("user ", "@admins", " exists"),
			Accept:  text("add it to ", "unmanaged.ignore"),
		},
	)
	return r
}

func driftNone() *drift.Report {
	r := &drift.Report{Environment: "testing", AccountID: "222222222222"}
	r.Add()
	return r
}

func TestDriftGolden(t *testing.T) {
	t.Parallel()
	reports := []struct {
		name   string
		report func(*testing.T) *drift.Report
	}{
		{"full", driftFull},
		{"hostile", func(*testing.T) *drift.Report { return driftHostile() }},
		{"none", func(*testing.T) *drift.Report { return driftNone() }},
		{"organization", func(*testing.T) *drift.Report { return driftOrganization() }},
	}
	for _, r := range reports {
		formats := []struct {
			ext    string
			render func(*bytes.Buffer, *drift.Report) error
		}{
			{"txt", func(b *bytes.Buffer, r *drift.Report) error { return DriftText(b, []*drift.Report{r}) }},
			{"md", func(b *bytes.Buffer, r *drift.Report) error { return DriftMarkdown(b, r, driftOpts) }},
			{"json", func(b *bytes.Buffer, r *drift.Report) error { return DriftJSON(b, []*drift.Report{r}) }},
		}
		for _, f := range formats {
			t.Run(r.name+"."+f.ext, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := f.render(&buf, r.report(t)); err != nil {
					t.Fatal(err)
				}
				golden.File(t, "drift-"+r.name+"."+f.ext+".golden", buf.Bytes())
			})
		}
	}
}

// driftOrganization is an organization report with one finding of each
// account kind and a note, built by drift.BuildOrganization from what
// awsiam reads; names come from AWS, so one is hostile.
func driftOrganization() *drift.Report {
	org := &manifest.Organization{ManagementRoleARN: "arn:aws:iam::999999999999:role/roster-organization-read", AccountID: "999999999999"}
	envs := []*manifest.Environment{
		{Name: "development", AccountID: "111111111111", Pos: diag.Pos{File: "access/development/environment.yaml", Line: 1}},
		{Name: "legacy", AccountID: "555555555555", Pos: diag.Pos{File: "access/legacy/environment.yaml", Line: 1}},
		{Name: "old-prod", AccountID: "444444444444", Pos: diag.Pos{File: "access/old-prod/environment.yaml", Line: 1}},
	}
	accounts := []state.OrgAccount{
		{ID: "999999999999", Name: "management", State: "ACTIVE", Unread: "no role roster-plan it may assume"},
		{ID: "111111111111", Name: "development", State: "ACTIVE"},
		{ID: "222222222222", Name: "sandbox | <b>x</b>", State: "ACTIVE", Inventoried: true,
			Users: []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7"}},
		{ID: "333333333333", Name: "quiet", State: "ACTIVE", Inventoried: true},
		{ID: "444444444444", Name: "old-prod", State: "PENDING_CLOSURE"},
	}
	return drift.BuildOrganization(org, envs, accounts, nil)
}

// TestDriftTextTotals: several environments end with one total line.
func TestDriftTextTotals(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := DriftText(&buf, []*drift.Report{driftFull(t), driftNone(), driftHostile()}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := "Drift: 11 findings in 2 environments (4 high, 6 medium, 1 low)."
	if got := lines[len(lines)-1]; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
}

// TestDriftMarkdownInert: nothing from a report can add HTML, notify
// anyone, split a table row or end the hidden blocks early.
func TestDriftMarkdownInert(t *testing.T) {
	t.Parallel()
	r := driftHostile()
	var buf bytes.Buffer
	if err := DriftMarkdown(&buf, r, DriftOptions{}); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	// The state block is an HTML comment whose JSON escapes "<", ">" and
	// "&" (drift.EncodeState): it shows nothing, so only what is above it
	// must be inert.
	visible := body[:strings.LastIndex(body, "<!-- roster:drift-state ")]
	for _, bad := range []string{"<img", "<script", "<b>", "@octocat", "@admins", "@security", "\n## injected", "\u202e", "<!-- \n"} {
		if strings.Contains(visible, bad) {
			t.Errorf("body contains %q:\n%s", bad, visible)
		}
	}
	if n := strings.Count(body, "-->"); n != 2 { // the marker and the state block
		t.Errorf("body has %d comment ends, want 2:\n%s", n, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| :--") || strings.HasPrefix(line, "| Severity") {
			continue
		}
		// A row of the findings table has 5 cells, of the unmanaged table 3;
		// an unescaped "|" would add one.
		cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
		if cells != 5 && cells != 3 {
			t.Errorf("row has %d cells: %s", cells, line)
		}
	}
	if !IsDriftIssue(body, "production") || IsDriftIssue(body, "staging") {
		t.Error("IsDriftIssue does not recognise the body's environment")
	}
}

// TestDriftMarkdownState: the issue body carries the findings so the next
// run can tell what changed.
func TestDriftMarkdownState(t *testing.T) {
	t.Parallel()
	r := driftFull(t)
	var buf bytes.Buffer
	if err := DriftMarkdown(&buf, r, driftOpts); err != nil {
		t.Fatal(err)
	}
	got, err := drift.DecodeState(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(drift.StateOf(r), got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if drift.Compare(got, r).Changed() {
		t.Error("the same report compared with its own issue body shows changes")
	}
}

// TestDriftMarkdownMaxLength: an account with thousands of unmanaged users
// still fits in one issue body, which keeps its marker and a state the next
// run can compare with.
func TestDriftMarkdownMaxLength(t *testing.T) {
	t.Parallel()
	r := &drift.Report{Environment: "production", AccountID: "444444444444", Production: true}
	for i := range 3000 {
		name := fmt.Sprintf("legacy-user-%04d", i)
		r.Add(drift.Finding{
			ID: "unmanaged/user/" + name, Kind: drift.Unmanaged, Severity: drift.High,
			SubjectKind: plan.KindUser, Subject: name,
			Summary: text("user ", name, " exists in AWS, but no manifest declares it"),
			Accept:  text("add it to ", "unmanaged.ignore", " in ", "access/production/environment.yaml"),
		})
	}
	for _, limit := range []int{GitHubCommentLimit, 20000} {
		var buf bytes.Buffer
		if err := DriftMarkdown(&buf, r, DriftOptions{MaxLength: limit, RunURL: "https://github.com/acme/access/actions/runs/7"}); err != nil {
			t.Fatal(err)
		}
		body := buf.String()
		if len(body) > limit {
			t.Errorf("limit %d: body is %d bytes", limit, len(body))
		}
		if !IsDriftIssue(body, "production") {
			t.Errorf("limit %d: body lost its marker", limit)
		}
		if !strings.Contains(body, "was cut short") || !strings.Contains(body, "(https://github.com/acme/access/actions/runs/7)") {
			t.Errorf("limit %d: body does not say it was cut short and where to find the rest", limit)
		}
		st, err := drift.DecodeState(body)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if d := drift.Compare(st, r); d.Changed() {
			t.Errorf("limit %d: the next run would see changes: +%d -%d", limit, len(d.Added), d.ResolvedCount())
		}
	}
}

func TestDriftChangesMarkdown(t *testing.T) {
	t.Parallel()
	full := driftFull(t)
	prev := drift.StateOf(full)
	prev.Findings = append(prev.Findings[1:], "extra/user/mallory", "changed/user/x/tag/<b>@team</b>/live-only/1")
	prev.Fingerprint = drift.Fingerprint(prev.Findings)
	tests := []struct {
		name string
		prev *drift.State
	}{
		{"changes", prev},
		{"changes-compact", prev.Compacted()},
		{"unchanged", drift.StateOf(full)},
		{"changes-unknown", prev.FingerprintOnly()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := DriftChangesMarkdown(&buf, "staging", drift.Compare(tc.prev, full), driftOpts); err != nil {
				t.Fatal(err)
			}
			golden.File(t, "drift-"+tc.name+".md.golden", buf.Bytes())
		})
	}
}

// TestDriftJSONShape: the documented fields are present for every finding.
func TestDriftJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := DriftJSON(&buf, []*drift.Report{driftFull(t), driftNone()}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Counts        map[string]int
		Environments  []struct {
			Name        string
			Fingerprint string
			Notes       []string
			Findings    []map[string]any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != DriftFormatVersion || len(doc.Environments) != 2 {
		t.Fatalf("format_version %q with %d environments", doc.FormatVersion, len(doc.Environments))
	}
	if doc.Counts["findings"] != doc.Counts["high"]+doc.Counts["medium"]+doc.Counts["low"] || doc.Counts["findings"] == 0 {
		t.Errorf("counts do not add up: %v", doc.Counts)
	}
	if doc.Environments[1].Notes == nil || doc.Environments[1].Findings == nil {
		t.Error("empty lists are not []")
	}
	for _, f := range doc.Environments[0].Findings {
		for _, k := range []string{"id", "kind", "severity", "subject_kind", "subject", "summary", "resolutions"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %v lacks %q", f["id"], k)
			}
		}
	}
}
