package drift

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/plan"
)

// Kind says what sort of difference a finding is. Credential hygiene
// findings have kinds of their own, declared in package hygiene.
type Kind string

// Kinds of findings.
const (
	// Changed: a managed user exists on both sides but an attribute differs.
	Changed Kind = "changed"
	// Missing: the manifests declare a user or group that AWS lacks.
	Missing Kind = "missing"
	// Extra: a managed user marked absent (or expired), or a group marked
	// absent, still exists in AWS.
	Extra Kind = "extra"
	// Undeclared: a user with the ownership tag that no manifest names.
	// roster never changes or deletes it; always high.
	Undeclared Kind = "undeclared"
	// Unmanaged: a user without the ownership tag that no manifest names
	// (and no unmanaged.ignore glob matches).
	Unmanaged Kind = "unmanaged"
	// Adoptable: a user the manifests declare exists in AWS without the
	// ownership tag; apply would adopt it.
	Adoptable Kind = "adoptable"
	// GroupChanged: a managed group's path or policies differ.
	GroupChanged Kind = "group-changed"
)

// Severity ranks findings; see the package documentation for how it is
// decided.
type Severity string

// Severities, most urgent first.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Severities lists every severity, most urgent first, for tallies and
// tables.
var Severities = []Severity{High, Medium, Low}

// rank orders severities: 0 is the most urgent.
func (s Severity) rank() int {
	switch s {
	case High:
		return 0
	case Medium:
		return 1
	case Low:
		return 2
	}
	return 3
}

// raise returns the next more urgent severity.
func (s Severity) raise() Severity {
	if s == Low {
		return Medium
	}
	return High
}

// Span is a piece of a sentence: plain words, or a literal (a name, an ARN,
// a YAML field or snippet) that renderers show as code.
type Span struct {
	Text string `json:"text"`
	Code bool   `json:"code,omitempty"`
}

// Text is a sentence made of spans, so that each renderer can escape plain
// words and literals the way its output needs.
type Text []Span

// String renders the sentence as plain text with literals in backticks.
func (t Text) String() string {
	var b strings.Builder
	for _, s := range t {
		if s.Code {
			b.WriteString("`" + s.Text + "`")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// Empty reports whether the sentence has no text.
func (t Text) Empty() bool { return len(t) == 0 }

// Words is a span of plain words, for building findings (hygiene checks
// build theirs with Words, Code and Sentence, as Build does).
func Words(s string) Span { return Span{Text: s} }

// Code is a span holding a literal: a name, an ARN, a YAML field or snippet,
// a file position.
func Code(s string) Span { return Span{Text: s, Code: true} }

// Sentence joins spans into a Text, dropping empty ones and merging
// neighbouring plain words.
func Sentence(spans ...Span) Text { return sentence(spans...) }

func words(s string) Span { return Words(s) }
func code(s string) Span  { return Code(s) }

func sentence(spans ...Span) Text {
	out := make(Text, 0, len(spans))
	for _, s := range spans {
		if s.Text == "" {
			continue
		}
		// Merge neighbouring plain words, so renderers see whole phrases.
		if n := len(out); n > 0 && !s.Code && !out[n-1].Code {
			out[n-1].Text += s.Text
			continue
		}
		out = append(out, s)
	}
	return out
}

// Finding is one difference between live IAM and the repository.
type Finding struct {
	// ID identifies the finding across runs: the same difference has the
	// same ID, and a different one (another policy, another tag value) a
	// different ID. It is built from the kind, the subject and the
	// attribute, never from the wording.
	ID       string
	Kind     Kind
	Severity Severity
	// SubjectKind and Subject name the user, service account or group.
	SubjectKind plan.Kind
	Subject     string
	// Summary says what differs, in one sentence.
	Summary Text
	// Restore says how to bring live IAM back to the repository's state;
	// empty when roster cannot (it never changes unmanaged users).
	Restore Text
	// Accept says how to change the manifests so they describe the live
	// state; empty when that would make no sense.
	Accept Text
	// Pos is the manifest entry the finding is about, when there is one.
	Pos diag.Pos
}

// FindingID builds a finding's ID (see Finding.ID): its kind, the subject's
// kind and name, and the parts that tell it apart from other findings of
// that kind on the subject, joined by "/".
func FindingID(k Kind, sk plan.Kind, subject string, parts ...string) string {
	return strings.Join(append([]string{string(k), string(sk), subject}, parts...), "/")
}

// restoredByApply are the kinds whose Restore is to apply the repository
// (the builder's restore); the others are restored by a person.
var restoredByApply = []Kind{Changed, Missing, Extra, Adoptable, GroupChanged}

// RestoredByApply reports whether applying the repository resolves f.
func (f Finding) RestoredByApply() bool { return slices.Contains(restoredByApply, f.Kind) }

// Report is the drift of one environment.
type Report struct {
	Environment string
	AccountID   string
	Production  bool
	// Organization marks the report on the AWS Organization itself
	// (BuildOrganization): Environment is manifest.OrganizationReport and
	// AccountID the management account.
	Organization bool
	// Findings, most severe first, then by subject and ID.
	Findings []Finding
	// Refused is the plan's guardrail refusal: while it stands, running
	// apply does not restore anything in this environment.
	Refused string
	// Notes are the plan's warnings: things roster noticed but does not
	// count as findings (for example unmanaged members of a managed group).
	Notes []string
	// Fingerprint identifies the set of finding IDs; see Fingerprint.
	Fingerprint string
}

// HasDrift reports whether the environment has any finding.
func (r *Report) HasDrift() bool { return len(r.Findings) > 0 }

// Counts tallies the findings by severity.
func (r *Report) Counts() map[Severity]int {
	c := map[Severity]int{High: 0, Medium: 0, Low: 0}
	for _, f := range r.Findings {
		c[f.Severity]++
	}
	return c
}

// IDs returns the finding IDs, sorted.
func (r *Report) IDs() []string {
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	slices.Sort(ids)
	return ids
}

// Add appends findings (hygiene checks add theirs after Build), keeps the
// report's order and updates its fingerprint. A finding whose ID is already
// present is dropped.
func (r *Report) Add(findings ...Finding) {
	seen := make(map[string]bool, len(r.Findings))
	for _, f := range r.Findings {
		seen[f.ID] = true
	}
	for _, f := range findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			r.Findings = append(r.Findings, f)
		}
	}
	sortFindings(r.Findings)
	r.Fingerprint = Fingerprint(r.IDs())
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.ID, b.ID),
		)
	})
}

// Fingerprint identifies a set of finding IDs: "sha256:" and the hex SHA-256
// of the sorted, de-duplicated IDs, one per line. It does not depend on the
// order of ids or on the wording of findings, so it changes exactly when a
// finding appears or goes away.
func Fingerprint(ids []string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
