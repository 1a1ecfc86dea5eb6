package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/pgpkey"
	"github.com/roster-dev/roster/internal/plan"
)

type renderFunc func(*bytes.Buffer, *plan.Plan) error

var formats = []struct {
	ext    string
	render renderFunc
}{
	{"txt", func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p) }},
	{"md", func(b *bytes.Buffer, p *plan.Plan) error {
		return Markdown(b, p, MarkdownOptions{
			Footer:     "Updated for abc1234",
			SummaryURL: "https://github.com/acme/access/actions/runs/42",
		})
	}},
	{"json", func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	plans := []struct {
		name string
		plan func(t *testing.T) *plan.Plan
	}{
		{"full", fullPlan},
		{"quiet", func(*testing.T) *plan.Plan { return quietPlan() }},
		{"hostile", func(*testing.T) *plan.Plan { return hostilePlan() }},
		{"empty", func(*testing.T) *plan.Plan { return &plan.Plan{} }},
		{"timebound", func(*testing.T) *plan.Plan { return timeBoundPlan() }},
	}
	for _, p := range plans {
		for _, f := range formats {
			t.Run(p.name+"."+f.ext, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := f.render(&buf, p.plan(t)); err != nil {
					t.Fatal(err)
				}
				golden.File(t, p.name+"."+f.ext+".golden", buf.Bytes())
			})
		}
	}
}

// TestNoPGPKeyInOutput: keys are long and nobody reviews them by reading
// base64; every format shows the fingerprint instead.
func TestNoPGPKeyInOutput(t *testing.T) {
	t.Parallel()
	p := fullPlan(t)
	keys := []string{readKey(t, "alice.asc"), readKey(t, "carol.b64")}
	for _, f := range formats {
		t.Run(f.ext, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := f.render(&buf, p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if strings.Contains(out, "PGP PUBLIC KEY BLOCK") {
				t.Errorf("output contains an armored key")
			}
			for _, key := range keys {
				for _, line := range strings.Split(key, "\n") {
					if len(line) >= 20 && strings.Contains(out, line) {
						t.Errorf("output contains key material %q", line)
					}
				}
			}
			for _, fp := range []string{aliceFingerprint, carolFingerprint} {
				if !strings.Contains(out, fp) {
					t.Errorf("output lacks fingerprint %s", fp)
				}
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, want string
	}{
		{"armored", readKey(t, "alice.asc"), aliceFingerprint},
		{"base64 binary", readKey(t, "carol.b64"), carolFingerprint},
		{"base64 wrapped over lines", wrap(readKey(t, "carol.b64"), 64), carolFingerprint},
		{"not a key", "mQINBFnotakey", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, pgpkey.Fingerprint(tt.key)); diff != "" {
				t.Errorf("Fingerprint (-want +got):\n%s", diff)
			}
		})
	}
}

func wrap(s string, n int) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	return b.String() + s
}

// TestUnreadableKey: a key that does not parse is neither printed nor
// fatal.
func TestUnreadableKey(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Environments: []*plan.Environment{env(&plan.Environment{
		Name: "development", AccountID: "111122223333",
		Changes: []plan.Change{{
			Action: plan.Create, Kind: plan.KindUser, Name: "zed",
			After: &plan.Resource{Path: "/", Console: true},
			Ops: []plan.Op{
				{Type: plan.OpCreateUser, User: "zed", Path: "/"},
				{Type: plan.OpCreateLoginProfile, User: "zed", PGPKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nsecretish\n-----END PGP PUBLIC KEY BLOCK-----"},
			},
		}},
	})}}
	var buf bytes.Buffer
	if err := Text(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "+ console access, initial password encrypted to PGP key (key)") {
		t.Errorf("text output does not say (key):\n%s", buf.String())
	}
	for _, f := range formats {
		buf.Reset()
		if err := f.render(&buf, p); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "secretish") {
			t.Errorf("%s output contains the key:\n%s", f.ext, buf.String())
		}
	}
}

func TestTextSummaryLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		plan func(*testing.T) *plan.Plan
		want string
	}{
		{"changes", fullPlan, "Plan: 2 to add, 2 to change, 4 to destroy, 1 to adopt.\n" +
			"Refused: staging. Nothing is applied there until the plan passes its guardrails.\n"},
		{"no changes", func(*testing.T) *plan.Plan { return quietPlan() }, "No changes. Live IAM matches the repository.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Text(&buf, tt.plan(t)); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.HasSuffix(out, "\n\n"+tt.want) {
				t.Errorf("text output does not end with a blank line and %q:\n%s", tt.want, out)
			}
		})
	}
}

// TestNilPlan: a nil plan renders as an empty one.
func TestNilPlan(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		var got, want bytes.Buffer
		if err := f.render(&got, nil); err != nil {
			t.Fatalf("%s: %v", f.ext, err)
		}
		if err := f.render(&want, &plan.Plan{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s of a nil plan (-want +got):\n%s", f.ext, diff)
		}
	}
}

// A pull request's plan marks every grant whose end it moves, in the text
// and in the comment (kept by the compact comment too), and says so when
// the base branch could not be read.
func TestGoldenEnds(t *testing.T) {
	t.Parallel()
	unavailable := func() *plan.Plan {
		p := timeBoundPlan()
		p.BaseUnavailable = "read access/production at 1a2b3c4: " + hostileHTML + hostileMention
		return p
	}
	plans := []struct {
		name string
		plan func() *plan.Plan
	}{{"ends", endsPlan}, {"ends-unavailable", unavailable}}
	for _, p := range plans {
		for _, f := range formats {
			t.Run(p.name+"."+f.ext, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := f.render(&buf, p.plan()); err != nil {
					t.Fatal(err)
				}
				golden.File(t, p.name+"."+f.ext+".golden", buf.Bytes())
			})
		}
	}
	var compact bytes.Buffer
	if err := Markdown(&compact, endsPlan(), MarkdownOptions{MaxLength: 1300}); err != nil {
		t.Fatal(err)
	}
	if s := compact.String(); !strings.Contains(s, "Details for each environment are left out") || !strings.Contains(s, "extends user **alice** in group **prod\\-operators** until 2026-12-03 22:00 UTC (was 2026-12-03 18:00 UTC)") {
		t.Errorf("the compact comment lost the extension:\n%s", s)
	}
}
