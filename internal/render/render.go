package render

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/template"

	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/plan"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// GitHubCommentLimit is the longest body GitHub accepts for a comment.
const GitHubCommentLimit = 65536

var templates = template.Must(template.New("render").Funcs(template.FuncMap{
	"clean":       CleanText,
	"md":          EscapeMarkdown,
	"html":        escapeHTML,
	"mdList":      mdList,
	"join":        strings.Join,
	"plural":      plural,
	"counts":      countsWords,
	"briefCounts": briefCounts,
	"diffBlock":   diffBlock,
	"marker":      func() string { return PlanMarker },
	"trusted":     trustedMarkdown,
	"link":        safeURL,
}).ParseFS(templateFS, "templates/*.tmpl"))

// Text writes the plan for a terminal: every environment in promotion order
// with its changes, attribute-level differences and number of IAM
// operations, then a one-line summary. PGP keys are shown as fingerprints.
func Text(w io.Writer, p *plan.Plan) error {
	if err := templates.ExecuteTemplate(w, "plan.txt.tmpl", newPlanView(p)); err != nil {
		return fmt.Errorf("render plan as text: %w", err)
	}
	return nil
}

// MarkdownOptions adds what only the caller knows to a plan comment. Every
// field is optional.
type MarkdownOptions struct {
	// Header is a line of Markdown shown under the title, for example which
	// pull request or workflow run the plan is for. It is written by roster,
	// not taken from manifests, and is not escaped.
	Header string
	// Footer is a line of Markdown shown at the end in small print, for
	// example "Updated for abc1234". Not escaped, like Header.
	Footer string
	// SummaryURL links to the job summary that holds the full plan output.
	// Only http and https URLs are linked.
	SummaryURL string
	// MaxLength, when positive, is the longest body to return, in bytes
	// (GitHubCommentLimit for a GitHub comment). A longer plan first loses
	// its per-environment details, then is cut short; the summary table
	// comes first and the digests always survive.
	MaxLength int
	// Hygiene holds credential hygiene findings by environment name
	// (package hygiene), listed in a collapsed section after the
	// guardrails; the findings an excerpt leaves out are counted. Optional;
	// left out of a compacted comment.
	Hygiene map[string]hygiene.Excerpt
	// Approvals holds each environment's approvals status by name, listed
	// after the guardrails for every environment with changes (or whose
	// approvals the pull request changes). Nil leaves the section out.
	Approvals map[string]ApprovalStatus
}

// Markdown writes the body of the sticky pull-request comment: the marker,
// the summary table (destructive environments first, then promotion order),
// guardrail findings, one collapsible section per environment, and a hidden
// block with every environment's digest that ParseDigests reads back. Every
// string that came from a manifest or AWS is escaped.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	body, err := markdownBody(p, opts)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, body)
	return err
}

// truncationNote ends a comment that was cut short to fit MaxLength.
func truncationNote(opts MarkdownOptions) string {
	note := "\n\n*The plan is too long for a comment and was cut short.*"
	if u := safeURL(opts.SummaryURL); u != "" {
		note += " The [job summary](" + u + ") has all of it."
	}
	return note + "\n\n"
}

func markdownBody(p *plan.Plan, opts MarkdownOptions) (string, error) {
	if p == nil {
		p = &plan.Plan{}
	}
	digests := make(map[string]string, len(p.Environments))
	for _, e := range p.Environments {
		if e != nil {
			digests[e.Name] = e.Digest
		}
	}
	block, err := digestBlock(digests)
	if err != nil {
		return "", err
	}
	v := newPlanView(p)
	v.Opts = opts
	body, err := executeMarkdown(v)
	if err != nil {
		return "", err
	}
	if opts.MaxLength <= 0 || len(body)+len(block) <= opts.MaxLength {
		return body + block, nil
	}
	v.Compact = true
	if body, err = executeMarkdown(v); err != nil {
		return "", err
	}
	if len(body)+len(block) <= opts.MaxLength {
		return body + block, nil
	}
	// Still too long (thousands of environments or findings): cut at a line
	// boundary. The compact body has no code blocks or HTML to leave open.
	// The privilege-raising and destructive changes come first then, so
	// the cut never takes them.
	v.AttentionFirst = true
	if body, err = executeMarkdown(v); err != nil {
		return "", err
	}
	note := truncationNote(opts)
	budget := opts.MaxLength - len(block) - len(note)
	if budget < len(PlanMarker)+1 {
		return "", fmt.Errorf("render plan comment: MaxLength %d leaves no room for the plan", opts.MaxLength)
	}
	cut := strings.LastIndexByte(body[:budget], '\n')
	if cut < len(PlanMarker) {
		cut = len(PlanMarker)
	}
	return strings.TrimRight(body[:cut], "\n") + note + block, nil
}

func executeMarkdown(v *planView) (string, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "plan.md.tmpl", v); err != nil {
		return "", fmt.Errorf("render plan as Markdown: %w", err)
	}
	return buf.String(), nil
}

// countsWords is the Terraform-like summary of a tally, with the access
// key steps when there are any (the apply line counts them alike).
func countsWords(c plan.Counts) string {
	s := fmt.Sprintf("%d to add, %d to change, %d to destroy, %d to adopt", c.Create, c.Update, c.Delete, c.Adopt)
	if c.KeySteps > 0 {
		s += ", " + plural(c.KeySteps, "access key step")
	}
	return s + "."
}

// briefCounts names only the actions that occur, for a section title.
func briefCounts(c plan.Counts) string {
	var parts []string
	for _, n := range []struct {
		n    int
		what string
	}{{c.Create, "to add"}, {c.Update, "to change"}, {c.Delete, "to destroy"}, {c.Adopt, "to adopt"}} {
		if n.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n.n, n.what))
		}
	}
	if c.KeySteps > 0 {
		parts = append(parts, plural(c.KeySteps, "access key step"))
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// mdList escapes each item and joins them with commas.
func mdList(items []string) string {
	escaped := make([]string, len(items))
	for i, s := range items {
		escaped[i] = EscapeMarkdown(s)
	}
	return strings.Join(escaped, ", ")
}

// diffBlock renders diff lines as a fenced code block that GitHub colours.
func diffBlock(lines []diffLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return codeBlock("diff", b.String())
}

// trustedMarkdown passes caller-written Markdown through, on one line, and
// defuses HTML comments so no caller text can pose as a roster marker.
func trustedMarkdown(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "<!--", "&lt;!--")
}

// safeURL returns u for a Markdown link destination, or "" unless it is an
// absolute http or https URL.
func safeURL(u string) string {
	parsed, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return ""
	}
	s := parsed.String()
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(s)
}
