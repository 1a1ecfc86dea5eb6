package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/plan"
)

// TestJSONRoundTrip: JSON → ReadJSON → JSON is byte for byte the same, so
// merging plans from several jobs loses nothing.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	plans := map[string]*plan.Plan{
		"full":      fullPlan(t),
		"quiet":     quietPlan(),
		"hostile":   hostilePlan(),
		"empty":     {},
		"timebound": timeBoundPlan(),
		"ends":      endsPlan(),
		"ends-unavailable": func() *plan.Plan {
			p := timeBoundPlan()
			p.BaseUnavailable = "read access/production at 1a2b3c4: 404"
			return p
		}(),
	}
	for name, p := range plans {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var first, second bytes.Buffer
			if err := JSON(&first, p); err != nil {
				t.Fatal(err)
			}
			read, err := ReadJSON(bytes.NewReader(first.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := JSON(&second, read); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first.String(), second.String()); diff != "" {
				t.Errorf("JSON after ReadJSON (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadJSONRerender: a plan read back from JSON renders the same comment
// and text as the plan itself, fingerprints included, which is what the
// Action needs to merge matrix jobs into one comment.
func TestReadJSONRerender(t *testing.T) {
	t.Parallel()
	p := fullPlan(t)
	read := readBack(t, p)
	opts := MarkdownOptions{Footer: "Updated for abc1234"}
	if diff := cmp.Diff(markdownString(t, p, opts), markdownString(t, read, opts)); diff != "" {
		t.Errorf("Markdown of the plan read back (-want +got):\n%s", diff)
	}
	var want, got bytes.Buffer
	if err := Text(&want, p); err != nil {
		t.Fatal(err)
	}
	if err := Text(&got, read); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("text of the plan read back (-want +got):\n%s", diff)
	}
	for i, e := range read.Environments {
		if e.Digest != p.Environments[i].Digest {
			t.Errorf("environment %s: digest %q, want %q", e.Name, e.Digest, p.Environments[i].Digest)
		}
	}
}

func TestReadJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr error // nil: any error
		wantOK  bool
	}{
		{name: "future minor version with new fields", in: `{"format_version":"1.7","new_field":true,"environments":[{"name":"development","account_id":"111122223333","digest":"sha256:x","changes":[],"risk":"low"}]}`, wantOK: true},
		{name: "next major version", in: `{"format_version":"2.0","environments":[]}`, wantErr: ErrFormatVersion},
		{name: "no version", in: `{"environments":[]}`, wantErr: ErrFormatVersion},
		{name: "version not a number", in: `{"format_version":"one","environments":[]}`, wantErr: ErrFormatVersion},
		{name: "not JSON", in: `Plan: 1 to add`},
		{name: "unknown action", in: `{"format_version":"1.0","environments":[{"name":"d","changes":[{"action":"explode","kind":"user","name":"x","ops":[]}]}]}`},
		{name: "environment without a name", in: `{"format_version":"1.0","environments":[{"account_id":"111122223333"}]}`},
		{name: "null environment", in: `{"format_version":"1.0","environments":[null]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadJSON(strings.NewReader(tt.in))
			switch {
			case tt.wantOK && err != nil:
				t.Fatalf("ReadJSON: %v", err)
			case tt.wantOK:
			case err == nil:
				t.Fatalf("ReadJSON succeeded, want an error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("ReadJSON error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestJSONShape pins what policy tools rely on: lists are lists even when
// empty, a missing before/after is null, and keys are replaced by
// fingerprints.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := JSON(&buf, fullPlan(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Counts        map[string]int
		Environments  []struct {
			Name     string
			Warnings []string
			Counts   map[string]int
			Changes  []struct {
				Action string
				Name   string
				Before *struct{ Groups []string }
				After  *struct{ Groups []string }
				Ops    []map[string]any
			}
			Unmanaged []struct{ Name, ARN string }
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != FormatVersion {
		t.Errorf("format_version = %q, want %q", doc.FormatVersion, FormatVersion)
	}
	wantTotals := map[string]int{"create": 2, "update": 2, "delete": 4, "adopt": 1, "operations": 36, "access_key_steps": 0}
	if diff := cmp.Diff(wantTotals, doc.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	testingEnv := doc.Environments[1]
	if testingEnv.Warnings == nil || testingEnv.Changes == nil || testingEnv.Unmanaged == nil {
		t.Errorf("empty lists of %s are not [] in JSON:\n%s", testingEnv.Name, buf.String())
	}
	create := doc.Environments[0].Changes[1]
	if create.Before != nil || create.After == nil || create.After.Groups == nil {
		t.Errorf("create of %s: before should be null and after.groups a list", create.Name)
	}
	var fingerprints []string
	for _, e := range doc.Environments {
		for _, ch := range e.Changes {
			for _, op := range ch.Ops {
				if _, ok := op["pgp_key"]; ok {
					t.Errorf("%s: an operation carries pgp_key", ch.Name)
				}
				if fp, ok := op["pgp_key_fingerprint"].(string); ok {
					fingerprints = append(fingerprints, fp)
				}
			}
		}
	}
	if diff := cmp.Diff([]string{aliceFingerprint, carolFingerprint}, fingerprints); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
}

// TestJSONDocumented: every field of the format and every operation type is
// described in docs/plan-json.md, so the documentation cannot fall behind.
func TestJSONDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/plan-json.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range []any{jsonPlan{}, jsonCounts{}, jsonEnvironment{}, jsonChange{}, jsonResource{}, jsonOp{}, jsonUnmanaged{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
	}
	for _, op := range plan.OpTypes {
		names = append(names, string(op))
	}
	for _, name := range names {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/plan-json.md does not document `%s`", name)
		}
	}
	if !strings.Contains(string(doc), "`"+FormatVersion+"`") {
		t.Errorf("docs/plan-json.md does not name the current format version %s", FormatVersion)
	}
}

// A plan whose only effect is access key steps keeps them when read back
// from JSON, as the Action's matrix merge does: it still has changes, and
// its comment and text count the steps instead of saying "No changes".
func TestReadJSONKeepsAccessKeySteps(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Environments: []*plan.Environment{{
		Name: "development", AccountID: "111122223333", Changes: []plan.Change{},
		AccessKeys: []plan.AccessKey{{
			ServiceAccount: "ci-deployer", DeliverTo: "secretsmanager", SecretName: "roster/ci-deployer",
			Destination: "Secrets Manager roster/ci-deployer", Summary: "deactivate old access key AKIAOLD of ci-deployer",
			Steps:    []plan.AccessKeyStep{{Action: "deactivate", KeyID: "AKIAOLD", Reason: "the new key AKIANEW was created 7 days ago (overlap_days 7)"}},
			Decision: keys.Decision{Steps: []keys.Step{{Action: keys.Deactivate, KeyID: "AKIAOLD"}}},
		}},
	}}}
	read := readBack(t, p)
	if !read.HasChanges() || read.Counts().KeySteps != 1 {
		t.Errorf("read back: HasChanges %v, %d key steps; want true, 1", read.HasChanges(), read.Counts().KeySteps)
	}
	var text bytes.Buffer
	if err := Text(&text, read); err != nil {
		t.Fatal(err)
	}
	if want := "Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 1 access key step.\n"; !strings.HasSuffix(text.String(), want) {
		t.Errorf("text ends %q, want %q", text.String(), want)
	}
	if diff := cmp.Diff(markdownString(t, p, MarkdownOptions{}), markdownString(t, read, MarkdownOptions{})); diff != "" {
		t.Errorf("Markdown of the plan read back (-want +got):\n%s", diff)
	}
}

// readBack is p written as JSON and read back, as the Action's matrix merge
// reads the plans of its jobs.
func readBack(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	var buf bytes.Buffer
	if err := JSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	read, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return read
}
