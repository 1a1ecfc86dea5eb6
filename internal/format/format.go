package format

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/manifest"
)

// Kind is the kind of file being formatted; it decides the key order.
type Kind int

// File kinds of the repository contract.
const (
	Manifest Kind = iota
	Environment
	Config
)

// How the items of a list are ordered.
const (
	keepOrder = iota
	byValue   // scalar items, by value
	byName    // mapping items, by their name: field
	byEither  // scalar items by value, mapping items by name, together
)

// spec describes one level of the contract: how a mapping's keys and a
// list's items are ordered, and the spec of what is below. A nil spec
// leaves its node as written (only indented along with its parent).
type spec struct {
	keys     []string // mapping key order; unknown keys follow as written
	sortKeys bool     // mapping keys carry no order: sort them
	children map[string]*spec
	items    int   // order of a list's items
	item     *spec // the spec of every list item
}

func (s *spec) child(key string) *spec {
	if s == nil {
		return nil
	}
	return s.children[key]
}

var (
	sortedList = &spec{items: byValue}
	sortedMap  = &spec{sortKeys: true}
	// Inline policies are sorted by name; the documents stay as written.
	inlinePolicies = &spec{sortKeys: true}

	configSpec      = specOf(manifest.ConfigFields)
	environmentSpec = specOf(manifest.EnvironmentFields)
	manifestSpec    = specOf(manifest.ManifestFields)
)

// specOf builds the spec of a mapping from the contract's field table
// (manifest.ConfigFields and the others): its keys in the table's order,
// and below them how each field's value is ordered.
func specOf(o *manifest.Object) *spec {
	s := &spec{keys: o.Names(), children: map[string]*spec{}}
	for _, f := range o.Fields {
		switch f.Type {
		case manifest.TypeSet:
			s.children[f.Name] = sortedList
		case manifest.TypeStringMap:
			s.children[f.Name] = sortedMap
		case manifest.TypePolicies:
			s.children[f.Name] = inlinePolicies
		case manifest.TypeObject:
			s.children[f.Name] = specOf(f.Fields)
		case manifest.TypeObjects:
			s.children[f.Name] = &spec{items: byName, item: specOf(f.Fields)}
		case manifest.TypeMemberships:
			s.children[f.Name] = &spec{items: byEither, item: specOf(f.Fields)}
		case manifest.TypeString, manifest.TypeBool, manifest.TypeInt, manifest.TypeDate, manifest.TypeList:
			// Scalars, and lists whose order is the user's: as written.
		}
	}
	return s
}

func specFor(k Kind) *spec {
	switch k {
	case Config:
		return configSpec
	case Environment:
		return environmentSpec
	default:
		return manifestSpec
	}
}

// ErrMultipleDocuments is returned for a file with more than one YAML
// document, which roster does not read.
var ErrMultipleDocuments = errors.New("the file holds more than one YAML document")

// Source returns src formatted as a file of kind k. Comments, blank lines,
// quoting and flow or block style are kept; only the order of keys and list
// items and the indentation of mappings and lists change, and unquoted
// dates are quoted. A file that is not a YAML mapping is returned
// unchanged.
func Source(k Kind, src []byte) ([]byte, error) {
	src, err := quoteDates(src)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return src, nil
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		return nil, ErrMultipleDocuments
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || doc.Content[0].Style&yaml.FlowStyle != 0 {
		return src, nil
	}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	root := doc.Content[0]
	f := &formatter{lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n"), keepOrder: hasAlias(root)}
	out := f.node(root, specFor(k), 0, len(f.lines), -(root.Column - 1), true)
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n"), nil
}

// formatter works on the lines of one file. Regions are half-open ranges
// of 0-based line indexes; yaml.Node lines and columns are 1-based.
type formatter struct {
	lines []string
	// keepOrder leaves keys and items in their written order: a file with
	// YAML aliases must keep each anchor before the aliases that use it.
	keepOrder bool
}

// hasAlias reports whether an alias appears anywhere under n.
func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	return slices.ContainsFunc(n.Content, hasAlias)
}

// node formats the region [lo, hi) that holds n, moving every line shift
// columns (plus what n's children need).
func (f *formatter) node(n *yaml.Node, s *spec, lo, hi, shift int, root bool) []string {
	block := n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
	switch {
	case s != nil && block && n.Kind == yaml.MappingNode:
		return f.mapping(n, s, lo, hi, shift, root)
	case s != nil && block && n.Kind == yaml.SequenceNode:
		return f.sequence(n, s, lo, hi, shift)
	case s != nil && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode):
		f.sortFlow(n, s)
	}
	return f.shifted(lo, hi, shift)
}

func (f *formatter) shifted(lo, hi, shift int) []string {
	out := make([]string, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, shiftLine(f.lines[i], shift))
	}
	return out
}

func shiftLine(s string, d int) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if d > 0 {
		return strings.Repeat(" ", d) + s
	}
	for ; d < 0 && strings.HasPrefix(s, " "); d++ {
		s = s[1:]
	}
	return s
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

func (f *formatter) isComment(i int) bool {
	return strings.HasPrefix(strings.TrimSpace(f.lines[i]), "#")
}

func (f *formatter) isBlank(i int) bool { return strings.TrimSpace(f.lines[i]) == "" }

// item is one mapping pair or list item and the lines it owns: the
// comments attached above it, [start, content), and itself, [content, end).
type item struct {
	start, content, end int
	key                 string // what it is sorted by
	rank                int
	render              func(lo, hi int) []string
}

// arrange splits [lo, hi) into items starting at the given content lines
// (ascending) and the gaps between them, and returns the lines with the
// items sorted. col is the items' column (0-based) in the source; comments
// at or left of it directly above an item belong to the item, deeper ones
// to the item before. Gaps (blank lines and detached comments) stay where
// they were, so blank lines keep separating the same positions.
func (f *formatter) arrange(items []*item, col, lo, hi, shift int, root bool) []string {
	bound := lo
	for i, it := range items {
		it.start = it.content
		for it.start > bound && f.isComment(it.start-1) && indentOf(f.lines[it.start-1]) <= col {
			it.start--
		}
		if root && i == 0 && it.start == 0 {
			it.start = it.content // the file's header comment stays on top
		}
		if i > 0 {
			items[i-1].end = f.contentEnd(items[i-1].content, it.start, col)
		}
		bound = it.content + 1
	}
	last := items[len(items)-1]
	last.end = f.contentEnd(last.content, hi, col)

	order := slices.Clone(items)
	if !f.keepOrder {
		slices.SortStableFunc(order, func(a, b *item) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.key, b.key))
		})
	}
	out := f.shifted(lo, items[0].start, shift)
	for i, it := range order {
		out = append(out, it.render(it.start, it.end)...)
		gapEnd := hi
		if i+1 < len(items) {
			gapEnd = items[i+1].start
		}
		out = append(out, f.shifted(items[i].end, gapEnd, shift)...)
	}
	return out
}

// contentEnd is the end of an item's own lines in [content, limit): up to
// its last line that is neither blank nor a comment at or left of col.
func (f *formatter) contentEnd(content, limit, col int) int {
	end := content + 1
	for i := content + 1; i < limit; i++ {
		if f.isBlank(i) || (f.isComment(i) && indentOf(f.lines[i]) <= col) {
			continue
		}
		end = i + 1
	}
	return end
}

func (f *formatter) mapping(n *yaml.Node, s *spec, lo, hi, shift int, root bool) []string {
	col := n.Column - 1
	outCol := col + shift
	var items []*item
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		it := &item{content: k.Line - 1, key: k.Value, rank: len(items)}
		switch {
		case s.sortKeys:
			it.rank = 0
		default:
			it.key = ""
			if r := slices.Index(s.keys, k.Value); r >= 0 {
				it.rank = r - len(s.keys) - len(n.Content) // known keys first, in contract order
			}
		}
		cs := s.child(k.Value)
		it.render = func(lo, hi int) []string {
			keyLine := k.Line - 1
			if cs == nil || v.Line <= k.Line || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
				if cs != nil {
					f.sortFlow(v, cs)
				}
				return f.shifted(lo, hi, shift)
			}
			out := f.shifted(lo, keyLine+1, shift)
			childShift := outCol + 2 - (v.Column - 1)
			return append(out, f.node(v, cs, keyLine+1, hi, childShift, false)...)
		}
		items = append(items, it)
	}
	return f.arrange(items, col, lo, hi, shift, root)
}

func (f *formatter) sequence(n *yaml.Node, s *spec, lo, hi, shift int) []string {
	dashCol := n.Column - 1
	outDash := dashCol + shift
	var items []*item
	for i, c := range n.Content {
		dashLine := c.Line - 1
		for dashLine > lo && !f.dashAt(dashLine, dashCol) {
			dashLine--
		}
		it := &item{content: dashLine, rank: 0}
		switch s.items {
		case byValue:
			if c.Kind == yaml.ScalarNode {
				it.key = c.Value
			}
		case byName:
			it.key = nameOf(c)
		case byEither:
			it.key = nameOf(c)
			if c.Kind == yaml.ScalarNode {
				it.key = c.Value
			}
		default:
			it.rank = i
		}
		it.render = func(lo, hi int) []string {
			out := f.shifted(lo, dashLine, shift) // attached comments
			line := f.lines[dashLine]
			if c.Line-1 != dashLine || c.Column-1 >= len(line) {
				// "-" alone on its line, the item (if any) below it.
				out = append(out, f.shifted(dashLine, dashLine+1, shift)...)
				return append(out, f.node(c, s.item, dashLine+1, hi, outDash+2-(c.Column-1), false)...)
			}
			// Replace "- " by spaces, format the item as if it stood alone,
			// then put the dash back on its first line.
			f.lines[dashLine] = strings.Repeat(" ", c.Column-1) + line[c.Column-1:]
			body := f.node(c, s.item, dashLine, hi, outDash+2-(c.Column-1), false)
			f.lines[dashLine] = line[:c.Column-1] + f.lines[dashLine][c.Column-1:]
			j := 0
			for j < len(body) && (body[j] == "" || strings.HasPrefix(strings.TrimSpace(body[j]), "#")) {
				j++
			}
			if j == len(body) {
				return append(out, f.shifted(dashLine, hi, shift)...)
			}
			for _, l := range body[:j] {
				out = append(out, shiftLine(l, -2)) // comments of a key that moved first
			}
			out = append(out, strings.Repeat(" ", outDash)+"- "+strings.TrimLeft(body[j], " "))
			return append(out, body[j+1:]...)
		}
		items = append(items, it)
	}
	return f.arrange(items, dashCol, lo, hi, shift, false)
}

func (f *formatter) dashAt(line, col int) bool {
	s := f.lines[line]
	return len(s) > col && s[col] == '-' && (len(s) == col+1 || s[col+1] == ' ')
}

func nameOf(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// sortFlow sorts a one-line flow list or mapping in place, keeping each
// element's text (and so its quoting) and the spacing inside the brackets.
// Flow collections over several lines, or holding anything but scalars,
// are left alone.
func (f *formatter) sortFlow(n *yaml.Node, s *spec) {
	if f.keepOrder {
		return
	}
	var keys []string
	switch {
	case n.Kind == yaml.SequenceNode && (s.items == byValue || s.items == byEither):
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return
			}
			keys = append(keys, c.Value)
		}
	case n.Kind == yaml.MappingNode && s.sortKeys:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Kind != yaml.ScalarNode || n.Content[i+1].Kind != yaml.ScalarNode {
				return
			}
			keys = append(keys, n.Content[i].Value)
		}
	default:
		return
	}
	if len(keys) < 2 || slices.IsSorted(keys) {
		return
	}
	li := n.Line - 1
	line := f.lines[li]
	open := n.Column - 1
	if open >= len(line) || (line[open] != '[' && line[open] != '{') {
		return
	}
	end, parts := splitFlow(line, open)
	if end < 0 || len(parts) != len(keys) {
		return
	}
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	sorted := make([]string, len(parts))
	for i, j := range idx {
		sorted[i] = parts[j]
	}
	inner := line[open+1 : end]
	pad := ""
	if strings.HasPrefix(inner, " ") {
		pad = " "
	}
	f.lines[li] = line[:open+1] + pad + strings.Join(sorted, ", ") + pad + line[end:]
}

// splitFlow finds the bracket closing the flow collection opened at
// line[open] and splits its inside at top-level commas. It returns -1 when
// the collection does not close on this line.
func splitFlow(line string, open int) (end int, parts []string) {
	depth := 0
	start := open + 1
	var quote byte
	tokenStart := true
	for i := open; i < len(line); i++ {
		c := line[i]
		if quote != 0 {
			switch {
			case quote == '"' && c == '\\':
				i++
			case c == quote && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			if tokenStart {
				quote = c
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if p := strings.TrimSpace(line[start:i]); p != "" {
					parts = append(parts, p)
				}
				return i, parts
			}
		case ',':
			if depth == 1 {
				parts = append(parts, strings.TrimSpace(line[start:i]))
				start = i + 1
			}
		case '#':
			if i > 0 && line[i-1] == ' ' {
				return -1, nil
			}
		}
		tokenStart = c == ' ' || c == ',' || c == '[' || c == '{' || c == ':'
	}
	return -1, nil
}
