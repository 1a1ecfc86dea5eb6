package request

import (
	"fmt"
	"strings"
)

// Labels of the issue form's fields, as GitHub renders them into the issue
// body ("### Label", a blank line, the value). They must match the labels
// in examples/.github/ISSUE_TEMPLATE/access-request.yml.
const (
	LabelEnvironment = "Environment"
	LabelUser        = "IAM user"
	LabelGroups      = "Groups"
	LabelDuration    = "Duration"
	LabelReason      = "Reason"
)

// IssueLabel is the label the issue form applies; the Action acts only on
// issues opened with it.
const IssueLabel = "roster:access-request"

// noResponse is what GitHub writes for an optional field left empty.
const noResponse = "_No response_"

// Form is an access request as the issue form's fields hold it, before
// validation.
type Form struct {
	Environment string
	User        string
	Groups      []string
	Duration    string
	Reason      string
}

// Parse reads the form's fields from an issue body. Every field must be
// present (a body written by hand that drops one is not a request); values
// are trimmed, and a list of groups may be separated by commas, spaces or
// new lines.
func Parse(body string) (Form, []string) {
	sections := map[string]string{}
	var current string
	var value []string
	flush := func() {
		if current != "" {
			v := strings.TrimSpace(strings.Join(value, "\n"))
			if v == noResponse {
				v = ""
			}
			if _, dup := sections[current]; !dup {
				sections[current] = v
			}
		}
		value = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			flush()
			current = strings.TrimSpace(h)
			continue
		}
		value = append(value, line)
	}
	flush()
	var problems []string
	field := func(label string) string {
		v, ok := sections[label]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("the issue has no %q field: open the request with the access request form, not a blank issue", label))
		case v == "":
			problems = append(problems, fmt.Sprintf("%s is empty", label))
		}
		return v
	}
	f := Form{
		Environment: field(LabelEnvironment),
		User:        field(LabelUser),
		Groups:      splitNames(field(LabelGroups)),
		Duration:    field(LabelDuration),
		Reason:      field(LabelReason),
	}
	return f, problems
}

// splitNames splits a list of names on commas and white space, dropping
// repeats.
func splitNames(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
