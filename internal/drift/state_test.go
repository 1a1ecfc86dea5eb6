package drift_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/plan"
)

// report builds a report holding findings with the given IDs.
func report(ids ...string) *drift.Report {
	r := &drift.Report{Environment: "production"}
	for _, id := range ids {
		kind, sk, subject, _ := drift.ParseID(id)
		r.Add(drift.Finding{ID: id, Kind: kind, SubjectKind: plan.Kind(sk), Subject: subject, Severity: drift.Medium})
	}
	return r
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	// Stable across runs: the same live state gives the same fingerprint.
	first, second := exampleReports(t), exampleReports(t)
	for i := range first {
		if first[i].Fingerprint != second[i].Fingerprint {
			t.Errorf("%s: fingerprint changed between two runs: %s, %s", first[i].Environment, first[i].Fingerprint, second[i].Fingerprint)
		}
		if first[i].Fingerprint != drift.Fingerprint(first[i].IDs()) {
			t.Errorf("%s: Fingerprint is not the fingerprint of its IDs", first[i].Environment)
		}
	}
	// Pinned, so a change to how IDs are built is a conscious one.
	if got, want := first[1].Fingerprint, "sha256:c5e2953c6f299a648d1ca3bb24b597eb2f671879d5d7f851c9e22106bab67428"; got != want {
		t.Errorf("testing fingerprint = %s, want %s", got, want)
	}

	tests := []struct {
		name string
		a, b []string
		same bool
	}{
		{"order does not matter", []string{"x", "y"}, []string{"y", "x"}, true},
		{"duplicates do not matter", []string{"x", "y"}, []string{"x", "y", "x"}, true},
		{"a finding more", []string{"x"}, []string{"x", "y"}, false},
		{"a finding changed", []string{"changed/user/a/tag/team/differs/1"}, []string{"changed/user/a/tag/team/differs/2"}, false},
		{"no boundary confusion", []string{"ab", "c"}, []string{"a", "bc"}, false},
		{"empty is not nothing", []string{}, []string{""}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if same := drift.Fingerprint(tc.a) == drift.Fingerprint(tc.b); same != tc.same {
				t.Errorf("Fingerprint(%q) == Fingerprint(%q) is %v, want %v", tc.a, tc.b, same, tc.same)
			}
		})
	}
}

// TestFingerprintFollowsFindings: a drift that changes (the same tag edited
// to another value) changes the fingerprint; the same drift keeps it.
func TestFingerprintFollowsFindings(t *testing.T) {
	t.Parallel()
	fp := func(team string) string {
		cfg, env, live := baseline()
		live.Users["alice"].Tags["team"] = team
		return drift.Build(cfg, env, plan.Diff(cfg, env, live, now)).Fingerprint
	}
	if first, again := fp("search"), fp("search"); first != again {
		t.Error("the same drift has two fingerprints")
	}
	if fp("search") == fp("risk") {
		t.Error("a tag edited to another value keeps the fingerprint")
	}
	if fp("payments") == fp("search") {
		t.Error("no drift and drift share a fingerprint")
	}
}

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range append(exampleReports(t), report(), report(`changed/user/x/tag/k-->"<b>&/live-only/1`)) {
		for _, form := range []func(*drift.State) *drift.State{
			func(s *drift.State) *drift.State { return s },
			(*drift.State).Compacted,
			(*drift.State).FingerprintOnly,
		} {
			st := form(drift.StateOf(r))
			block, err := drift.EncodeState(st)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(block, "-->") != 1 || strings.Contains(block, "<b>") {
				t.Errorf("block can be broken out of: %s", block)
			}
			body := "<!-- roster:drift env=x -->\n## report\n\n" + block
			got, err := drift.DecodeState(body)
			if err != nil {
				t.Fatalf("%s: DecodeState: %v\n%s", r.Environment, err, body)
			}
			if diff := cmp.Diff(st, got); diff != "" {
				t.Errorf("%s: state (-want +got):\n%s", r.Environment, diff)
			}
		}
	}
}

func TestDecodeStateRefuses(t *testing.T) {
	t.Parallel()
	block, err := drift.EncodeState(drift.StateOf(report("extra/user/dave")))
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(block, `"findings":["extra/user/dave"]`, `"findings":[]`, 1)
	tests := []struct {
		name string
		body string
	}{
		{"no block", "## drift\n"},
		{"block not at the end", block + "\nmore text from someone\n"},
		{"findings removed, fingerprint kept", forged},
		{"reformatted", strings.Replace(block, `{"environment"`, `{ "environment"`, 1)},
		{"not JSON", "<!-- roster:drift-state nope -->"},
		{"empty", ""},
		{"compact with bad hashes", `<!-- roster:drift-state {"environment":"x","fingerprint":"f","findings":[],"hashes":"AAAA","compact":true} -->`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := drift.DecodeState(tc.body); !errors.Is(err, drift.ErrNoState) {
				t.Errorf("DecodeState = %v, want ErrNoState", err)
			}
		})
	}
	// A copy of the block inside the body is not read; the last one is.
	hostile := "user name: " + strings.TrimSpace(block) + "\n\n" + mustEncode(t, report("missing/user/bob"))
	got, err := drift.DecodeState(hostile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"missing/user/bob"}, got.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func mustEncode(t *testing.T, r *drift.Report) string {
	t.Helper()
	s, err := drift.EncodeState(drift.StateOf(r))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompare(t *testing.T) {
	t.Parallel()
	type delta struct {
		Added    []string
		Resolved []string
		Unnamed  int
		Unknown  bool
		Changed  bool
	}
	ids := func(fs []drift.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	tests := []struct {
		name    string
		prev    *drift.State
		cur     *drift.Report
		want    delta
		compact bool
	}{
		{
			name: "first run: everything is new",
			cur:  report("extra/user/dave", "missing/user/bob"),
			want: delta{Added: []string{"missing/user/bob", "extra/user/dave"}, Changed: true}, // by subject
		},
		{
			name: "same findings",
			prev: drift.StateOf(report("extra/user/dave", "missing/user/bob")),
			cur:  report("missing/user/bob", "extra/user/dave"),
		},
		{
			name: "two new, one resolved",
			prev: drift.StateOf(report("extra/user/dave", "missing/user/bob")),
			cur:  report("missing/user/bob", "unmanaged/user/legacy", "adoptable/user/rahul"),
			want: delta{Added: []string{"unmanaged/user/legacy", "adoptable/user/rahul"}, Resolved: []string{"extra/user/dave"}, Changed: true},
		},
		{
			name: "drift gone",
			prev: drift.StateOf(report("extra/user/dave")),
			cur:  report(),
			want: delta{Resolved: []string{"extra/user/dave"}, Changed: true},
		},
		{
			name: "earlier state with only its fingerprint, unchanged",
			prev: drift.StateOf(report("extra/user/dave", "missing/user/bob")).FingerprintOnly(),
			cur:  report("missing/user/bob", "extra/user/dave"),
		},
		{
			name: "earlier state with only its fingerprint, changed",
			prev: drift.StateOf(report("extra/user/dave")).FingerprintOnly(),
			cur:  report("missing/user/bob"),
			want: delta{Unknown: true, Changed: true},
		},
		{
			name: "compact earlier state without findings",
			prev: drift.StateOf(report()).Compacted(),
			cur:  report("missing/user/bob"),
			want: delta{Added: []string{"missing/user/bob"}, Changed: true},
		},
		{
			name: "compact earlier state",
			prev: drift.StateOf(report("extra/user/dave", "missing/user/bob")).Compacted(),
			cur:  report("missing/user/bob", "unmanaged/user/legacy"),
			want: delta{Added: []string{"unmanaged/user/legacy"}, Unnamed: 1, Changed: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := drift.Compare(tc.prev, tc.cur)
			got := delta{Added: ids(d.Added), Resolved: d.Resolved, Unnamed: d.ResolvedUnnamed, Unknown: d.Unknown, Changed: d.Changed()}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Compare (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAdd: hygiene findings added later keep the order and the fingerprint
// right, and a finding is never counted twice.
func TestAdd(t *testing.T) {
	t.Parallel()
	r := report("missing/user/bob")
	r.Add(drift.Finding{ID: "hygiene/user/alice/old-key", Kind: "access-key-age", Severity: drift.High, Subject: "alice"},
		drift.Finding{ID: "missing/user/bob", Severity: drift.Medium, Subject: "bob"})
	if diff := cmp.Diff([]string{"hygiene/user/alice/old-key", "missing/user/bob"}, []string{r.Findings[0].ID, r.Findings[1].ID}); diff != "" || len(r.Findings) != 2 {
		t.Errorf("findings after Add (-want +got):\n%s (%d findings)", diff, len(r.Findings))
	}
	if r.Fingerprint != drift.Fingerprint([]string{"missing/user/bob", "hygiene/user/alice/old-key"}) {
		t.Error("Add left a stale fingerprint")
	}
	if diff := cmp.Diff(map[drift.Severity]int{drift.High: 1, drift.Medium: 1, drift.Low: 0}, r.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

// TestSentence: literals stay apart from words, so every renderer can quote
// them its own way.
func TestSentence(t *testing.T) {
	t.Parallel()
	got := drift.Sentence(drift.Words("add "), drift.Words(""), drift.Code("a|b"), drift.Words(" to "), drift.Words("tags"))
	want := drift.Text{{Text: "add "}, {Text: "a|b", Code: true}, {Text: " to tags"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sentence (-want +got):\n%s", diff)
	}
	if got.String() != "add `a|b` to tags" {
		t.Errorf("String() = %q", got.String())
	}
}
