package render

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/plan"
)

// DriftFormatVersion is the version of the drift JSON format
// (docs/drift-json.md), versioned like the plan format.
const DriftFormatVersion = "1.2"

// driftMarkerPrefix starts every drift issue body; DriftMarker completes it.
const driftMarkerPrefix = "<!-- roster:drift env="

// envNameUnsafe matches what may not appear in a marker's environment name.
// The loader only accepts [a-z0-9-] names; this keeps the marker a marker
// whatever it is given.
var envNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// DriftMarker is the hidden first line of an environment's drift issue, by
// which the Action finds the issue again to update it in place.
func DriftMarker(env string) string {
	return driftMarkerPrefix + envNameUnsafe.ReplaceAllString(env, "_") + " -->"
}

// IsDriftIssue reports whether body is the drift issue of env written by
// DriftMarkdown. Only the start of the body counts: text from manifests or
// AWS never gets there.
func IsDriftIssue(body, env string) bool {
	return strings.HasPrefix(body, DriftMarker(env)+"\n")
}

// DriftOptions adds what only the caller knows to a drift issue or comment.
// Every field is optional.
type DriftOptions struct {
	// Header is a line of Markdown under the title, written by roster (not
	// taken from manifests) and not escaped.
	Header string
	// Time is when live IAM was read; the zero time leaves it out.
	Time time.Time
	// RunURL links to the workflow run that checked. Only http and https
	// URLs are linked.
	RunURL string
	// MaxLength, when positive, is the longest body to return, in bytes
	// (GitHubCommentLimit for an issue body). A longer report first loses
	// its resolution column, then is cut short; the state block always
	// survives, compacted if need be.
	MaxLength int
}

// severityIcons mark severities in Markdown.
var severityIcons = map[drift.Severity]string{drift.High: "🔴", drift.Medium: "🟠", drift.Low: "🟡"}

// driftView is what the drift templates print: every string is already
// escaped for the output format.
type driftView struct {
	Marker     string
	Name       string
	AccountID  string
	Production bool
	// Organization marks the report on the AWS Organization itself.
	Organization bool
	Summary      string
	Refused      string
	// All holds every finding, most severe first; Findings, Hygiene and
	// Unmanaged split them for the Markdown tables.
	All         []driftFindingView
	Findings    []driftFindingView
	Hygiene     []driftFindingView
	Unmanaged   []driftFindingView
	Notes       []string
	Header      string
	Footer      string
	Compact     bool
	Fingerprint string
}

type driftFindingView struct {
	// Hygiene findings are resolved by a fix in AWS rather than a restore.
	Hygiene  bool
	Severity string
	Icon     string
	Kind     string
	Subject  string
	Summary  string
	Restore  string
	Accept   string
}

// textStyle renders a drift.Text for one output format.
type textStyle func(drift.Text) string

// mdText renders a sentence as inline Markdown: words escaped, literals as
// code spans when they can be one safely (codeSpanSafe), escaped words
// otherwise.
func mdText(t drift.Text) string {
	var b strings.Builder
	for _, s := range t {
		if s.Code && codeSpanSafe(s.Text) {
			b.WriteString("`" + s.Text + "`")
			continue
		}
		b.WriteString(EscapeMarkdown(s.Text))
	}
	return b.String()
}

// codeSpanSafe reports whether a literal can be a code span as it is: no
// backticks, pipes or backslashes (which would end the span or split a
// table cell), nothing GitHub might still treat as HTML, a mention or a
// reference, no invisible characters, and no edge spaces (which code spans
// strip).
func codeSpanSafe(s string) bool {
	return s != "" && strings.TrimSpace(s) == s &&
		!strings.ContainsAny(s, "`|\\<>&@#") && !strings.ContainsFunc(s, invisible)
}

// plainText renders a sentence for a terminal, literals in backticks.
func plainText(t drift.Text) string {
	var b strings.Builder
	for _, s := range t {
		if s.Code {
			b.WriteString("`" + CleanText(s.Text) + "`")
		} else {
			b.WriteString(CleanText(s.Text))
		}
	}
	return b.String()
}

func severityCounts(c map[drift.Severity]int) string {
	parts := make([]string, 0, len(drift.Severities))
	for _, s := range drift.Severities {
		parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
	}
	return strings.Join(parts, ", ")
}

func newDriftView(r *drift.Report, style textStyle, esc func(string) string, strong bool) *driftView {
	v := &driftView{
		Name:         esc(r.Environment),
		AccountID:    esc(r.AccountID),
		Production:   r.Production,
		Organization: r.Organization,
		Refused:      esc(r.Refused),
		Fingerprint:  r.Fingerprint,
	}
	for _, n := range r.Notes {
		v.Notes = append(v.Notes, esc(n))
	}
	for _, f := range r.Findings {
		fv := driftFindingView{
			Hygiene:  hygiene.Is(f.Kind),
			Severity: string(f.Severity),
			Icon:     severityIcons[f.Severity],
			Kind:     string(f.Kind),
			Subject:  f.SubjectKind.Noun() + " " + esc(f.Subject),
			Summary:  style(f.Summary),
			Restore:  style(f.Restore),
			Accept:   style(f.Accept),
		}
		v.All = append(v.All, fv)
		if strong {
			fv.Subject = f.SubjectKind.Noun() + " **" + esc(f.Subject) + "**"
		}
		switch {
		case f.Kind == drift.Unmanaged:
			v.Unmanaged = append(v.Unmanaged, fv)
		case hygiene.Is(f.Kind):
			v.Hygiene = append(v.Hygiene, fv)
		default:
			v.Findings = append(v.Findings, fv)
		}
	}
	n := len(r.Findings)
	if n > 0 {
		v.Summary = fmt.Sprintf("%s: %s", plural(n, "finding"), severityCounts(r.Counts()))
	}
	return v
}

// DriftText writes drift reports for a terminal: every environment with its
// findings, most severe first, each with how to restore or accept it, then a
// one-line total.
func DriftText(w io.Writer, reports []*drift.Report) error {
	type textView struct {
		Environments []*driftView
		Total        string
	}
	tv := textView{}
	total := map[drift.Severity]int{}
	n, envs := 0, 0
	for _, r := range reports {
		if r == nil {
			continue
		}
		tv.Environments = append(tv.Environments, newDriftView(r, plainText, CleanText, false))
		for s, c := range r.Counts() {
			total[s] += c
		}
		if r.HasDrift() {
			n += len(r.Findings)
			envs++
		}
	}
	if n > 0 {
		tv.Total = fmt.Sprintf("Drift: %s in %s (%s).", plural(n, "finding"), plural(envs, "environment"), severityCounts(total))
	}
	if err := templates.ExecuteTemplate(w, "drift.txt.tmpl", tv); err != nil {
		return fmt.Errorf("render drift as text: %w", err)
	}
	return nil
}

// DriftMarkdown writes the body of an environment's drift issue: the hidden
// marker (DriftMarker), a summary line, a table of findings by severity with
// how to resolve each, the unmanaged users, the plan's notes, when and by
// which run it was checked, and last a hidden block with the findings'
// state (drift.EncodeState) that the next run compares with
// (drift.DecodeState, drift.Compare). Every string from a manifest or AWS is
// escaped.
func DriftMarkdown(w io.Writer, r *drift.Report, opts DriftOptions) error {
	if r == nil {
		return fmt.Errorf("render drift issue: no report")
	}
	st := drift.StateOf(r)
	block, err := drift.EncodeState(st)
	if err != nil {
		return err
	}
	// The state may take a quarter of the body in full, half of it
	// compacted; beyond that only the fingerprint is kept.
	if opts.MaxLength > 0 && len(block) > opts.MaxLength/4 {
		if block, err = drift.EncodeState(st.Compacted()); err != nil {
			return err
		}
		if len(block) > opts.MaxLength/2 {
			if block, err = drift.EncodeState(st.FingerprintOnly()); err != nil {
				return err
			}
		}
	}
	v := newDriftView(r, mdText, EscapeMarkdown, true)
	v.Marker = DriftMarker(r.Environment)
	v.Header = trustedMarkdown(opts.Header)
	v.Footer = driftFooter(opts)
	body, err := executeDrift(v)
	if err != nil {
		return err
	}
	if opts.MaxLength > 0 && len(body)+len(block) > opts.MaxLength {
		v.Compact = true
		if body, err = executeDrift(v); err != nil {
			return err
		}
		if len(body)+len(block) > opts.MaxLength {
			note := "\n\n*The report is too long for an issue and was cut short.*"
			if u := safeURL(opts.RunURL); u != "" {
				note += " Run `roster drift` or see the [workflow run](" + u + ") for all of it."
			} else {
				note += " Run `roster drift` for all of it."
			}
			note += "\n\n"
			budget := opts.MaxLength - len(block) - len(note)
			if budget < len(v.Marker)+1 {
				return fmt.Errorf("render drift issue: MaxLength %d leaves no room for the report", opts.MaxLength)
			}
			cut := strings.LastIndexByte(body[:budget], '\n')
			if cut < len(v.Marker) {
				cut = len(v.Marker)
			}
			body = strings.TrimRight(body[:cut], "\n") + note
		}
	}
	_, err = io.WriteString(w, body+block)
	return err
}

func executeDrift(v *driftView) (string, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "drift.md.tmpl", v); err != nil {
		return "", fmt.Errorf("render drift as Markdown: %w", err)
	}
	return buf.String(), nil
}

// driftFooter is the small print: when, and by which run.
func driftFooter(opts DriftOptions) string {
	var parts []string
	if !opts.Time.IsZero() {
		parts = append(parts, "Checked "+opts.Time.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if u := safeURL(opts.RunURL); u != "" {
		parts = append(parts, "[workflow run]("+u+")")
	}
	return strings.Join(parts, " · ")
}

// DriftChangesMarkdown writes the short comment posted on a drift issue when
// its findings change: "+2 new, −1 resolved" and both lists.
//
// When the issue's earlier state kept only its fingerprint, the comment says
// that the findings changed without listing them.
func DriftChangesMarkdown(w io.Writer, env string, d drift.Delta, opts DriftOptions) error {
	type resolvedView struct {
		Subject string
		What    string
	}
	type changesView struct {
		Name           string
		Counts         string
		Added          []driftFindingView
		Resolved       []resolvedView
		Unnamed        int
		Footer         string
		Header         string
		NothingChanged bool
		Unknown        bool
	}
	v := changesView{
		Name:           EscapeMarkdown(env),
		Counts:         fmt.Sprintf("+%d new, −%d resolved", len(d.Added), d.ResolvedCount()),
		Unnamed:        d.ResolvedUnnamed,
		Footer:         driftFooter(opts),
		Header:         trustedMarkdown(opts.Header),
		NothingChanged: !d.Changed(),
		Unknown:        d.Unknown,
	}
	for _, f := range d.Added {
		v.Added = append(v.Added, driftFindingView{
			Severity: string(f.Severity),
			Icon:     severityIcons[f.Severity],
			Kind:     string(f.Kind),
			Subject:  f.SubjectKind.Noun() + " **" + EscapeMarkdown(f.Subject) + "**",
			Summary:  mdText(f.Summary),
		})
	}
	for _, id := range d.Resolved {
		kind, subjectKind, subject, rest := drift.ParseID(id)
		what := string(kind)
		if rest != "" {
			what += ": " + rest
		}
		v.Resolved = append(v.Resolved, resolvedView{
			Subject: plan.Kind(subjectKind).Noun() + " **" + EscapeMarkdown(subject) + "**",
			What:    mdText(drift.Text{{Text: what, Code: true}}),
		})
	}
	if err := templates.ExecuteTemplate(w, "drift-changes.md.tmpl", v); err != nil {
		return fmt.Errorf("render drift changes: %w", err)
	}
	return nil
}

// The types below are the drift JSON format (docs/drift-json.md), kept
// apart from package drift so that the documented format changes only on
// purpose.

type jsonDrift struct {
	FormatVersion string                  `json:"format_version"`
	Counts        jsonDriftCounts         `json:"counts"`
	Environments  []*jsonDriftEnvironment `json:"environments"`
}

type jsonDriftCounts struct {
	Findings int `json:"findings"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
}

type jsonDriftEnvironment struct {
	Name       string `json:"name"`
	AccountID  string `json:"account_id"`
	Production bool   `json:"production"`
	// Organization marks the report on the AWS Organization (since 1.2).
	Organization bool               `json:"organization,omitempty"`
	Fingerprint  string             `json:"fingerprint"`
	Refused      string             `json:"refused,omitempty"`
	Notes        []string           `json:"notes"`
	Counts       jsonDriftCounts    `json:"counts"`
	Findings     []jsonDriftFinding `json:"findings"`
}

type jsonDriftFinding struct {
	ID          string                `json:"id"`
	Kind        string                `json:"kind"`
	Severity    string                `json:"severity"`
	SubjectKind string                `json:"subject_kind"`
	Subject     string                `json:"subject"`
	Summary     string                `json:"summary"`
	Resolutions []jsonDriftResolution `json:"resolutions"`
	File        string                `json:"file,omitempty"`
	Line        int                   `json:"line,omitempty"`
}

type jsonDriftResolution struct {
	Way  string `json:"way"`
	Text string `json:"text"`
}

// driftCounts counts the findings of reports by severity.
func driftCounts(reports ...*drift.Report) jsonDriftCounts {
	var out jsonDriftCounts
	for _, r := range reports {
		if r == nil {
			continue
		}
		c := r.Counts()
		out.Findings += len(r.Findings)
		out.High += c[drift.High]
		out.Medium += c[drift.Medium]
		out.Low += c[drift.Low]
	}
	return out
}

// DriftJSON writes drift reports in their documented, versioned JSON form
// (docs/drift-json.md): every environment with its fingerprint, counts by
// severity, and findings with their resolutions.
func DriftJSON(w io.Writer, reports []*drift.Report) error {
	out := jsonDrift{FormatVersion: DriftFormatVersion, Environments: []*jsonDriftEnvironment{}}
	for _, r := range reports {
		if r == nil {
			continue
		}
		je := &jsonDriftEnvironment{
			Name:         r.Environment,
			AccountID:    r.AccountID,
			Production:   r.Production,
			Organization: r.Organization,
			Fingerprint:  r.Fingerprint,
			Refused:      r.Refused,
			Notes:        nonNil(r.Notes),
			Counts:       driftCounts(r),
			Findings:     []jsonDriftFinding{},
		}
		for _, f := range r.Findings {
			jf := jsonDriftFinding{
				ID:          f.ID,
				Kind:        string(f.Kind),
				Severity:    string(f.Severity),
				SubjectKind: string(f.SubjectKind),
				Subject:     f.Subject,
				Summary:     f.Summary.String(),
				Resolutions: []jsonDriftResolution{},
				File:        f.Pos.File,
				Line:        f.Pos.Line,
			}
			if !f.Restore.Empty() {
				way := "restore"
				if hygiene.Is(f.Kind) {
					way = "fix"
				}
				jf.Resolutions = append(jf.Resolutions, jsonDriftResolution{Way: way, Text: f.Restore.String()})
			}
			if !f.Accept.Empty() {
				jf.Resolutions = append(jf.Resolutions, jsonDriftResolution{Way: "accept", Text: f.Accept.String()})
			}
			je.Findings = append(je.Findings, jf)
		}
		out.Environments = append(out.Environments, je)
	}
	out.Counts = driftCounts(reports...)
	return writeJSON(w, "drift", out)
}
