package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/plan"
)

var (
	devDigest = "sha256:" + strings.Repeat("d", 64)
	prdDigest = "sha256:" + strings.Repeat("e", 64)
)

// applyReport renders ApplyReport or fails the test.
func applyReport(t *testing.T, r *apply.Result, o ApplyReportOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := ApplyReport(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A first attempt applies development and production is refused; the
// re-run carries development over and applies production. The record
// names both, and development's row and section are the first attempt's.
func TestApplyReportCarriesEnvironments(t *testing.T) {
	t.Parallel()
	createAlice := changeResult(plan.Create, plan.KindUser, "alice", done(plan.Op{Type: plan.OpCreateUser, User: "alice", Path: "/"}))
	first := applyReport(t, &apply.Result{Environments: []*apply.EnvironmentResult{
		{Name: "development", AccountID: "111111111111", Status: apply.EnvApplied, Digest: devDigest, Changes: []apply.ChangeResult{createAlice}},
		{Name: "production", AccountID: "222222222222", Status: apply.EnvRefused, Digest: "sha256:" + strings.Repeat("f", 64), Reason: "the plan differs"},
	}}, ApplyReportOptions{RunURL: "https://github.example/o/r/actions/runs/1"})
	if diff := cmp.Diff(map[string]Applied{"development": {Digest: devDigest, Run: "https://github.example/o/r/actions/runs/1"}}, ParseApplied(first)); diff != "" {
		t.Errorf("record of the first attempt (-want +got):\n%s", diff)
	}

	again := applyReport(t, &apply.Result{Environments: []*apply.EnvironmentResult{
		{Name: "development", AccountID: "111111111111", Status: apply.EnvApplied, Digest: "sha256:" + strings.Repeat("0", 64), Reason: "applied by an earlier run"},
		{Name: "production", AccountID: "222222222222", Status: apply.EnvApplied, Digest: prdDigest, Changes: []apply.ChangeResult{createAlice}},
	}}, ApplyReportOptions{Earlier: first, Carried: []string{"development"}, RunURL: "https://github.example/o/r/actions/runs/1"})
	want := map[string]Applied{
		"development": {Digest: devDigest, Run: "https://github.example/o/r/actions/runs/1"},
		"production":  {Digest: prdDigest, Run: "https://github.example/o/r/actions/runs/1"},
	}
	if diff := cmp.Diff(want, ParseApplied(again)); diff != "" {
		t.Errorf("record of the re-run (-want +got):\n%s", diff)
	}
	for _, part := range []func(string, string) string{applyRow, applySection} {
		if was, now := part(first, "development"), part(again, "development"); was == "" || was != now {
			t.Errorf("development's part of the report changed:\nfirst: %q\nre-run: %q", was, now)
		}
	}
	if strings.Contains(again, "earlier run") {
		t.Errorf("the re-run's own words for development replaced the first attempt's:\n%s", again)
	}
}

// Only a record in exactly roster's form, right under the marker, is read.
func TestParseAppliedRefusesEdits(t *testing.T) {
	t.Parallel()
	good := ApplyMarker + "\n" + `<!-- roster:applied {"development":{"digest":"` + devDigest + `"}} -->` + "\n## roster apply\n"
	if got := ParseApplied(good); got["development"].Digest != devDigest {
		t.Fatalf("the record roster writes is not read: %v", got)
	}
	for name, body := range map[string]string{
		"no marker":        strings.TrimPrefix(good, ApplyMarker+"\n"),
		"not right under":  ApplyMarker + "\n## roster apply\n" + strings.TrimPrefix(good, ApplyMarker+"\n"),
		"spaced JSON":      strings.Replace(good, `{"development":`, `{ "development":`, 1),
		"unknown field":    strings.Replace(good, `"}}`, `","by":"me"}}`, 1),
		"not a digest":     strings.Replace(good, devDigest, "sha256:abc", 1),
		"bad name":         strings.Replace(good, `"development"`, `"Dev elopment"`, 1),
		"comment ends":     strings.Replace(good, devDigest+`"`, devDigest+`","run":"-->"`, 1),
		"empty":            ApplyMarker + "\n" + "<!-- roster:applied null -->\n",
		"another report":   "<!-- roster:plan -->\n" + strings.TrimPrefix(good, ApplyMarker+"\n"),
		"marker elsewhere": "x\n" + good,
	} {
		if got := ParseApplied(body); got != nil {
			t.Errorf("%s: ParseApplied = %v, want nil", name, got)
		}
	}
}
