package render

import (
	"fmt"
	"strings"
	"unicode"
)

// zeroWidthSpace breaks GitHub's @mention and #123 autolinks without
// changing what a reader sees.
const zeroWidthSpace = "&#8203;"

// EscapeMarkdown makes a string from a manifest or from AWS inert as inline
// Markdown text or as a table cell: HTML special characters become entities,
// Markdown punctuation is backslash-escaped (including "|", so a cell cannot
// be split), line breaks become spaces, and "@user" and "#123" are broken up
// so nobody is notified and no issue is cross-referenced. Invisible control
// and bidirectional-override characters are replaced by U+FFFD so they
// cannot disguise what a reviewer reads.
func EscapeMarkdown(s string) string { return escapeRunes(s, `\#`, true) }

// escapeHTML makes a string inert inside raw HTML, such as a <summary>
// element, where Markdown backslash escapes would show literally.
func escapeHTML(s string) string { return escapeRunes(s, "&#35;", false) }

// escapeRunes is the one loop behind EscapeMarkdown and escapeHTML: HTML
// special characters become entities, "@" is broken up, "#" is written as
// hash (with a zero-width space before a digit), Markdown punctuation is
// backslash-escaped when markdown is set, line breaks and tabs become
// spaces, and invisible characters become U+FFFD.
func escapeRunes(s, hash string, markdown bool) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		case '@':
			b.WriteString("&#64;" + zeroWidthSpace)
		case '#':
			b.WriteString(hash)
			if i+1 < len(rs) && unicode.IsDigit(rs[i+1]) {
				b.WriteString(zeroWidthSpace)
			}
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			switch {
			case invisible(r):
				b.WriteRune(unicode.ReplacementChar)
			case markdown && strings.ContainsRune(markdownPunctuation, r):
				b.WriteByte('\\')
				b.WriteRune(r)
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// markdownPunctuation are the characters EscapeMarkdown escapes with a
// backslash.
const markdownPunctuation = "\\`*_{}[]()+-.!|~$"

// CleanText makes a string safe for one line of a terminal, a log or a code
// block: control characters (line breaks, escape sequences), bidirectional
// overrides and zero-width characters are shown as Go escapes instead of
// acting. Every text output of names, paths and AWS strings goes through
// it (the CLI's diagnostics too), so none can forge a line.
func CleanText(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !invisible(r) {
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// invisible reports whether r is a control character or a character that
// reorders or hides text (bidirectional controls, zero-width characters).
func invisible(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x200b && r <= 0x200f, // zero-width space/joiners, LRM, RLM
		r >= 0x202a && r <= 0x202e, // bidirectional embeddings and overrides
		r >= 0x2066 && r <= 0x2069, // bidirectional isolates
		r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}

// codeBlock returns a fenced code block holding body verbatim. The fence is
// longer than any run of backticks in body, so nothing inside can close it.
func codeBlock(lang, body string) string {
	n := max(3, longestRun(body, '`')+1)
	fence := strings.Repeat("`", n)
	body = strings.TrimSuffix(body, "\n")
	return fence + lang + "\n" + body + "\n" + fence + "\n"
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}
