package request

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/format"
)

// Edit returns the manifest src with the request's memberships added to
// the user's groups, one list entry each ({name, expires}), and the
// expires of each membership it extends moved, in place. The rest of the
// file stays as written, comments included. When src is already in the
// form `roster fmt` gives, the result is too (the entries land in sorted
// order); otherwise the entries are appended to the list, so the change
// stays only these entries.
func Edit(src []byte, req *Request) ([]byte, error) {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: parse: %w", req.File, err)
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s: not a manifest", req.File)
	}
	user := findEntry(value(doc.Content[0], "users"), req.User)
	if user == nil {
		return nil, fmt.Errorf("%s: no users entry named %s", req.File, req.User)
	}
	var err error
	// Extensions first: they edit lines in place, so the positions of
	// the parse stay true for the insertion.
	for _, g := range req.Groups {
		if _, ok := req.Extends[g]; ok {
			if lines, err = extend(lines, user, g, req.Expires.Written()); err != nil {
				return nil, fmt.Errorf("%s: %w", req.File, err)
			}
		}
	}
	if joins := req.Joins(); len(joins) > 0 {
		if lines, err = insert(lines, user, joins, req.Expires.Written()); err != nil {
			return nil, fmt.Errorf("%s: %w", req.File, err)
		}
	}
	edited := []byte(strings.Join(lines, "\n"))
	canon, err := format.Source(format.Manifest, src)
	if err != nil || !bytes.Equal(canon, src) {
		return edited, nil //nolint:nilerr // not canonical: keep the edit minimal
	}
	return format.Source(format.Manifest, edited)
}

// extend moves the expires of the membership of g in the users entry u to
// end, on its line.
func extend(lines []string, u *yaml.Node, g, end string) ([]string, error) {
	v := value(findEntry(value(u, "groups"), g), "expires")
	if v == nil || v.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("the membership of %s has no expires to move", g)
	}
	tok := v.Value
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		tok = `"` + v.Value + `"`
	case yaml.SingleQuotedStyle:
		tok = "'" + v.Value + "'"
	default:
	}
	i, c := v.Line-1, v.Column-1
	if i >= len(lines) || c+len(tok) > len(lines[i]) || lines[i][c:c+len(tok)] != tok {
		return nil, fmt.Errorf("the expires of the membership of %s is not one date or time on its line: move it by hand", g)
	}
	lines[i] = lines[i][:c] + `"` + end + `"` + lines[i][c+len(tok):]
	return lines, nil
}

// insert adds the membership entries of groups, ending at end, to the
// groups of the users entry u, creating the groups key (right after name:,
// the formatter's place for it) when the user has none.
func insert(lines []string, u *yaml.Node, groups []string, end string) ([]string, error) {
	nameKey, list := key(u, "name"), value(u, "groups")
	var at int
	var add []string
	switch {
	case list == nil:
		ind := strings.Repeat(" ", nameKey.Column-1)
		at = maxLine(key(u, "name").Line, value(u, "name"))
		add = append(add, ind+"groups:")
		add = append(add, entries(ind+"  ", groups, end)...)
	case list.Kind != yaml.SequenceNode:
		return nil, errors.New("the user's groups is not a list")
	case list.Style&yaml.FlowStyle != 0:
		return flowInsert(lines, list, groups, end)
	default:
		at = maxLine(0, list)
		add = entries(strings.Repeat(" ", list.Column-1), groups, end)
	}
	out := append(append(append([]string{}, lines[:at]...), add...), lines[at:]...)
	return out, nil
}

// flowInsert appends the entries to a one-line flow list of groups.
func flowInsert(lines []string, list *yaml.Node, groups []string, end string) ([]string, error) {
	i := list.Line - 1
	line := lines[i]
	rb := strings.LastIndex(line, "]")
	if rb < list.Column-1 || maxLine(0, list) != list.Line {
		return nil, errors.New("the user's groups is a flow list over several lines: write it as a block list")
	}
	var items []string
	for _, g := range groups {
		items = append(items, fmt.Sprintf("{name: %s, expires: \"%s\"}", g, end))
	}
	sep := ", "
	if len(list.Content) == 0 {
		sep = ""
	}
	inner := strings.TrimRight(line[:rb], " ")
	lines[i] = inner + sep + strings.Join(items, ", ") + line[rb:]
	return lines, nil
}

// entries are the block list items of groups ending at end, the dash at
// ind.
func entries(ind string, groups []string, end string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, ind+"- name: "+g, ind+"  expires: \""+end+"\"")
	}
	return out
}

// maxLine is the last line (1-based) any node under n sits on, at least l.
func maxLine(l int, n *yaml.Node) int {
	if n == nil {
		return l
	}
	l = max(l, n.Line)
	for _, c := range n.Content {
		l = maxLine(l, c)
	}
	return l
}

// lookup returns the key and value nodes of name in the mapping m; nils
// when m is not a mapping or has no such key.
func lookup(m *yaml.Node, name string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func key(m *yaml.Node, name string) *yaml.Node {
	k, _ := lookup(m, name)
	return k
}

func value(m *yaml.Node, name string) *yaml.Node {
	_, v := lookup(m, name)
	return v
}

// findEntry returns the mapping in the list seq whose name is name.
func findEntry(seq *yaml.Node, name string) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, c := range seq.Content {
		if v := value(c, "name"); v != nil && v.Value == name {
			return c
		}
	}
	return nil
}
