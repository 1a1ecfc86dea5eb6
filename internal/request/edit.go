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
// the user's groups, one list entry each ({name, expires}). The rest of the
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
	if lines, err = insert(lines, user, req); err != nil {
		return nil, fmt.Errorf("%s: %w", req.File, err)
	}
	edited := []byte(strings.Join(lines, "\n"))
	canon, err := format.Source(format.Manifest, src)
	if err != nil || !bytes.Equal(canon, src) {
		return edited, nil //nolint:nilerr // not canonical: keep the edit minimal
	}
	return format.Source(format.Manifest, edited)
}

// insert adds the membership entries to the groups of the users entry u,
// creating the groups key (right after name:, the formatter's place for
// it) when the user has none.
func insert(lines []string, u *yaml.Node, req *Request) ([]string, error) {
	nameKey, groups := key(u, "name"), value(u, "groups")
	var at int
	var add []string
	switch {
	case groups == nil:
		ind := strings.Repeat(" ", nameKey.Column-1)
		at = maxLine(key(u, "name").Line, value(u, "name"))
		add = append(add, ind+"groups:")
		add = append(add, entries(ind+"  ", req)...)
	case groups.Kind != yaml.SequenceNode:
		return nil, errors.New("the user's groups is not a list")
	case groups.Style&yaml.FlowStyle != 0:
		return flowInsert(lines, groups, req)
	default:
		at = maxLine(0, groups)
		add = entries(strings.Repeat(" ", groups.Column-1), req)
	}
	out := append(append(append([]string{}, lines[:at]...), add...), lines[at:]...)
	return out, nil
}

// flowInsert appends the entries to a one-line flow list of groups.
func flowInsert(lines []string, groups *yaml.Node, req *Request) ([]string, error) {
	i := groups.Line - 1
	line := lines[i]
	end := strings.LastIndex(line, "]")
	if end < groups.Column-1 || maxLine(0, groups) != groups.Line {
		return nil, errors.New("the user's groups is a flow list over several lines: write it as a block list")
	}
	var items []string
	for _, g := range req.Groups {
		items = append(items, fmt.Sprintf("{name: %s, expires: \"%s\"}", g, req.Expires.Written()))
	}
	sep := ", "
	if len(groups.Content) == 0 {
		sep = ""
	}
	inner := strings.TrimRight(line[:end], " ")
	lines[i] = inner + sep + strings.Join(items, ", ") + line[end:]
	return lines, nil
}

// entries are the block list items for the request, the dash at ind.
func entries(ind string, req *Request) []string {
	var out []string
	for _, g := range req.Groups {
		out = append(out, ind+"- name: "+g, ind+"  expires: \""+req.Expires.Written()+"\"")
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
