package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Severity says whether a finding fails validation.
type Severity string

// Severities. Warnings never fail validation; errors always do.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Pos is a place in a file under the access directory. File is slash-separated
// and relative to the directory given to the loader's parent (for example
// "access/production/people.yaml"), so it can be used as-is in annotations.
// Line and Col are 1-based; zero means unknown.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Diagnostic is one finding. Rule is a stable identifier (for example
// "user-name-syntax") that tests and tooling can match on; Hint tells the
// user what to do next and may be empty.
type Diagnostic struct {
	Pos
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Message)
	if d.Hint != "" {
		s += " (hint: " + d.Hint + ")"
	}
	return s
}

// Annotation returns the properties and message of the GitHub workflow
// command (::error or ::warning) that shows d on its file and line.
func (d Diagnostic) Annotation() (fields map[string]string, message string) {
	fields = map[string]string{"file": d.File, "title": "roster: " + d.Rule}
	if d.Line > 0 {
		fields["line"] = strconv.Itoa(d.Line)
	}
	if d.Col > 0 {
		fields["col"] = strconv.Itoa(d.Col)
	}
	message = d.Message
	if d.Hint != "" {
		message += "\nhint: " + d.Hint
	}
	return fields, message
}

// List is a set of findings.
type List []Diagnostic

// Errorf appends an error at pos.
func (l *List) Errorf(pos Pos, rule, hint, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Error, Rule: rule, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Warnf appends a warning at pos.
func (l *List) Warnf(pos Pos, rule, hint, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Warning, Rule: rule, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// HasErrors reports whether any finding is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Count returns the number of findings with severity s.
func (l List) Count(s Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Tally says how many findings have severity s, in words: "1 error",
// "2 warnings", "0 errors".
func (l List) Tally(s Severity) string {
	n := l.Count(s)
	if n == 1 {
		return "1 " + string(s)
	}
	return strconv.Itoa(n) + " " + string(s) + "s"
}

// Sort orders findings by file, line, column, then message, and drops exact
// duplicates, so output is deterministic.
func (l List) Sort() List {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(l)
}
