package render

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/plan"
)

func TestEscapeMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"alice", "alice"},
		{"ci-deployer", `ci\-deployer`},
		{hostileHTML, `&lt;/details&gt;&lt;img src=x onerror=alert\(1\)&gt;`},
		{hostileMention, `&#64;&#8203;org/team`},
		{"alice@example.com", `alice&#64;&#8203;example\.com`},
		{hostileCell, `\| cell \|`},
		{"`code` and ```fence```", "\\`code\\` and \\`\\`\\`fence\\`\\`\\`"},
		{hostileIssue, `fixes \#&#8203;123`},
		{"#hashtag", `\#hashtag`},
		{hostileLink, `\[click\]\(https://evil\.example\)`},
		{"**bold** _it_ ~~s~~ $x$", `\*\*bold\*\* \_it\_ \~\~s\~\~ \$x\$`},
		{"line\nbreak\r\ttab", "line break  tab"},
		{"&lt; already", "&amp;lt; already"},
		{"\x1b[31mred\u202eevil\u200b", "\ufffd\\[31mred\ufffdevil\ufffd"},
		{`say "hi" 'there'`, "say &quot;hi&quot; &#39;there&#39;"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, EscapeMarkdown(tt.in)); diff != "" {
				t.Errorf("EscapeMarkdown(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzEscapeMarkdown checks what makes escaped text inert whatever the
// input: no HTML, no comment that could pose as a marker, no raw @ to
// mention anyone, no unescaped pipe to split a table cell, one line.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{hostileHTML, hostileMention, hostileCell, hostileFence, hostileForgery, hostileIssue, hostileLink, "\\|", "a\\@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeMarkdown(s)
		if strings.ContainsAny(got, "<>@\n\r") {
			t.Errorf("EscapeMarkdown(%q) = %q: contains <, >, @ or a line break", s, got)
		}
		if unescapedPipe.MatchString(got) {
			t.Errorf("EscapeMarkdown(%q) = %q: contains an unescaped |", s, got)
		}
		if issueRef.MatchString(stripEntities(got)) {
			t.Errorf("EscapeMarkdown(%q) = %q: contains an issue reference", s, got)
		}
	})
}

var (
	// unescapedPipe is a | preceded by an even number of backslashes.
	unescapedPipe = regexp.MustCompile(`(^|[^\\])(\\\\)*\|`)
	issueRef      = regexp.MustCompile(`#[0-9]`)
	mention       = regexp.MustCompile(`@[A-Za-z0-9]`)
	entity        = regexp.MustCompile(`&#[0-9]+;`)
)

// stripEntities replaces numeric character references, whose own "#" and
// digits are not issue references, by a plain character.
func stripEntities(s string) string { return entity.ReplaceAllString(s, "·") }

func TestCodeBlockFence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, wantFence string
	}{
		{"plain", "```"},
		{"one ` tick", "```"},
		{"```", "````"},
		{"a ``````` b\n``", "````````"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			got := codeBlock("diff", tt.body)
			want := tt.wantFence + "diff\n" + tt.body + "\n" + tt.wantFence + "\n"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("codeBlock (-want +got):\n%s", diff)
			}
			blocks, _, err := splitCode(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.body}, blocks); diff != "" {
				t.Errorf("code block content as a Markdown reader sees it (-want +got):\n%s", diff)
			}
		})
	}
}

var fenceLine = regexp.MustCompile("^ {0,3}(`{3,})([^`]*)$")

// splitCode reads fenced code blocks the way CommonMark does (backtick
// fences only, which is all the renderer writes) and returns their contents
// and the text outside them. It fails when a block is never closed.
func splitCode(md string) (blocks []string, outside string, err error) {
	var out, cur strings.Builder
	fence := ""
	for _, line := range strings.SplitAfter(md, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if fence == "" {
			if m := fenceLine.FindStringSubmatch(trimmed); m != nil {
				fence = m[1]
				cur.Reset()
				continue
			}
			out.WriteString(line)
			continue
		}
		t := strings.TrimLeft(trimmed, " ")
		if len(trimmed)-len(t) <= 3 && strings.HasPrefix(t, fence) && strings.Trim(t, "` ") == "" {
			blocks = append(blocks, strings.TrimSuffix(cur.String(), "\n"))
			fence = ""
			continue
		}
		cur.WriteString(line)
	}
	if fence != "" {
		return nil, "", errors.New("unclosed code block")
	}
	return blocks, out.String(), nil
}

// TestMarkdownHostile renders a plan whose names, tags, policies, reasons,
// warnings and unmanaged users try to break out of their place, and checks
// the comment as a Markdown reader and the apply step would see it.
func TestMarkdownHostile(t *testing.T) {
	t.Parallel()
	p := hostilePlan()
	var buf bytes.Buffer
	if err := Markdown(&buf, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	body := buf.String()

	blocks, outside, err := splitCode(body)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, body)
	}
	// One diff block per change, and every line in it is a diff line, so no
	// payload escaped its block.
	if len(blocks) != 2 {
		t.Errorf("got %d code blocks, want 2 (one per change)", len(blocks))
	}
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			if !regexp.MustCompile(`^[-+~ ] `).MatchString(line) {
				t.Errorf("code block line %q is not a diff line", line)
			}
		}
	}

	// Outside code, nothing from the plan is HTML, a comment, a mention or
	// an issue reference.
	if strings.Contains(outside, "<img") {
		t.Errorf("raw <img outside code blocks:\n%s", outside)
	}
	if got := strings.Count(outside, "<details"); got != 1 {
		t.Errorf("%d <details> elements, want 1", got)
	}
	if got := strings.Count(outside, "</details>"); got != 1 {
		t.Errorf("%d </details> tags, want 1: a name closed a section", got)
	}
	if got := strings.Count(outside, "<!--"); got != 2 {
		t.Errorf("%d HTML comments outside code, want 2 (plan marker and digests)", got)
	}
	if mention.MatchString(outside) {
		t.Errorf("an @mention outside code blocks: %q", mention.FindAllString(outside, -1))
	}
	if issueRef.MatchString(stripEntities(outside)) {
		t.Errorf("an issue reference outside code blocks: %q", issueRef.FindAllString(stripEntities(outside), -1))
	}
	if strings.Contains(outside, "](https://evil") {
		t.Errorf("a link from the plan became a Markdown link")
	}

	// Table rows keep their seven cell borders.
	for _, line := range strings.Split(outside, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if n := len(unescapedPipe.FindAllString(line, -1)); n != 7 {
			t.Errorf("table row has %d cell borders, want 7: %s", n, line)
		}
	}

	// The forged digest is never what apply reads.
	got, err := ParseDigests(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"production": p.Environments[0].Digest}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseDigests (-want +got):\n%s", diff)
	}
	if !IsPlanComment(body) {
		t.Errorf("IsPlanComment = false for a plan comment")
	}
}

// TestTextHostile: terminal output shows control characters instead of
// obeying them.
func TestTextHostile(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Text(&buf, hostilePlan()); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\u202e") {
		t.Errorf("text output contains an escape sequence or a bidirectional override:\n%q", buf.String())
	}
	if !strings.Contains(buf.String(), `\u001b[31mred`) {
		t.Errorf("text output does not show the escape sequence as \\u001b")
	}
}

func TestParseDigests(t *testing.T) {
	t.Parallel()
	comment := markdownString(t, fullPlan(t), MarkdownOptions{})
	wantReal := map[string]string{}
	for _, e := range fullPlan(t).Environments {
		wantReal[e.Name] = e.Digest
	}
	block := func(json string) string { return "<!-- roster:digests " + json + " -->\n" }
	tests := []struct {
		name    string
		body    string
		want    map[string]string
		wantErr error
	}{
		{name: "plan comment", body: comment, want: wantReal},
		{name: "trailing whitespace", body: comment + "\n\n  ", want: wantReal},
		{name: "hostile plan", body: markdownString(t, hostilePlan(), MarkdownOptions{}),
			want: map[string]string{"production": hostilePlan().Environments[0].Digest}},
		{name: "forged block before the real one", body: "```\n" + block(`{"production":"sha256:forged"}`) + "```\n" + block(`{"production":"sha256:real"}`),
			want: map[string]string{"production": "sha256:real"}},
		{name: "empty plan", body: block(`{}`), want: map[string]string{}},
		{name: "no block", body: "<!-- roster:plan -->\nhello\n", wantErr: ErrNoDigests},
		{name: "empty body", body: "", wantErr: ErrNoDigests},
		{name: "text after the block", body: comment + "edited by hand\n", wantErr: ErrNoDigests},
		{name: "cut short", body: comment[:len(comment)-10], wantErr: ErrNoDigests},
		{name: "marker only", body: "<!-- roster:digests -->", wantErr: ErrNoDigests},
		{name: "not JSON", body: block(`production=sha256:x`), wantErr: ErrNoDigests},
		{name: "null", body: block(`null`), wantErr: ErrNoDigests},
		{name: "two objects", body: block(`{"a":"b"} {"c":"d"}`), wantErr: ErrNoDigests},
		{name: "not roster's spacing", body: block(`{ "production": "sha256:x" }`), wantErr: ErrNoDigests},
		{name: "not strings", body: block(`{"production":1}`), wantErr: ErrNoDigests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDigests(tt.body)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseDigests error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDigests (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseDigests(f *testing.F) {
	f.Add("<!-- roster:digests {} -->")
	f.Add("<!-- roster:digests -->")
	f.Add(`<!-- roster:digests {"a":"b"} -->`)
	f.Fuzz(func(t *testing.T, body string) {
		digests, err := ParseDigests(body)
		if err != nil {
			return
		}
		// What it accepts is exactly what roster writes.
		block, err := digestBlock(digests)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(strings.TrimRight(body, " \t\r\n"), strings.TrimSuffix(block, "\n")) {
			t.Errorf("ParseDigests accepted %q, which does not end with %q", body, block)
		}
	})
}

func markdownString(t *testing.T, p *plan.Plan, opts MarkdownOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, p, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestMarkdownOptions: caller lines cannot forge markers either, and only
// web links are linked.
func TestMarkdownOptions(t *testing.T) {
	t.Parallel()
	p := quietPlan()
	body := markdownString(t, p, MarkdownOptions{
		Header:     "Plan for #42 <!-- roster:digests {\"development\":\"x\"} -->",
		Footer:     "Updated for abc1234\n<!-- roster:digests {\"development\":\"x\"} -->",
		SummaryURL: "javascript:alert(1)",
	})
	if strings.Contains(body, "javascript:") {
		t.Errorf("a javascript: URL was linked:\n%s", body)
	}
	if got := strings.Count(body, "<!--"); got != 2 {
		t.Errorf("%d HTML comments, want 2 (plan marker and digests):\n%s", got, body)
	}
	got, err := ParseDigests(body)
	if err != nil {
		t.Fatal(err)
	}
	if got["development"] != p.Environments[0].Digest {
		t.Errorf("digest of development = %q, want %q", got["development"], p.Environments[0].Digest)
	}

	body = markdownString(t, p, MarkdownOptions{SummaryURL: "https://github.com/acme/access/actions/runs/1 (x)"})
	if !strings.Contains(body, "[job summary](https://github.com/acme/access/actions/runs/1%20%28x%29)") {
		t.Errorf("summary link not encoded:\n%s", body)
	}
}

// hasDelete reports whether an environment's plan deletes something.
func hasDelete(e *plan.Environment) bool {
	for _, ch := range e.Changes {
		if ch.Action == plan.Delete {
			return true
		}
	}
	return false
}

// TestMarkdownMaxLength: a comment that would be too long for GitHub loses
// details first, then is cut short (the summary table before the
// privilege-raising and destructive changes), and the digests always
// survive.
func TestMarkdownMaxLength(t *testing.T) {
	t.Parallel()
	opts := MarkdownOptions{SummaryURL: "https://example.com/summary"}
	full := markdownString(t, fullPlan(t), opts)
	wantDigests, err := ParseDigests(full)
	if err != nil {
		t.Fatal(err)
	}
	// A plan with many environments for the cut-short case.
	many := &plan.Plan{}
	for i := range 60 {
		e := *fullPlan(t).Environments[2]
		e.Name = "staging-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		many.Environments = append(many.Environments, &e)
	}

	tests := []struct {
		name        string
		plan        *plan.Plan
		max         int
		wantDetails bool
		wantCut     bool
	}{
		{name: "fits", plan: fullPlan(t), max: len(full), wantDetails: true},
		{name: "details left out", plan: fullPlan(t), max: len(full) - 1},
		{name: "cut short", plan: many, max: 14000, wantCut: true},
		{name: "GitHub limit", plan: many, max: GitHubCommentLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := opts
			opts.MaxLength = tt.max
			body := markdownString(t, tt.plan, opts)
			if len(body) > tt.max {
				t.Errorf("body is %d bytes, more than %d", len(body), tt.max)
			}
			if got := strings.Contains(body, "<details"); got != tt.wantDetails {
				t.Errorf("details present = %v, want %v", got, tt.wantDetails)
			}
			if got := strings.Contains(body, "cut short"); got != tt.wantCut {
				t.Errorf("cut-short note present = %v, want %v", got, tt.wantCut)
			}
			if !tt.wantDetails && !strings.Contains(body, "[job summary](https://example.com/summary)") {
				t.Errorf("shortened comment does not point to the job summary")
			}
			if !tt.wantCut && !strings.Contains(body, "| Environment | Account |") {
				t.Errorf("the summary table is gone")
			}
			// Destructive changes are listed in full, however short the
			// comment: a cut takes the table first.
			for _, e := range tt.plan.Environments {
				for _, ch := range e.Changes {
					if ch.Action != plan.Delete {
						continue
					}
					if !strings.Contains(body, "**"+EscapeMarkdown(e.Name)+"**") || !strings.Contains(body, EscapeMarkdown(ch.Name)) {
						t.Errorf("the deletion of %s in %s is not listed", ch.Name, e.Name)
					}
				}
				line := "- 🗑️ **" + EscapeMarkdown(e.Name) + "**"
				if hasDelete(e) && !strings.Contains(body, line) {
					t.Errorf("no line %q in the comment", line)
				}
			}
			if _, _, err := splitCode(body); err != nil {
				t.Error(err)
			}
			got, err := ParseDigests(body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.plan != many {
				if diff := cmp.Diff(wantDigests, got); diff != "" {
					t.Errorf("ParseDigests (-want +got):\n%s", diff)
				}
			} else if len(got) != len(many.Environments) {
				t.Errorf("ParseDigests returned %d digests, want %d", len(got), len(many.Environments))
			}
		})
	}

	var buf bytes.Buffer
	if err := Markdown(&buf, fullPlan(t), MarkdownOptions{MaxLength: 100}); err == nil {
		t.Errorf("Markdown with MaxLength 100 succeeded; want an error, the digests alone are longer")
	}
}
